"""CON-3, CON-4 in a real browser, by the policy's own words: the owner logs in, Company Selection,
Manage Soft Helpers, Shutdown Company, Yes, Shutdown Now., reads the email in the mailbox, opens the
link, Yes, I am Lawful Owner please Shutdown Company; then the company is gone for everyone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts import outbox
from accounts.models import Company
from tests.conftest import PASSWORD
from tests.e2e.conftest import fresh_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.policy("CON-3"),
              pytest.mark.policy("CON-4")]


def test_owner_shuts_down_the_company_from_the_emailed_link(live_server, browser, page, acme, bob, local_mail):
    base = live_server.url
    company_home = f"{base}/companies/{acme.company.pk}/"

    log_in(page, base, acme.owner.email)
    expect(page.get_by_role("heading", name="Company Selection")).to_be_visible()
    page.get_by_role("link", name="Manage Soft Helpers").click()
    page.get_by_role("link", name="Shutdown Company").click()
    expect(page.get_by_role("link", name="Export your data")).to_be_visible()  # offered first
    page.get_by_label("Your password").fill(PASSWORD)
    screenshot(page, "shutdown-company")
    page.get_by_role("button", name="Yes, Shutdown Now.").click()
    expect(page.get_by_text("We sent a confirmation link to your email address.")).to_be_visible()
    assert Company.objects.get(pk=acme.company.pk).status == Company.Status.ACTIVE

    outbox.sweep()  # what the beat does every few seconds
    page.get_by_role("link", name="Dev mailbox").click()
    page.get_by_role("link", name="Confirm: close your company in Soft Helpers").click()
    expect(page.get_by_text("closed by its rightful account holder")).to_be_visible()
    page.get_by_role("link", name="/shutdown/confirm/").click()
    expect(page.get_by_role("heading", name="Shutdown Company")).to_be_visible()
    screenshot(page, "lawful-owner-confirmation")
    assert Company.objects.get(pk=acme.company.pk).status == Company.Status.ACTIVE  # opening changed nothing
    page.get_by_role("button", name="Yes, I am Lawful Owner please Shutdown Company").click()

    expect(page.get_by_text("Your company is closed.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Acme")
    expect(row).to_contain_text("No longer available")
    expect(row.get_by_role("link")).to_have_count(0)
    screenshot(page, "company-closed")
    assert page.goto(company_home).status == 404

    with fresh_page(browser) as member:
        log_in(member, base, bob.email)
        expect(member.get_by_role("heading", name="Company Selection")).to_be_visible()
        expect(member.get_by_role("row").filter(has_text="Acme")).to_contain_text("No longer available")
        assert member.goto(company_home).status == 404
