"""Statement imports: upload and preview, confirm, and the job that imports every row or none.

* **Where the file lives.** Nowhere: the upload is read in memory (``uploads.StatementUploadHandler``),
  parsed, and only its parsed rows are kept, sealed, in ``BankImport.payload`` until the import is
  done or discarded, or LEDGER_IMPORT_KEEP_HOURS pass (``expire_imports``, hourly). Task arguments
  and outbox payloads are ids; logs name exception types only.
* **Duplicates.** Each row gets a fingerprint: the digest of the bank's FITID (OFX) or of its booked
  date, amount, description and *occurrence*: the second of two identical rows in one file (two
  coffees on one day) is occurrence 1, so both are imported, and a re-upload finds both. A row is a
  duplicate when its fingerprint is already in the bank account, when it repeats a FITID of its
  file, or when a transaction entered by hand (no fingerprint) matches its date, amount and
  description (the first occurrences are matched to them). The database's unique key
  ``(company, bank_account, import_fingerprint)`` is the wall behind this.
* **All or nothing.** The job inserts every row in one transaction, under a lock of the bank account
  (two imports into one account run one after the other). Progress is written on a second
  connection (``DATABASES["progress"]``) that commits on its own, so the page can show it while
  the rows are still uncommitted. A failure rolls every row back and marks the import failed; the
  owner can retry it, and a worker killed mid-job leaves it running for the next delivery. Either
  way the rows already in the account are found by their fingerprints, so a retry imports each row once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import outbox
from accounts.audit import record_event
from accounts.models import AuditEvent, Company, User
from accounts.tenancy import tenant_context, tenant_service
from ledger.imports.parsing import Mapping, entries, read_statement
from ledger.imports.rows import Entry, StatementError
from ledger.models import BankAccount, BankConnection, BankImport, BankTransaction

logger = logging.getLogger(__name__)

BATCH = 1000  # rows inserted (and progress reported) at a time, all in the job's one transaction
PREVIEW_ROWS = 20
STALE_AFTER = timedelta(minutes=15)  # a running import not finished by then may be retried
FAILED_MESSAGE = "The import stopped on an error and nothing was imported. Try again."
GONE_MESSAGE = "The uploaded rows are no longer kept. Upload the statement again."
Status = BankImport.Status


class ImportNotReady(ValueError):
    """The import cannot be confirmed as it is: ``errors`` say why (missing columns, bad rows)."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


# --- fingerprints and duplicates ------------------------------------------------------------------

def _key(entry: Entry) -> tuple[str, str, str]:
    return entry.booked_on.isoformat(), str(entry.amount.quantize(Decimal("0.01"))), \
        " ".join(entry.description.split()).casefold()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Classified:
    entry: Entry
    fingerprint: str
    duplicate: bool


def classify(*, company: Company, bank_account: BankAccount, found: Sequence[Entry]) -> list[Classified]:
    """Each entry with its fingerprint and whether the bank account (or the file) already has it."""
    occurrences: Counter[tuple[str, str, str]] = Counter()
    keyed = []
    for entry in found:
        key = _key(entry)
        occurrence = occurrences[key]
        occurrences[key] += 1
        fingerprint = _digest("fitid", entry.fitid) if entry.fitid else _digest("row", *key, str(occurrence))
        keyed.append((entry, key, occurrence, fingerprint))
    in_account = BankTransaction.objects.filter(company=company, bank_account=bank_account)
    existing: set[str] = set()
    prints = [fingerprint for *_, fingerprint in keyed]
    for start in range(0, len(prints), 5000):
        existing.update(str(value) for value in in_account.filter(import_fingerprint__in=prints[start:start + 5000])
                        .values_list("import_fingerprint", flat=True))
    by_hand: Counter[tuple[str, str, str]] = Counter()
    if found:
        dates = [entry.booked_on for entry in found]
        for booked_on, amount, description in in_account.filter(
                import_fingerprint="", booked_on__range=(min(dates), max(dates))).values_list(
                "booked_on", "amount", "description"):
            by_hand[_key(Entry(row=0, booked_on=booked_on, amount=amount, description=description))] += 1
    seen: set[str] = set()
    result = []
    for entry, key, occurrence, fingerprint in keyed:
        duplicate = fingerprint in existing or fingerprint in seen or occurrence < by_hand[key]
        seen.add(fingerprint)
        result.append(Classified(entry, fingerprint, duplicate))
    return result


