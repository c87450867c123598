"""Issue 14, in a real browser: an owner adds and removes invoice lines in place and watches each line's amount
and the running total follow; without JavaScript the same buttons still work, through the server."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.tenancy import tenant_context
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _edit_url(live_server, acme) -> str:
    return live_server.url + reverse("ledger:invoices-edit", kwargs={"company_id": acme.company.pk, "pk": acme.invoice.pk})


def test_add_and_remove_lines_in_place_with_a_running_total(live_server, page, acme):
    log_in(page, live_server.url, acme.owner.email)
    page.goto(_edit_url(live_server, acme))
    rows = page.locator("tr[data-line]")
    total = page.locator("[data-lines-total]")
    expect(rows).to_have_count(4)  # the invoice's line (2 × $50.00) and three empty ones
    expect(total).to_have_text("$100.00")
    expect(page.locator(".lines-total")).to_have_attribute("aria-live", "polite")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("button", name="Add line").click()
    expect(rows).to_have_count(5)
    expect(page.get_by_label("Line 5: description")).to_be_focused()
    page.get_by_label("Line 5: description").fill("Hosting")
    page.get_by_label("Line 5: quantity").fill("3")
    page.get_by_label("Line 5: unit price").fill("19.99")
    expect(rows.nth(4).locator("[data-line-amount]")).to_have_text("$59.97")
    expect(total).to_have_text("$159.97")

    page.get_by_label("Line 2: description").fill("Design")
    page.get_by_label("Line 2: quantity").fill("1.5")
    page.get_by_label("Line 2: unit price").fill("1200")
    expect(rows.nth(1).locator("[data-line-amount]")).to_have_text("$1,800.00")
    expect(total).to_have_text("$1,959.97")

    page.get_by_role("button", name="Remove line 1").click()  # the invoice's own line goes
    expect(rows).to_have_count(4)
    expect(total).to_have_text("$1,859.97")
    expect(page.get_by_label("Line 1: description")).to_have_value("Design")  # renumbered
    expect(page.get_by_label("Line 4: description")).to_have_value("Hosting")
    expect(page.locator("input[name='lines-TOTAL_FORMS']")).to_have_value("4")

    page.get_by_label("Currency").select_option("EUR")
    expect(total).to_have_text("€1,859.97")
    page.get_by_label("Line 4: quantity").fill("")
    expect(rows.nth(3).locator("[data-line-amount]")).to_have_text("")
    expect(total).to_have_text("€1,800.00")
    page.get_by_label("Line 4: quantity").fill("3")
    assert page.evaluate("window.stillTheSamePage") is True  # no round trip so far
    screenshot(page, "invoice-lines-in-place")

    page.get_by_role("button", name="Save invoice").click()
    expect(page.get_by_text("The invoice was saved.")).to_be_visible()
    lines = page.locator("table").filter(has_text="Unit price")
    expect(lines).to_contain_text("Design")
    expect(lines).to_contain_text("Hosting")
    expect(lines).not_to_contain_text("ACMESECRET work")
    expect(lines.locator("tfoot")).to_contain_text("€1,859.97")
    with tenant_context(acme.company.pk):
        assert [line.description for line in acme.invoice.lines.all()] == ["Design", "Hosting"]
    screenshot(page, "invoice-detail")

    page.get_by_role("link", name="Print view").click()
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # the script shows it
    expect(page.locator(".invoice-sheet")).to_contain_text("€1,859.97")
    screenshot(page, "invoice-print")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == "invoice-ACMESECRET-001.pdf"


def test_add_line_and_remove_work_without_javascript(live_server, browser, acme):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, acme.owner.email)
        page.goto(_edit_url(live_server, acme))
        rows = page.locator("tr[data-line]")
        expect(rows).to_have_count(4)
        page.get_by_label("Line 2: description").fill("Design")
        page.get_by_label("Line 2: quantity").fill("2")
        page.get_by_label("Line 2: unit price").fill("10")
        page.get_by_role("button", name="Add line").click()
        expect(rows).to_have_count(5)
        expect(page.get_by_label("Line 2: description")).to_have_value("Design")  # kept as typed
        expect(page.locator("[data-lines-total]")).to_have_text("$120.00")
        page.get_by_role("button", name="Remove line 1").click()
        expect(rows).to_have_count(4)
        expect(page.get_by_label("Line 1: description")).to_have_value("Design")
        expect(page.locator("[data-lines-total]")).to_have_text("$20.00")
        page.get_by_label("Number").press("Enter")  # Enter saves (the form's first button), it removes nothing
        expect(page.get_by_text("The invoice was saved.")).to_be_visible()
        assert re.search(r"/invoices/\d+/$", page.url)
    finally:
        context.close()
    with tenant_context(acme.company.pk):
        assert [line.description for line in acme.invoice.lines.all()] == ["Design"]
