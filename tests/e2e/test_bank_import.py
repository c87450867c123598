"""Issue 14: an owner uploads a CSV statement in a real browser, reads the preview, imports it and
watches the import complete (the page refreshes itself while a worker runs the job)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import OutboxMessage
from accounts.tenancy import tenant_context
from ledger.models import BankTransaction
from ledger.tasks import run_bank_import_task
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "progress"])]

STATEMENT = Path(__file__).resolve().parents[1] / "ledger" / "fixtures" / "statement.csv"


def test_upload_a_csv_see_the_preview_and_the_import_complete(live_server, page, acme):
    log_in(page, live_server.url, acme.owner.email)
    page.goto(f"{live_server.url}/c/{acme.company.pk}/bank-accounts/{acme.bank_account.pk}/")
    page.get_by_role("link", name="Import a statement").click()
    expect(page.get_by_role("heading", name=f"Import a statement into {acme.bank_account.name}")).to_be_visible()
    page.get_by_label("Statement file").set_input_files(str(STATEMENT))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="What this file holds")).to_be_visible()
    preview = page.get_by_role("row").filter(has_text="Northwind Traders")
    expect(preview).to_contain_text("New")
    expect(page.get_by_role("row").filter(has_text="Coffee")).to_have_count(2)  # both purchases of the day
    expect(page.get_by_label("Date:", exact=True)).to_have_value("0")  # the detected column mapping
    screenshot(page, "bank-import-preview")
    page.get_by_role("button", name="Import 5 transactions").click()
    expect(page.get_by_role("status").filter(has_text="Importing")).to_be_visible()

    message = OutboxMessage.objects.get(handler="ledger.start_bank_import")
    run_bank_import_task.run(**message.payload)  # what the worker does once the outbox hands it the ids

    expect(page.get_by_role("status").filter(has_text="Imported 5 transactions; 0 duplicates skipped")).to_be_visible(
        timeout=10_000)  # the page refreshes itself every 2 seconds
    screenshot(page, "bank-import-done")
    page.get_by_role("link", name="See the bank transactions").click()
    expect(page.get_by_role("row").filter(has_text="Invoice INV-2026-014")).to_contain_text("$2,500.00")
    with tenant_context(acme.company.pk):
        assert BankTransaction.objects.filter(company=acme.company).exclude(import_fingerprint="").count() == 5
