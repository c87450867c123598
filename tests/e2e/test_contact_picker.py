"""Issue 14: the invoice form's contact picker in a real browser: type, choose by keyboard or mouse, save;
axe finds nothing wrong with the list open; without JavaScript a typed name still makes the invoice."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant_context
from ledger import services
from ledger.models import Contact, Invoice
from tests.e2e.conftest import fresh_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _contacts(acme, *names: str) -> dict[str, Contact]:
    with tenant_context(acme.company.pk):
        return {name: services.create_record(company=acme.company, model=Contact, actor=None, fields={"name": name})
                for name in names}


def _fill_the_rest(page, number: str) -> None:
    page.get_by_label("Number").fill(number)
    page.get_by_label("Line 1: description").fill("Consulting")
    page.get_by_label("Line 1: quantity").fill("2")
    page.get_by_label("Line 1: unit price").fill("40")


def test_type_choose_with_the_keyboard_and_save(live_server, page, acme):
    from axe_playwright_python.sync_playwright import Axe

    made = _contacts(acme, "Ada Lovelace", "Adam Lovell", "Grace Hopper", *[f"Client {i:02d}" for i in range(30)])
    log_in(page, live_server.url, acme.owner.email)
    page.goto(f"{live_server.url}/c/{acme.company.pk}/invoices/new/")
    picker = page.get_by_role("combobox", name="Contact")
    picker.press_sequentially("lovel", delay=30)
    listbox = page.get_by_role("listbox", name="Matching contacts")
    expect(listbox.get_by_role("option")).to_have_text(["Ada Lovelace", "Adam Lovell"])
    expect(picker).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("status").filter(has_text="2 contacts found")).to_have_count(1)
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], v["impact"]) for v in violations] == []
    screenshot(page, "contact-picker-open")

    picker.press("ArrowDown")
    picker.press("ArrowDown")
    second = listbox.get_by_role("option", name="Adam Lovell")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(picker).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    picker.press("Enter")  # chooses; does not submit the form
    expect(listbox).to_be_hidden()
    expect(picker).to_have_value("Adam Lovell")
    expect(picker).to_have_attribute("aria-expanded", "false")
    assert page.locator("input[type=hidden][name=contact]").input_value() == str(made["Adam Lovell"].pk)

    _fill_the_rest(page, "PICK-KEYS")
    page.get_by_role("button", name="Save invoice").click()
    expect(page.get_by_text("The invoice was saved.")).to_be_visible()
    expect(page.get_by_role("row", name="Contact Adam Lovell")).to_be_visible()
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(number="PICK-KEYS").contact_id == made["Adam Lovell"].pk


def test_editing_shows_the_contact_and_a_click_changes_it(live_server, page, acme):
    made = _contacts(acme, "Grace Hopper", "Katherine Johnson")
    log_in(page, live_server.url, acme.owner.email)
    page.goto(f"{live_server.url}/c/{acme.company.pk}/invoices/{acme.invoice.pk}/edit/")
    picker = page.get_by_role("combobox", name="Contact")
    expect(picker).to_have_value("ACMESECRET Contact")
    picker.fill("")
    picker.press_sequentially("hop", delay=30)
    page.get_by_role("option", name="Grace Hopper").click()
    expect(picker).to_have_value("Grace Hopper")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Save invoice").click()
    expect(page.get_by_role("row", name="Contact Grace Hopper")).to_be_visible()
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(pk=acme.invoice.pk).contact_id == made["Grace Hopper"].pk


def test_typing_without_choosing_asks_which_contact(live_server, page, acme):
    made = _contacts(acme, "Ada Lovelace", "Adam Lovell")
    log_in(page, live_server.url, acme.owner.email)
    page.goto(f"{live_server.url}/c/{acme.company.pk}/invoices/new/")
    page.get_by_role("combobox", name="Contact").press_sequentially("lovel", delay=30)
    page.keyboard.press("Escape")
    _fill_the_rest(page, "PICK-ASK")
    page.get_by_role("button", name="Save invoice").click()
    expect(page.get_by_text("Several contacts match “lovel”: choose one.")).to_be_visible()
    page.get_by_role("radio", name="Ada Lovelace").check()
    page.get_by_role("button", name="Save invoice").click()
    expect(page.get_by_text("The invoice was saved.")).to_be_visible()
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(number="PICK-ASK").contact_id == made["Ada Lovelace"].pk


def test_without_javascript_a_typed_name_makes_the_invoice(live_server, browser, acme):
    made = _contacts(acme, "Grace Hopper")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, acme.owner.email)
        page.goto(f"{live_server.url}/c/{acme.company.pk}/invoices/new/")
        expect(page.get_by_role("combobox", name="Contact")).to_have_count(0)  # a plain text box: no script ran
        page.get_by_role("textbox", name="Contact").fill("grace hopper")
        _fill_the_rest(page, "PICK-NOJS")
        page.get_by_role("button", name="Save invoice").click()
        expect(page.get_by_text("The invoice was saved.")).to_be_visible()
    finally:
        context.close()
    with tenant_context(acme.company.pk):
        assert Invoice.objects.get(number="PICK-NOJS").contact_id == made["Grace Hopper"].pk


def test_the_list_search_and_a_sortable_header_in_the_browser(live_server, browser, acme):
    _contacts(acme, "Ada Lovelace", "Grace Hopper", "Zed Zimmer")
    with fresh_page(browser) as page:
        log_in(page, live_server.url, acme.owner.email)
        page.goto(f"{live_server.url}/c/{acme.company.pk}/contacts/")
        page.get_by_role("link", name="Name").click()
        expect(page.get_by_role("columnheader", name="Name")).to_have_attribute("aria-sort", "descending")
        expect(page.get_by_role("row").nth(1)).to_contain_text("Zed Zimmer")
        page.get_by_role("searchbox", name="Search").fill("hopp")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_text("1 result", exact=True)).to_be_visible()
        expect(page.get_by_role("row")).to_have_count(2)
        expect(page.get_by_role("row").nth(1)).to_contain_text("Grace Hopper")
        expect(page.get_by_role("columnheader", name="Name")).to_have_attribute("aria-sort", "descending")
