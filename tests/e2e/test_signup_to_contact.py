"""A new owner, in a real browser: sign up, Company Selection (and its Manage Soft Helpers tab),
open the company, add a contact, see it listed, log out."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_open_company_add_contact_and_log_out(live_server, page):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign up free").click()  # the front door
    expect(page.get_by_role("heading", name="Create your Soft Helpers account")).to_be_visible()
    page.get_by_label("Your name").fill("Pat Baker")
    page.get_by_label("Email").fill("pat@bakery.example")
    page.get_by_label("Password").fill("a-long-test-password-42")
    page.get_by_label("Company name").fill("Pat's Bakery")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", name="Company Selection")).to_be_visible()
    screenshot(page, "company-selection")
    page.get_by_role("link", name="Manage Soft Helpers").click()
    members = page.get_by_role("row").filter(has_text="pat@bakery.example")
    expect(members).to_contain_text("Owner")
    screenshot(page, "manage-soft-helpers")
    page.get_by_role("link", name="Companies", exact=True).click()
    page.get_by_role("link", name="Open Pat's Bakery").click()

    expect(page.get_by_role("heading", name="Pat's Bakery")).to_be_visible()
    expect(page.get_by_role("heading", name="Start here")).to_be_visible()  # a new company says where to begin
    page.get_by_role("link", name="Add your first contact").click()
    page.get_by_label("Name").fill("Nora Flour")
    page.get_by_label("Email").fill("nora@flour.example")
    page.get_by_label("Phone").fill("+92 300 1234567")
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_text("The contact was saved.")).to_be_visible()

    page.locator("nav.sidebar").get_by_role("link", name="Contacts").click()
    row = page.get_by_role("row").filter(has_text="Nora Flour")
    expect(row).to_contain_text("nora@flour.example")
    screenshot(page, "contacts-list")
    contacts_url = page.url

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    page.goto(contacts_url)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("Nora Flour")).to_have_count(0)
