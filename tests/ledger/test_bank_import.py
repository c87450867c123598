"""Issue 14 (CON-2's "import from external sources"): bank statement upload, preview, duplicates, all-or-nothing.

Owners upload a CSV or OFX statement into a bank account, see a preview (rows, dates, sum,
duplicates), confirm "Import N transactions", and a worker imports every row or none.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import AuditEvent, OutboxMessage
from accounts.tenancy import tenant_context
from ledger import imports
from ledger.imports import parsing
from ledger.imports import services as import_services
from ledger.models import BankConnection, BankImport, BankTransaction
from ledger.tasks import run_bank_import_task
from privacy import exports, registry
from retention import purge
from retention import services as retention_services
from retention.models import ScheduledPurge

pytestmark = pytest.mark.django_db(databases=["default", "progress"])

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _file(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _upload_url(tenant, account=None) -> str:
    return f"/c/{tenant.company.pk}/bank-accounts/{(account or tenant.bank_account).pk}/import/"


def _detail_url(tenant, bank_import) -> str:
    return f"/c/{tenant.company.pk}/bank-imports/{bank_import.pk}/"


def _upload(client, tenant, name: str, *, data: bytes | None = None, encoding: str = "auto"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, _file(name) if data is None else data)
    return client.post(_upload_url(tenant), {"file": upload, "encoding": encoding})


def _latest(tenant) -> BankImport:
    with tenant_context(tenant.company.pk):
        return BankImport.objects.filter(company=tenant.company).latest("id")


def _transactions(tenant) -> list[BankTransaction]:
    with tenant_context(tenant.company.pk):
        return list(BankTransaction.objects.filter(company=tenant.company, bank_account=tenant.bank_account)
                    .order_by("booked_on", "id"))


def _run_queued_job() -> None:
    """What the outbox and a worker do: the queued message holds ids only."""
    message = OutboxMessage.objects.filter(handler="ledger.start_bank_import", delivered_at__isnull=True).latest("id")
    assert set(message.payload) == {"company_id", "import_id"}
    assert all(isinstance(v, int) for v in message.payload.values())
    OutboxMessage.objects.filter(pk=message.pk).update(delivered_at=NOW)
    run_bank_import_task.run(**message.payload)


def _upload_and_import(client, tenant, name: str, **kwargs) -> BankImport:
    client.force_login(tenant.owner)
    response = _upload(client, tenant, name, **kwargs)
    assert response.status_code == 302, response.content.decode()
    bank_import = _latest(tenant)
    assert client.post(_detail_url(tenant, bank_import), {"action": "confirm"}).status_code == 302
    _run_queued_job()
    return _latest(tenant)


# --- good files -------------------------------------------------------------------------------------

def test_csv_upload_shows_a_preview_and_imports_every_row(client, acme):
    client.force_login(acme.owner)
    before = len(_transactions(acme))
    response = _upload(client, acme, "statement.csv")
    assert response.status_code == 302
    bank_import = _latest(acme)
    assert response["Location"] == _detail_url(acme, bank_import)
    assert bank_import.status == BankImport.Status.PREVIEW and bank_import.file_format == "csv"
    assert (bank_import.rows_total, bank_import.first_date, bank_import.last_date) == (5, date(2026, 3, 2),
                                                                                      date(2026, 3, 31))
    page = client.get(_detail_url(acme, bank_import)).content.decode()
    assert "Import 5 transactions" in page
    assert "Mar 2, 2026" in page or "2026" in page
    assert "$1,229.00" in page  # the sum of the five amounts: 2,500.00 - 4.50 - 4.50 - 1,250.00 - 12.00
    assert "Northwind Traders" in page and "Duplicate, skipped" not in page
    assert len(_transactions(acme)) == before  # nothing imported by the preview

    assert client.post(_detail_url(acme, bank_import), {"action": "confirm"}).status_code == 302
    assert _latest(acme).status == BankImport.Status.PENDING
    _run_queued_job()

    done = _latest(acme)
    assert done.status == BankImport.Status.DONE
    assert (done.imported, done.duplicates, done.rows_done, done.rows_total) == (5, 0, 5, 5)
    assert done.payload == "" and done.finished_at == NOW  # the parsed rows are gone once imported
    rows = [t for t in _transactions(acme) if t.import_fingerprint]
    assert [(t.booked_on, t.amount, t.description, t.counterparty) for t in rows] == [
        (date(2026, 3, 2), Decimal("2500.00"), "Invoice INV-2026-014", "Northwind Traders"),
        (date(2026, 3, 5), Decimal("-4.50"), "Coffee", "Blue Bottle Coffee"),
        (date(2026, 3, 5), Decimal("-4.50"), "Coffee", "Blue Bottle Coffee"),
        (date(2026, 3, 10), Decimal("-1250.00"), "March rent", "Café Müller"),
        (date(2026, 3, 31), Decimal("-12.00"), "Monthly account fee", ""),
    ]
    assert len({t.import_fingerprint for t in rows}) == 5
    page = client.get(_detail_url(acme, done)).content.decode()
    assert "Imported 5 transactions; 0 duplicates skipped" in page and 'role="status"' in page


def test_import_sets_the_connections_last_import_and_records_counts_only(client, acme):
    done = _upload_and_import(client, acme, "statement.csv")
    with tenant_context(acme.company.pk):
        assert BankConnection.objects.get(pk=acme.bank_connection.pk).last_import_at == NOW
    event = AuditEvent.objects.get(company_id=acme.company.pk, event=AuditEvent.Event.BANK_STATEMENT_IMPORTED)
    assert event.actor_id == acme.owner.pk and event.subject_id == done.pk
    assert event.data == {"rows": 5, "imported": 5, "duplicates": 0}
    assert AuditEvent.Event.BANK_STATEMENT_IMPORTED.label == "Bank statement imported"


def test_ofx_upload_imports_with_the_banks_transaction_ids(client, acme):
    done = _upload_and_import(client, acme, "statement.ofx")
    assert done.file_format == "ofx" and (done.imported, done.duplicates) == (5, 0)
    rows = [t for t in _transactions(acme) if t.import_fingerprint]
    rent = next(t for t in rows if t.amount == Decimal("-1250.00"))
    # Windows-1252 as the OFX header says; the date the bank wrote; payee and memo.
    assert rent.description == "Café Müller Rent · March rent" and rent.counterparty == "Café Müller Rent"
    assert rent.booked_on == date(2026, 3, 10)
    assert sum(t.amount for t in rows) == Decimal("1229.00")


def test_a_windows_1252_csv_with_split_columns_reads_once_its_encoding_is_chosen(client, acme):
    client.force_login(acme.owner)
    refused = _upload(client, acme, "statement_cp1252.csv")
    assert refused.status_code == 400
    assert "Row 3 has characters that are not UTF-8" in refused.content.decode()
    assert not BankImport.objects.exists()
    done = _upload_and_import(client, acme, "statement_cp1252.csv", encoding="cp1252")
    rows = [(t.booked_on, t.amount, t.counterparty) for t in _transactions(acme) if t.import_fingerprint]
    assert rows == [(date(2026, 3, 2), Decimal("2500.00"), "Nordwind Händler GmbH"),
                    (date(2026, 3, 5), Decimal("-4.50"), "Bäckerei Müller"),
                    (date(2026, 3, 10), Decimal("-1250.00"), "Hausverwaltung Größe")]
    assert done.imported == 3


def test_columns_not_recognised_are_chosen_on_the_preview(client, acme):
    client.force_login(acme.owner)
    assert _upload(client, acme, "unnamed_columns.csv").status_code == 302
    bank_import = _latest(acme)
    page = client.get(_detail_url(acme, bank_import)).content.decode()
    assert "Choose the column that holds the date." in page and "Import 0" not in page
    assert 'value="confirm"' not in page
    response = client.post(_detail_url(acme, bank_import), {
        "action": "mapping", "date": "0", "amount": "2", "description": "1", "debit": "", "credit": "",
        "counterparty": "", "date_format": "MM/DD/YYYY", "decimal_mark": ","})
    assert response.status_code == 302
    page = client.get(_detail_url(acme, bank_import)).content.decode()
    assert "Import 2 transactions" in page
    client.post(_detail_url(acme, bank_import), {"action": "confirm"})
    _run_queued_job()
    rows = [(t.booked_on, t.amount) for t in _transactions(acme) if t.import_fingerprint]
    assert rows == [(date(2026, 3, 2), Decimal("100.00")), (date(2026, 3, 15), Decimal("-12.30"))]


# --- duplicates -------------------------------------------------------------------------------------

def test_uploading_the_same_file_again_imports_nothing(client, acme):
    _upload_and_import(client, acme, "statement.csv")
    count = len(_transactions(acme))
    assert _upload(client, acme, "statement.csv").status_code == 302
    again = _latest(acme)
    page = client.get(_detail_url(acme, again)).content.decode()
    assert page.count("Duplicate, skipped") == 5 and "there is nothing to import" in page
    assert 'value="confirm"' not in page
    response = client.post(_detail_url(acme, again), {"action": "confirm"}, follow=True)
    assert "Every transaction of this file is already in the bank account." in response.content.decode()
    assert _latest(acme).status == BankImport.Status.PREVIEW and len(_transactions(acme)) == count


def test_identical_rows_in_one_file_are_both_imported_and_a_later_third_is_new(client, acme):
    done = _upload_and_import(client, acme, "statement.csv")
    coffees = [t for t in _transactions(acme) if t.description == "Coffee"]
    assert done.imported == 5 and len(coffees) == 2  # two coffees on one day are two purchases
    three = _file("statement.csv") + b"2026-03-05,Coffee,Blue Bottle Coffee,-4.50\n"
    client.force_login(acme.owner)
    assert _upload(client, acme, "statement.csv", data=three).status_code == 302
    client.post(_detail_url(acme, _latest(acme)), {"action": "confirm"})
    _run_queued_job()
    later = _latest(acme)
    assert (later.imported, later.duplicates) == (1, 5)
    assert len([t for t in _transactions(acme) if t.description == "Coffee"]) == 3


def test_a_transaction_entered_by_hand_counts_as_already_there(client, acme):
    from ledger import services

    with tenant_context(acme.company.pk):
        services.create_record(company=acme.company, model=BankTransaction, actor=acme.owner, fields={
            "bank_account": acme.bank_account, "booked_on": date(2026, 3, 10), "description": "march  RENT",
            "amount": Decimal("-1250.00")})
    done = _upload_and_import(client, acme, "statement.csv")
    assert (done.imported, done.duplicates) == (4, 1)


def test_ofx_transaction_ids_find_duplicates_and_a_repeated_id_is_skipped(client, acme):
    _upload_and_import(client, acme, "statement.ofx")
    # The bank corrected its ids for the two coffees and, by mistake, gave both the same new one.
    doubled = _file("statement.ofx").replace(b"<FITID>20260305000", b"<FITID>NEW").replace(b"NEW1", b"NEW2")
    client.force_login(acme.owner)
    assert _upload(client, acme, "other.ofx", data=doubled).status_code == 302
    shown = imports.import_preview(company=acme.company, bank_import=_latest(acme))
    assert shown is not None and (shown.new, shown.duplicates) == (1, 4)  # NEW2 is new, once


def test_the_unique_key_refuses_a_fingerprint_twice_in_one_account(acme):
    from django.db import IntegrityError, transaction

    with tenant_context(acme.company.pk):
        BankTransaction.objects.create(company=acme.company, bank_account=acme.bank_account, booked_on=NOW.date(),
                                       description="x", amount=1, import_fingerprint="f" * 64)
        with pytest.raises(IntegrityError), transaction.atomic():
            BankTransaction.objects.create(company=acme.company, bank_account=acme.bank_account,
                                           booked_on=NOW.date(), description="y", amount=2, import_fingerprint="f" * 64)
        for _ in range(2):  # rows entered by hand have no fingerprint and never collide
            BankTransaction.objects.create(company=acme.company, bank_account=acme.bank_account,
                                           booked_on=NOW.date(), description="z", amount=3)


# --- malformed files ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "message"), [
    ("empty.csv", b"", "The file is empty."),
    ("blank.csv", b" \n\r\n ", "The file is empty."),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file."),
    ("header_only.csv", b"Date,Description,Amount\n", "has column names (row 1) but no transactions"),
    ("one_column.csv", b"just text\nmore text\n", "No columns were found"),
    ("broken.ofx", None, "This OFX file cannot be read: it is not valid OFX."),
    ("statement_eur.ofx", None, "This statement is in EUR, but the bank account is in USD."),
    ("statement_cp1252.csv", None, "Row 3 has characters that are not UTF-8."),
])
def test_unreadable_files_are_refused_with_a_clear_message_and_nothing_kept(client, acme, name, data, message):
    client.force_login(acme.owner)
    before = len(_transactions(acme))
    response = _upload(client, acme, name, data=data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BankImport.objects.exists() and len(_transactions(acme)) == before


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, acme, settings):
    settings.LEDGER_IMPORT_MAX_BYTES = 200
    client.force_login(acme.owner)
    response = _upload(client, acme, "statement.csv")  # 261 bytes
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file is too big: statements up to 200 bytes can be imported." in page
    assert "This field is required." not in page
    assert not BankImport.objects.exists()


def test_the_upload_never_touches_the_disk(client, acme, settings, monkeypatch):
    """Above FILE_UPLOAD_MAX_MEMORY_SIZE Django would write a temporary file; the statement handler does not."""
    from django.core.files import uploadhandler

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10

    def no_temporary_file(*args, **kwargs):
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", no_temporary_file)
    client.force_login(acme.owner)
    assert _upload(client, acme, "statement.csv").status_code == 302


def test_rows_with_bad_dates_and_amounts_are_listed_by_row_and_cannot_be_imported(client, acme):
    client.force_login(acme.owner)
    before = len(_transactions(acme))
    assert _upload(client, acme, "bad_rows.csv").status_code == 302
    bank_import = _latest(acme)
    page = client.get(_detail_url(acme, bank_import)).content.decode()
    for error in ("Row 3: “2026-02-31” is not a date written YYYY-MM-DD.", "Row 4: the amount “12.3x” is not a number.",
                  "Row 5: the amount is missing.", "Row 6: the amount has more than two decimals."):
        assert error in page
    assert 'role="alert"' in page and 'value="confirm"' not in page
    response = client.post(_detail_url(acme, bank_import), {"action": "confirm"}, follow=True)
    assert "Row 3: “2026-02-31” is not a date" in response.content.decode()
    assert _latest(acme).status == BankImport.Status.PREVIEW
    assert len(_transactions(acme)) == before and not OutboxMessage.objects.filter(
        handler="ledger.start_bank_import").exists()


def test_a_file_without_an_amount_column_asks_for_it(client, acme):
    client.force_login(acme.owner)
    assert _upload(client, acme, "no_amount.csv").status_code == 302
    page = client.get(_detail_url(acme, _latest(acme))).content.decode()
    assert "Choose the column that holds the amount" in page and 'value="confirm"' not in page


# --- all or nothing -----------------------------------------------------------------------------------

def test_a_failure_in_the_middle_rolls_everything_back_and_a_retry_completes(client, acme, monkeypatch, caplog):
    monkeypatch.setattr(import_services, "BATCH", 2)
    real = import_services.report_progress

    def fail_at_row_4(company_id, import_id, rows_done):
        if rows_done >= 4:
            raise RuntimeError("disk on fire at Northwind Traders")  # a message that quotes a value
        real(company_id, import_id, rows_done)

    monkeypatch.setattr(import_services, "report_progress", fail_at_row_4)
    before = len(_transactions(acme))
    caplog.set_level(logging.INFO)
    failed = _upload_and_import(client, acme, "statement.csv")
    assert failed.status == BankImport.Status.FAILED and failed.error == import_services.FAILED_MESSAGE
    assert len(_transactions(acme)) == before  # the first batch of 2 rows went with the rest
    assert failed.payload  # kept for the retry
    assert "Northwind" not in caplog.text and "RuntimeError" in caplog.text
    page = client.get(_detail_url(acme, failed)).content.decode()
    assert "nothing was imported" in page and 'value="retry"' in page

    monkeypatch.setattr(import_services, "report_progress", real)
    assert client.post(_detail_url(acme, failed), {"action": "retry"}).status_code == 302
    _run_queued_job()
    done = _latest(acme)
    assert done.status == BankImport.Status.DONE and (done.imported, done.error) == (5, "")
    assert len(_transactions(acme)) == before + 5


def test_a_job_killed_mid_import_runs_again_from_nothing_and_a_second_run_changes_nothing(client, acme):
    client.force_login(acme.owner)
    _upload(client, acme, "statement.csv")
    bank_import = _latest(acme)
    client.post(_detail_url(acme, bank_import), {"action": "confirm"})
    with tenant_context(acme.company.pk):  # what a killed worker leaves: running, nothing committed
        BankImport.objects.filter(pk=bank_import.pk).update(status=BankImport.Status.RUNNING, rows_done=3)
    _run_queued_job()
    assert _latest(acme).imported == 5
    assert imports.run_import(company_id=acme.company.pk, import_id=bank_import.pk) is None  # done: left alone
    assert len([t for t in _transactions(acme) if t.import_fingerprint]) == 5


@pytest.mark.django_db(transaction=True, databases=["default", "progress"])
def test_progress_shows_while_the_rows_stay_invisible_until_the_end(client, acme, monkeypatch):
    monkeypatch.setattr(import_services, "BATCH", 2)
    real = import_services.report_progress
    seen = []

    def watch(company_id, import_id, rows_done):
        real(company_id, import_id, rows_done)
        with tenant_context(company_id, using="progress"):  # another connection, as the page's request is
            shown = BankImport.objects.using("progress").get(pk=import_id)
            visible = BankTransaction.objects.using("progress").filter(company_id=company_id).count()
        seen.append((shown.status, shown.rows_done, shown.rows_total, visible))

    monkeypatch.setattr(import_services, "report_progress", watch)
    before = len(_transactions(acme))
    done = _upload_and_import(client, acme, "statement.csv")
    assert seen == [("running", 2, 5, before), ("running", 4, 5, before), ("running", 5, 5, before)]
    assert done.status == BankImport.Status.DONE and len(_transactions(acme)) == before + 5
    connections["progress"].close()


def test_the_progress_page_refreshes_itself_and_says_where_it_is(client, acme):
    client.force_login(acme.owner)
    _upload(client, acme, "statement.csv")
    bank_import = _latest(acme)
    client.post(_detail_url(acme, bank_import), {"action": "confirm"})
    with tenant_context(acme.company.pk):
        BankImport.objects.filter(pk=bank_import.pk).update(status=BankImport.Status.RUNNING, rows_done=2,
                                                            started_at=NOW)
    page = client.get(_detail_url(acme, bank_import)).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'role="status"' in page and "2 of 5 rows (40%)" in page and 'value="retry"' not in page


# --- who may -------------------------------------------------------------------------------------------

@pytest.mark.policy("RET-2")
def test_another_companys_bank_account_and_import_answer_404(client, acme, globex):
    client.force_login(globex.owner)
    assert _upload(client, globex, "statement.csv").status_code == 302
    theirs = _latest(globex)
    client.force_login(acme.owner)
    for url in (_upload_url(acme, globex.bank_account), f"/c/{globex.company.pk}/bank-accounts/"
                f"{globex.bank_account.pk}/import/", _detail_url(acme, theirs), _detail_url(globex, theirs)):
        assert client.get(url).status_code == 404, url
    assert _upload(client, acme, "statement.csv").status_code == 302  # own account still fine
    response = client.post(_upload_url(acme, globex.bank_account), {"file": b""})
    assert response.status_code == 404
    assert client.post(_detail_url(acme, theirs), {"action": "confirm"}).status_code == 404
    assert _latest(globex).status == BankImport.Status.PREVIEW


@pytest.mark.policy("SAF-1")
def test_a_guest_sees_imports_but_cannot_upload_or_confirm(client, acme, guest, bob):
    client.force_login(bob)  # a member may import
    assert _upload(client, acme, "statement.csv").status_code == 302
    bank_import = _latest(acme)
    client.force_login(guest)
    assert client.get(_upload_url(acme)).status_code == 403
    assert _upload(client, acme, "statement.csv").status_code == 403
    page = client.get(_detail_url(acme, bank_import))
    assert page.status_code == 200 and 'value="confirm"' not in page.content.decode()
    assert client.post(_detail_url(acme, bank_import), {"action": "confirm"}).status_code == 403
    assert _latest(acme).status == BankImport.Status.PREVIEW
    detail = client.get(f"/c/{acme.company.pk}/bank-accounts/{acme.bank_account.pk}/").content.decode()
    assert "Statement imports" in detail and "Import a statement" not in detail


def test_the_bank_account_page_links_to_imports_and_lists_them(client, acme):
    done = _upload_and_import(client, acme, "statement.csv")
    page = client.get(f"/c/{acme.company.pk}/bank-accounts/{acme.bank_account.pk}/").content.decode()
    assert f'href="{_upload_url(acme)}"' in page and "Import a statement" in page
    assert f'href="{_detail_url(acme, done)}"' in page and "Imported" in page


# --- the rows' lifetime: discard, expiry, purge, export --------------------------------------------------

def test_discarding_deletes_the_rows_and_imports_nothing(client, acme):
    client.force_login(acme.owner)
    _upload(client, acme, "statement.csv")
    bank_import = _latest(acme)
    assert bank_import.payload
    response = client.post(_detail_url(acme, bank_import), {"action": "discard"})
    assert response.status_code == 302
    gone = _latest(acme)
    assert gone.status == BankImport.Status.DISCARDED and gone.payload == ""


def test_the_parsed_rows_are_sealed_in_the_database(client, acme):
    client.force_login(acme.owner)
    _upload(client, acme, "statement.csv")
    bank_import = _latest(acme)
    with tenant_context(acme.company.pk), connections["default"].cursor() as cursor:
        cursor.execute("SELECT payload FROM ledger_bankimport WHERE id = %s", [bank_import.pk])
        stored = bytes(cursor.fetchone()[0])
    assert b"Northwind" not in stored and b"Coffee" not in stored
    assert "Northwind Traders" in json.dumps(json.loads(bank_import.payload))


def test_uploads_left_waiting_lose_their_rows_after_the_keep_period(client, acme, globex, settings):
    settings.LEDGER_IMPORT_KEEP_HOURS = 24
    client.force_login(acme.owner)
    _upload(client, acme, "statement.csv")
    waiting = _latest(acme)
    client.force_login(globex.owner)
    _upload(client, globex, "statement.csv")
    with tenant_context(acme.company.pk):
        BankImport.objects.filter(pk=waiting.pk).update(created_at=NOW - timedelta(hours=25))
    assert imports.expire_imports(now=NOW) == 1
    expired = _latest(acme)
    assert expired.status == BankImport.Status.EXPIRED and expired.payload == ""
    assert _latest(globex).payload  # another company's fresh upload is untouched
    page = client.get(_detail_url(globex, _latest(globex)))
    assert page.status_code == 200


def test_a_confirmed_import_whose_worker_died_is_failed_and_forgotten_in_time(client, acme, settings):
    """Its sealed rows must not outlive LEDGER_IMPORT_KEEP_HOURS because nobody retried it (review of issue 14)."""
    settings.LEDGER_IMPORT_KEEP_HOURS = 24
    client.force_login(acme.owner)
    _upload(client, acme, "statement.csv")
    stuck = _latest(acme)
    with tenant_context(acme.company.pk):
        BankImport.objects.filter(pk=stuck.pk).update(status=BankImport.Status.RUNNING,
                                                      created_at=NOW - timedelta(hours=25, minutes=16))
    assert imports.expire_imports(now=NOW) == 1
    failed = _latest(acme)
    assert failed.status == BankImport.Status.FAILED and failed.payload == "" and "nothing was imported" in failed.error


@pytest.mark.policy("CON-5", "RET-1")
def test_the_purge_plan_and_the_export_cover_imports_and_a_purge_removes_them(client, acme):
    plan = purge.purge_plan()
    assert BankImport in plan and plan.index(BankImport) < plan.index(type(acme.bank_account))
    assert BankImport in exports.exported_models()
    policy = registry.policy_for(BankImport)
    assert policy.fields["payload"].encrypted and policy.fields["payload"].personal
    assert registry.policy_for(BankTransaction).fields["import_fingerprint"].personal
    _upload_and_import(client, acme, "statement.csv")
    _upload(client, acme, "statement.csv")  # and one waiting for confirmation
    scheduled = retention_services.close_company(company=acme.company, actor=acme.owner,
                                                 reason=ScheduledPurge.Reason.OWNER)
    assert purge.purge_company(purge_id=scheduled.pk, as_of=scheduled.due_at) is purge.Result.DONE
    with tenant_context(acme.company.pk):
        assert not BankImport.objects.exists() and not BankTransaction.objects.exists()


# --- the API -------------------------------------------------------------------------------------------

def _api(api_client, user):
    _, token = AuthToken.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client


def _api_url(tenant, account=None) -> str:
    return f"/api/v1/companies/{tenant.company.pk}/bank-accounts/{(account or tenant.bank_account).pk}/imports/"


def _api_upload(api, tenant, name: str, *, account=None, data: bytes | None = None, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, _file(name) if data is None else data)
    return api.post(_api_url(tenant, account), {"file": upload, **fields}, format="multipart")


def test_api_dry_run_answers_the_preview_and_stores_nothing(api_client, acme):
    response = _api_upload(_api(api_client, acme.owner), acme, "statement.ofx")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows_total"], body["new"], body["duplicates"], body["total"]) == (5, 5, 0, "1229.00")
    assert body["first_date"] == "2026-03-02" and body["last_date"] == "2026-03-31"
    assert body["rows"][1] == {"row": 2, "booked_on": "2026-03-05", "amount": "-4.50",
                               "description": "Blue Bottle Coffee", "counterparty": "Blue Bottle Coffee",
                               "duplicate": False}
    assert not BankImport.objects.exists()


def test_api_confirmed_upload_is_imported_and_its_status_shows_the_counts(api_client, acme):
    api = _api(api_client, acme.owner)
    response = _api_upload(api, acme, "statement.csv", confirm="true")
    assert response.status_code == 202, response.content
    import_id = response.json()["id"]
    assert response.json()["status"] == "pending"
    _run_queued_job()
    status = api.get(f"{_api_url(acme)}{import_id}/").json()
    assert (status["status"], status["imported"], status["duplicates"], status["rows_done"]) == ("done", 5, 0, 5)
    again = _api_upload(api, acme, "statement.csv", confirm="true")
    assert again.status_code == 200 and (again.json()["new"], again.json()["duplicates"]) == (0, 5)


def test_api_refuses_malformed_files_with_the_reason_and_row_numbers(api_client, acme):
    api = _api(api_client, acme.owner)
    empty = _api_upload(api, acme, "empty.csv", data=b"", confirm="true")
    assert empty.status_code == 400 and "file" in empty.json()
    rows = _api_upload(api, acme, "bad_rows.csv", confirm="true")
    assert rows.status_code == 400
    assert "Row 4: the amount “12.3x” is not a number." in rows.json()["errors"]
    assert not BankImport.objects.exists()


def test_api_other_company_404_and_guest_403(api_client, acme, globex, guest):
    api = _api(api_client, acme.owner)
    assert _api_upload(api, acme, "statement.csv", account=globex.bank_account).status_code == 404
    assert _api_upload(api, globex, "statement.csv").status_code == 404
    with tenant_context(globex.company.pk):
        theirs = imports.upload_statement(company=globex.company, actor=globex.owner,
                                          bank_account=globex.bank_account, data=_file("statement.csv"))
    assert api.get(f"{_api_url(acme)}{theirs.pk}/").status_code == 404
    assert api.get(f"{_api_url(globex)}{theirs.pk}/").status_code == 404
    guest_api = _api(api_client, guest)
    assert _api_upload(guest_api, acme, "statement.csv", confirm="true").status_code == 403


def test_api_is_documented_in_the_openapi_schema(client, acme):
    client.force_login(acme.owner)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    upload = schema["paths"]["/api/v1/companies/{company_id}/bank-accounts/{id}/imports/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"200", "202", "400"} <= set(upload["responses"])
    status = schema["paths"]["/api/v1/companies/{company_id}/bank-accounts/{id}/imports/{import_id}/"]["get"]
    assert "200" in status["responses"]


# --- parsing details -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "mark", "expected"), [
    ("-1,234.56", ".", "-1234.56"), ("(12.00)", ".", "-12.00"), ("12.00-", ".", "-12.00"),
    ("$ 1 234,56", ",", "1234.56"), ("1'234.56", ".", "1234.56"), ("12.00 DR", ".", "-12.00"),
    ("EUR -4,50", ",", "-4.50"), ("12.3x", ".", None), ("1.2.3", ".", None), ("-", ".", None),
])
def test_amounts_in_bank_notation(value, mark, expected):
    parsed = parsing.parse_amount(value, mark)
    assert (None if parsed is None else str(parsed)) == expected


def test_date_formats_are_detected_from_the_values():
    assert parsing.detect_date_format(["13/03/2026", "01/04/2026"]) == "DD/MM/YYYY"
    assert parsing.detect_date_format(["03/13/2026", "04/01/2026"]) == "MM/DD/YYYY"
    assert parsing.detect_date_format(["13.03.2026"]) == "DD.MM.YYYY"
    assert parsing.parse_date("2026-03-10T14:22:00", "YYYY-MM-DD") == date(2026, 3, 10)
