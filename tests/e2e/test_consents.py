"""In a real browser: tick and untick purposes on Your consents, then stop a newsletter from the link of a real email."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from accounts import outbox
from accounts.mail import list_mail_files
from accounts.models import User
from consent import services
from consent.models import Consent, ConsentEvent, Method
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.policy("CON-1"),
              pytest.mark.policy("PUR-1")]

LINK = re.compile(r"https?://[^/\s<>]+(/email/unsubscribe/[0-9a-f]{64}/)")


def _granted(user: User) -> set[str]:
    return set(Consent.objects.filter(user=user, granted=True).values_list("purpose", flat=True))


def test_tick_untick_on_your_consents_then_unsubscribe_from_a_real_email(live_server, page, tmp_path):
    user = User.objects.create_user(email="pat@bakery.example", password=PASSWORD, full_name="Pat Baker")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Your consents").click()
    expect(page.get_by_role("heading", name="Your consents")).to_be_visible()
    expect(page.get_by_role("checkbox", checked=True)).to_have_count(0)
    page.get_by_label("Newsletter").check()
    page.get_by_label("Product information").check()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your choices are saved (2 changed).")).to_be_visible()
    assert _granted(user) == {"newsletter", "product_info"}

    page.get_by_label("Product information").uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_text("Your choices are saved (1 changed).")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Withdrawn")).to_have_count(1)
    screenshot(page, "your-consents")
    assert _granted(user) == {"newsletter"}

    with override_settings(EMAIL_BACKEND="accounts.mail.EmlFileBackend", MAIL_DIR=tmp_path / "mail"):
        message = services.create_message(purpose="newsletter", subject="Bakery news", text="Spring is here.",
                                          actor=None)
        services.queue_message(message=message, actor=None)
        outbox.sweep()
        (email,) = list_mail_files()
    path = LINK.search(email.read_bytes().decode()).group(1)

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{live_server.url}{path}")  # as from the email: not logged in
    expect(page.get_by_role("heading", name='Stop "Newsletter" emails?')).to_be_visible()
    assert _granted(user) == {"newsletter"}  # opening the link changed nothing
    page.get_by_role("button", name="Stop these emails").click()
    expect(page.get_by_role("heading", name='You will get no more "Newsletter" emails')).to_be_visible()
    screenshot(page, "unsubscribed")
    assert _granted(user) == set()
    newest = ConsentEvent.objects.filter(user=user).order_by("-id").first()
    assert (newest.purpose, newest.granted, newest.method) == ("newsletter", False, Method.UNSUBSCRIBE_PAGE)