# --- preview --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preview:
    file_format: str
    rows: list[Classified]  # the first PREVIEW_ROWS
    rows_total: int
    new: int
    duplicates: int
    first_date: date | None
    last_date: date | None
    total: Decimal  # the sum of every row of the file
    errors: list[str]
    mapping: Mapping | None = None  # CSV only
    headers: list[str] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        return not self.errors and self.new > 0


def preview(*, company: Company, bank_account: BankAccount, payload: dict[str, Any],
            mapping: Mapping | None = None) -> Preview:
    """What importing ``payload`` would do; reads the account's transactions to mark duplicates."""
    if payload["format"] == "csv":
        mapping = mapping or Mapping.from_dict(payload["mapping"])
    found, errors = entries(payload, mapping)
    classified = classify(company=company, bank_account=bank_account, found=found) if not errors else []
    duplicates = sum(c.duplicate for c in classified)
    dates = [entry.booked_on for entry in found]
    return Preview(
        file_format=payload["format"], rows=classified[:PREVIEW_ROWS] or [Classified(e, "", False) for e in
                                                                          found[:PREVIEW_ROWS]],
        rows_total=len(payload["rows"]), new=len(classified) - duplicates, duplicates=duplicates,
        first_date=min(dates, default=None), last_date=max(dates, default=None),
        total=sum((entry.amount for entry in found), Decimal(0)), errors=errors, mapping=mapping,
        headers=payload.get("headers", []))


def read_upload(*, bank_account: BankAccount, data: bytes, filename: str, encoding: str = "auto") -> dict[str, Any]:
    """The payload of an uploaded file for this account; StatementError when it cannot be imported."""
    payload = read_statement(data, filename=filename, encoding=encoding)
    currency = payload.get("currency")
    if currency and currency != bank_account.currency:
        raise StatementError(f"This statement is in {currency}, but the bank account is in {bank_account.currency}. "
                             "Choose the account it belongs to.")
    return payload


def _load(bank_import: BankImport) -> dict[str, Any] | None:
    return json.loads(bank_import.payload) if bank_import.payload else None


def import_preview(*, company: Company, bank_import: BankImport) -> Preview | None:
    """The preview of an upload still waiting for confirmation (None once its rows are gone)."""
    payload = _load(bank_import)
    if payload is None:
        return None
    return preview(company=company, bank_account=bank_import.bank_account, payload=payload)


# --- the owner's steps ----------------------------------------------------------------------------

def _summarise(bank_import: BankImport, payload: dict[str, Any], mapping: Mapping | None = None) -> None:
    found, _ = entries(payload, mapping)
    dates = [entry.booked_on for entry in found]
    bank_import.rows_total = len(payload["rows"])
    bank_import.first_date, bank_import.last_date = min(dates, default=None), max(dates, default=None)


@tenant_service
def upload_statement(*, company: Company, actor: User, bank_account: BankAccount, data: bytes, filename: str = "",
                     encoding: str = "auto", now: datetime | None = None) -> BankImport:
    """Read an uploaded statement and keep its parsed rows (sealed) for the preview; nothing is imported yet.

    Raise StatementError for a file that cannot be read (its message says why).
    """
    if bank_account.company_id != company.pk:
        raise ValueError("bank account of another company")
    payload = read_upload(bank_account=bank_account, data=data, filename=filename, encoding=encoding)
    bank_import = BankImport(company=company, bank_account=bank_account, file_format=payload["format"],
                             size_bytes=len(data), created_by=actor, created_at=now or timezone.now(),
                             payload=json.dumps(payload))
    _summarise(bank_import, payload)
    bank_import.save()
    return bank_import


def _require(bank_import: BankImport, company: Company, *states: str) -> None:
    if bank_import.company_id != company.pk:
        raise ValueError("import of another company")
    if bank_import.status not in states:
        raise ImportNotReady([f"This import is {bank_import.get_status_display().lower()}."])


