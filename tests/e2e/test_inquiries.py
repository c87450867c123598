"""Inquiries (issue 13) in a real browser: a visitor with no account finds the Privacy Officer, sends a complaint,
reads the acknowledgement in the dev mailbox; the officer finds it in the admin, answers and closes it; the
visitor reads the answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts import outbox
from accounts.models import AuditEvent
from privacy.models import Inquiry
from tests.e2e.conftest import fresh_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.policy("ACC-1"),
              pytest.mark.policy("ACC-2"), pytest.mark.policy("CHL-1")]

NOW = datetime(2031, 3, 4, 10, 20, 30, tzinfo=UTC)  # the server's clock (it runs in this process)
DUE = "3 April 2031"  # NOW's day plus PRIVACY_INQUIRY_DAYS (30)
MESSAGE = "Vermilion-Otter-2218: you emailed my old address after I closed my account. Why?"
ANSWER = "We checked: that email was the closure confirmation, which the policy allows. Nothing else is kept."


def _open_mail(page: Any, base: str, subject: str) -> str:
    """The dev mailbox, as the visitor: open the one email with this subject; return what it says."""
    page.goto(f"{base}/dev/mail/")
    page.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    return page.locator("pre.mail").inner_text()


@pytest.fixture(autouse=True)
def pinned(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


def test_a_visitor_sends_an_inquiry_and_the_officer_answers_it_in_the_admin(live_server, browser, staff, local_mail,
                                                                           totp_clock):
    base = live_server.url
    app = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)  # staff sign in in two steps
    with fresh_page(browser) as visitor:
        visitor.goto(f"{base}/privacy/officer/")
        expect(visitor.get_by_role("heading", name="Our Privacy Officer")).to_be_visible()
        expect(visitor.get_by_text("Gohadpur Marala Road 51310")).to_be_visible()
        expect(visitor.get_by_role("link", name="info@softhelpers.com")).to_be_visible()
        visitor.get_by_role("main").get_by_role("link", name="Contact the Privacy Officer").click()

        expect(visitor.get_by_role("heading", name="Contact the Privacy Officer")).to_be_visible()
        visitor.get_by_role("button", name="Send to the Privacy Officer").click()  # empty: clear errors, no dead end
        expect(visitor.get_by_text("Please correct the fields marked below.")).to_be_visible()
        visitor.get_by_label("Your name").fill("Vera Visitor")
        visitor.get_by_label("Your email").fill("vera@visitors.example")
        visitor.get_by_label("Complaint about compliance").check()
        visitor.get_by_label("Your message").fill(MESSAGE)
        screenshot(visitor, "inquiry-form")
        visitor.get_by_role("button", name="Send to the Privacy Officer").click()

        expect(visitor.get_by_role("heading", name="Thank you: your inquiry is received")).to_be_visible()
        assert visitor.url == f"{base}/privacy/contact/thanks/"  # after a redirect: the reference is not in it
        reference = visitor.locator(".reference").inner_text()
        assert re.fullmatch(r"INQ-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", reference)
        inquiry = Inquiry.objects.get(reference=reference)
        due = f"{inquiry.due_on:%-d %B %Y}"
        assert due == DUE and inquiry.due_on == NOW.date() + timedelta(days=30)
        expect(visitor.get_by_text(due)).to_be_visible()
        screenshot(visitor, "inquiry-thanks")
        visitor.reload()  # sends nothing again
        expect(visitor.locator(".reference")).to_have_text(reference)
        assert Inquiry.objects.count() == 1
        outbox.sweep()  # what the beat does every few seconds

        acknowledgement = _open_mail(visitor, base, f"Your privacy inquiry {reference} is received")
        assert reference in acknowledgement and f"We will answer by {due}" in acknowledgement
        assert "info@softhelpers.com" in acknowledgement and "right to complain" in acknowledgement
        assert "Vermilion-Otter" not in acknowledgement and "Vera" not in acknowledgement

        with fresh_page(browser) as officer:
            log_in(officer, base, staff.email, code=totp_clock.code(app))
            officer.goto(f"{base}/admin/")
            officer.get_by_role("link", name="Inquiries").click()
            officer.get_by_role("link", name="Overdue").click()  # the filter: not this one
            expect(officer.get_by_role("link", name=reference)).to_have_count(0)
            officer.get_by_role("link", name="Due within 7 days").click()
            expect(officer.get_by_role("link", name=reference)).to_have_count(0)
            officer.get_by_role("link", name="All").first.click()
            officer.get_by_role("link", name=reference).click()

            expect(officer.get_by_text(MESSAGE)).to_be_visible()
            expect(officer.get_by_text("vera@visitors.example")).to_be_visible()
            officer.get_by_role("button", name="Assign to me").click()
            expect(officer.get_by_text("Assigned to you.")).to_be_visible()
            officer.get_by_label("Answer (emailed to the requester)").fill(ANSWER)
            officer.get_by_role("button", name="Send answer").click()
            expect(officer.get_by_text("Answer sent to the requester by email.")).to_be_visible()
            screenshot(officer, "inquiry-admin")
            officer.get_by_label("Resolution").select_option(label="Answered")
            officer.get_by_role("button", name="Close inquiry").click()
            expect(officer.get_by_text("Inquiry closed.")).to_be_visible()
            expect(officer.get_by_role("button", name="Send answer")).to_have_count(0)

        outbox.sweep()
        answer = _open_mail(visitor, base, f"Answer to your privacy inquiry {reference}")
        assert ANSWER in answer and reference in answer and "Vermilion-Otter" not in answer

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.resolution, inquiry.assignee_id) == ("closed", "answered", staff.pk)
    assert AuditEvent.objects.filter(event=AuditEvent.Event.INQUIRY_VIEWED, actor_id=staff.pk,
                                     subject_id=inquiry.pk).exists()