@tenant_service
def change_mapping(*, company: Company, actor: User, bank_import: BankImport, mapping: Mapping) -> BankImport:
    """Use the columns, date format and decimal mark the owner chose for a CSV upload."""
    _require(bank_import, company, Status.PREVIEW)
    payload = _load(bank_import)
    if payload is None or payload["format"] != "csv":
        raise ImportNotReady([GONE_MESSAGE if payload is None else "Only CSV files have columns to choose."])
    payload["mapping"] = mapping.to_dict()
    bank_import.payload = json.dumps(payload)
    _summarise(bank_import, payload)
    bank_import.save(update_fields=["payload", "rows_total", "first_date", "last_date"])
    return bank_import


RUN_TASK = "ledger.run_bank_import"  # by name: ledger.tasks calls this module, never the other way


@outbox.handler("ledger.start_bank_import")
def start_bank_import(*, company_id: int, import_id: int) -> None:
    """Hand the import to a worker (the outbox made sure this runs once the confirmation committed)."""
    current_app.send_task(RUN_TASK, kwargs={"company_id": company_id, "import_id": import_id})


def _queue(bank_import: BankImport, actor: User, now: datetime) -> None:
    bank_import.status, bank_import.confirmed_by, bank_import.confirmed_at = Status.PENDING, actor, now
    bank_import.error, bank_import.rows_done = "", 0
    bank_import.save(update_fields=["status", "confirmed_by", "confirmed_at", "error", "rows_done"])
    outbox.enqueue(start_bank_import, company_id=bank_import.company_id, import_id=bank_import.pk)


@tenant_service
def confirm_import(*, company: Company, actor: User, bank_import: BankImport,
                   now: datetime | None = None) -> BankImport:
    """"Import N transactions": queue the job. Raise ImportNotReady while rows have errors or none is new."""
    _require(bank_import, company, Status.PREVIEW)
    shown = import_preview(company=company, bank_import=bank_import)
    if shown is None:
        raise ImportNotReady([GONE_MESSAGE])
    if shown.errors:
        raise ImportNotReady(shown.errors)
    if not shown.new:
        raise ImportNotReady(["Every transaction of this file is already in the bank account."])
    _queue(bank_import, actor, now or timezone.now())
    return bank_import


def can_retry(bank_import: BankImport, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    stale = bank_import.status == Status.RUNNING and bank_import.started_at is not None \
        and bank_import.started_at < now - STALE_AFTER
    return bool(bank_import.payload) and (bank_import.status == Status.FAILED or stale)


@tenant_service
def retry_import(*, company: Company, actor: User, bank_import: BankImport,
                 now: datetime | None = None) -> BankImport:
    """Run a failed (or stuck) import again; rows it already imported are found by their fingerprints."""
    now = now or timezone.now()
    _require(bank_import, company, Status.FAILED, Status.RUNNING)
    if not can_retry(bank_import, now=now):
        raise ImportNotReady([GONE_MESSAGE if not bank_import.payload else "This import is still running."])
    _queue(bank_import, actor, now)
    return bank_import


@tenant_service
def discard_import(*, company: Company, actor: User, bank_import: BankImport) -> BankImport:
    """Forget an upload that will not be imported: its rows go at once."""
    _require(bank_import, company, Status.PREVIEW, Status.FAILED)
    bank_import.status, bank_import.payload = Status.DISCARDED, ""
    bank_import.save(update_fields=["status", "payload"])
    return bank_import


# --- the job --------------------------------------------------------------------------------------

class _Stop(Exception):
    """The import cannot go on; ``message`` is for the owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def run_import(*, company_id: int, import_id: int, now: datetime | None = None) -> BankImport | None:
    """Import a confirmed upload, every row or none. Safe to run twice: a finished import is left alone."""
    now = now or timezone.now()
    with tenant_context(company_id):
        claimed = BankImport.objects.filter(pk=import_id, company_id=company_id,
                                            status__in=[Status.PENDING, Status.RUNNING])
        if not claimed.update(status=Status.RUNNING, started_at=now, rows_done=0):
            return None
    try:
        with tenant_context(company_id):
            return _import_all(company_id, import_id, now)
    except Exception as exc:
        # The type only: a database error's text can quote a row's values.
        logger.error("bank import %s failed: %s", import_id, type(exc).__name__)
        message = exc.message if isinstance(exc, _Stop) else FAILED_MESSAGE
        with tenant_context(company_id):
            BankImport.objects.filter(pk=import_id, status=Status.RUNNING).update(
                status=Status.FAILED, error=message[:300], rows_done=0, finished_at=now)
            return BankImport.objects.get(pk=import_id)


def _import_all(company_id: int, import_id: int, now: datetime) -> BankImport:
    bank_import = BankImport.objects.get(pk=import_id)
    # One import at a time per bank account; waits for one already running, then sees its rows.
    account = BankAccount.objects.select_for_update().get(pk=bank_import.bank_account_id, company_id=company_id)
    bank_import.refresh_from_db()
    if bank_import.status != Status.RUNNING:
        return bank_import
    company = Company.objects.get(pk=company_id)
    if not company.is_active:
        raise _Stop("The company is closed: nothing was imported.")
    payload = _load(bank_import)
    if payload is None:
        raise _Stop(GONE_MESSAGE)
    found, errors = entries(payload)
    if errors:
        raise _Stop("The file's rows have errors: nothing was imported. Upload it again.")
    classified = classify(company=company, bank_account=account, found=found)
    imported = 0
    for start in range(0, len(classified), BATCH):
        batch = classified[start:start + BATCH]
        new = [BankTransaction(company=company, bank_account=account, booked_on=c.entry.booked_on,
                               amount=c.entry.amount, description=c.entry.description,
                               counterparty=c.entry.counterparty, import_fingerprint=c.fingerprint)
               for c in batch if not c.duplicate]
        BankTransaction.objects.bulk_create(new)
        imported += len(new)
        report_progress(company_id, import_id, start + len(batch))
    bank_import.status, bank_import.imported = Status.DONE, imported
    bank_import.duplicates, bank_import.rows_done = len(classified) - imported, len(classified)
    bank_import.rows_total, bank_import.payload, bank_import.finished_at = len(classified), "", now
    bank_import.save(update_fields=["status", "imported", "duplicates", "rows_done", "rows_total", "payload",
                                    "finished_at"])
    BankConnection.objects.filter(company=company, bank_account=account,
                                  status=BankConnection.Status.ACTIVE).update(last_import_at=now)
    record_event(event=AuditEvent.Event.BANK_STATEMENT_IMPORTED, company_id=company_id,
                 actor_id=bank_import.confirmed_by_id, subject=bank_import, now=now,
                 data={"rows": len(classified), "imported": imported, "duplicates": bank_import.duplicates})
    return bank_import


def report_progress(company_id: int, import_id: int, rows_done: int) -> None:
    """Commit ``rows_done`` on the progress connection, beside the job's own open transaction."""
    with tenant_context(company_id, using="progress"):
        BankImport.objects.using("progress").filter(pk=import_id, status=Status.RUNNING).update(rows_done=rows_done)


# --- forgetting -----------------------------------------------------------------------------------

def expire_imports(*, now: datetime | None = None) -> int:
    """Blank the rows of uploads left unconfirmed, failed, or stuck past LEDGER_IMPORT_KEEP_HOURS (beat, hourly).

    Row-level security shows one company at a time, so this walks the companies (one indexed
    UPDATE each). Returns how many uploads lost their rows.
    """
    now = now or timezone.now()
    horizon = now - timedelta(hours=settings.LEDGER_IMPORT_KEEP_HOURS)
    forgotten = 0
    for company_id in Company.objects.exclude(status=Company.Status.PURGED).values_list("pk", flat=True):
        with tenant_context(company_id), transaction.atomic():
            waiting = BankImport.objects.filter(company_id=company_id, created_at__lt=horizon)
            forgotten += waiting.filter(status=Status.PREVIEW).update(status=Status.EXPIRED, payload="")
            forgotten += waiting.filter(status=Status.FAILED).exclude(payload="").update(payload="")
            # A confirmed import whose worker died and that nobody retried: failed, its rows forgotten.
            stuck = BankImport.objects.filter(company_id=company_id, status__in=[Status.PENDING, Status.RUNNING],
                                              created_at__lt=horizon - STALE_AFTER)
            forgotten += stuck.update(status=Status.FAILED, payload="",
                                      error="It stopped before it finished; nothing was imported. Upload it again.")
    return forgotten
