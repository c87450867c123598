"""The purge engine: a closed company's personal information, destroyed in resumable steps.

See ``retention/README.md`` for the states and the reasoning. In short, for one purge:

* the claim is a session-level advisory lock, tried without waiting (one runner per company;
  a runner that dies loses it with its connection), and every step also locks the purge row
  and re-reads the checkpoint, so each unit of work is done once;
* every step is one transaction that does its work and advances the checkpoint together;
* every step first checks for an active legal hold and stops if there is one;
* rows are deleted with raw SQL by ``company_id`` in bounded batches, children before parents,
  never through Django's cascade collector (which loads every row into memory).

The plan is read from the privacy registry: every model whose scope is "company" except the
company row itself (which becomes a tombstone). ``KEPT_WITH_COMPANY_ID`` names the tables that
carry a company id and deliberately survive; a test fails for any other table left out.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage as ParsedMessage
from enum import StrEnum

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.audit import record_event
from accounts.emails import COMPANY_HEADER
from accounts.mail import remove_mail_files
from accounts.models import AuditEvent, Company, Membership
from accounts.tenancy import TenantModel, tenant_context
from consent import services as consent_services
from ledger.models import BankTransaction, Invoice
from privacy import exports, keys, policy, registry, statistics
from privacy.models import ExportJob
from retention.emails import send_certificate
from retention.models import DeletionCertificate, LegalHold, RetainedAggregate, ScheduledPurge

logger = logging.getLogger(__name__)

KEPT_WITH_COMPANY_ID = {
    "accounts_auditevent": "ids and event types only; the audit trail outlives the company (SAF-1)",
    "retention_scheduledpurge": "the purge's own record and checkpoint; its contact email is blanked",
    "retention_legalhold": "the officer's legal basis for keeping data (RET-4)",
    "retention_deletioncertificate": "the proof of deletion",
}
# Tables with a company id that the cleanup step empties of the company's rows, not the batches.
ERASED_IN_CLEANUP = {
    "consent_consentevent": "consent.services.forget: the company's chain, with its users' chains",
    "consent_consent": "consent.services.forget, with the events",
    "privacy_exportjob": "closing ends the exports and their jobs; the cleanup deletes any left, with the files",
}
_LOCK_NAMESPACE = 0x50524745  # pg_try_advisory_lock(namespace, purge id): "PRGE"
MAX_NOTIFY_FAILURES = 5
State, Step = ScheduledPurge.State, ScheduledPurge.Step


Progress = Callable[[ScheduledPurge], None]  # called after each committed step or batch


class Result(StrEnum):
    DONE = "done"
    HELD = "held"
    BUSY = "busy"  # another runner holds the claim
    NOT_DUE = "not due"
    NOTIFY_FAILED = "notify failed"  # the rest is done; sending the certificate is retried


@dataclass(frozen=True)
class Outcome:
    purge_id: int
    company_id: int
    result: Result


# --- the plan -----------------------------------------------------------------------------------

@functools.cache
def purge_plan() -> tuple[type[models.Model], ...]:
    """The company's tables in a safe deletion order: a table before every table it references."""
    pending = [m for m in registry.models_in_scope(registry.Scope.COMPANY) if m is not Company]
    ordered: list[type[models.Model]] = []
    while pending:
        referenced = {f.related_model for m in pending for f in m._meta.concrete_fields
                      if f.is_relation and f.related_model is not m}
        ready = [m for m in pending if m not in referenced]
        if not ready:
            raise RuntimeError(f"circular references among {[m._meta.label for m in pending]}")
        ordered += ready
        pending = [m for m in pending if m not in ready]
    return tuple(ordered)


def tables_with_company_id() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
                       "AND column_name = 'company_id' ORDER BY table_name")
        return [name for (name,) in cursor.fetchall()]


def _count(table: str, company_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE company_id = %s', [company_id])  # noqa: S608
        return int(cursor.fetchone()[0])


def _delete_batch(model: type[models.Model], company_id: int, limit: int) -> int:
    """Up to ``limit`` rows of the closed company, by physical row address (no second index lookup).

    Tenant tables go through ``retention_purge_rows`` (``retention/purge_rows.sql``: no per-row
    key checks); the few directory rows (memberships, support grants) are plain deletes.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if issubclass(model, TenantModel):
            cursor.execute("SELECT retention_purge_rows(%s, %s::regclass, %s)", [company_id, table, limit])
            return int(cursor.fetchone()[0])
        cursor.execute(
            f'DELETE FROM "{table}" WHERE ctid = ANY(ARRAY('  # noqa: S608 (names come from model meta)
            f'SELECT ctid FROM "{table}" WHERE company_id = %s LIMIT %s))', [company_id, limit])
        return cursor.rowcount


# --- running --------------------------------------------------------------------------------------

def due_purges(*, as_of: datetime) -> models.QuerySet[ScheduledPurge]:
    """Purges whose time has come and that no active legal hold stops, oldest first."""
    held = LegalHold.objects.active_for(models.OuterRef("company_id"))
    return (ScheduledPurge.objects.exclude(state=State.DONE).filter(due_at__lte=as_of)
            .exclude(models.Exists(held)).order_by("due_at", "pk"))


def held_overdue(*, as_of: datetime) -> int:
    """Purges past their date that a legal hold keeps waiting."""
    overdue = ScheduledPurge.objects.exclude(state=State.DONE).filter(due_at__lte=as_of)
    return overdue.count() - due_purges(as_of=as_of).count()


def run_due_purges(*, as_of: datetime | None = None, progress: Progress | None = None) -> list[Outcome]:
    """What the hourly beat runs: every due purge, to the end or until a hold stops it."""
    as_of = as_of or timezone.now()
    outcomes = []
    for purge_id, company_id in list(due_purges(as_of=as_of).values_list("pk", "company_id")):
        try:
            result = purge_company(purge_id=purge_id, as_of=as_of, progress=progress)
            outcomes.append(Outcome(purge_id, company_id, result))
        except Exception:
            # One company's failure must not keep the others' data past its date.
            logger.exception("purge %s failed; it resumes from its checkpoint at the next run", purge_id)
    return outcomes


def purge_company(*, purge_id: int, as_of: datetime | None = None, progress: Progress | None = None) -> Result:
    """Run one purge from its checkpoint until it is done, held, or claimed by another runner."""
    as_of = as_of or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, purge_id % 2**31])
        if not cursor.fetchone()[0]:
            return Result.BUSY
    try:
        while True:
            result = _advance(purge_id, as_of, progress)
            if result is not None:
                return result
            pause = settings.RETENTION_PURGE_PAUSE_MS
            if pause:
                time.sleep(pause / 1000)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, purge_id % 2**31])


def _advance(purge_id: int, as_of: datetime, progress: Progress | None = None) -> Result | None:
    """Do the next unit of work in one transaction; a Result when the run should stop."""
    with transaction.atomic():
        purge = ScheduledPurge.objects.select_for_update().select_related("company").get(pk=purge_id)
        if purge.state == State.DONE:
            return Result.DONE
        now = timezone.now()
        if LegalHold.objects.active_for(purge.company_id).exists():
            if purge.state == State.RUNNING:
                purge.state = State.SCHEDULED
                purge.save(update_fields=["state"])
                record_event(event=AuditEvent.Event.PURGE_HELD, company_id=purge.company_id, actor_id=None,
                             subject=purge, data={"step": purge.step, "rows_deleted": purge.rows_done}, now=now)
            return Result.HELD
        if purge.due_at > as_of:
            return Result.NOT_DUE
        if purge.state == State.SCHEDULED:
            purge.state, purge.started_at = State.RUNNING, purge.started_at or now
        purge.last_progress_at = now
        result = STEPS[Step(purge.step)](purge, now)
    if progress is not None:
        progress(purge)
    return result


def _start(purge: ScheduledPurge, now: datetime) -> None:
    company_id = purge.company_id
    with tenant_context(company_id):
        purge.keys_destroyed = keys.destroy_company_keys(company_id)
        counted = _retain_aggregates(company_id)
        purge.member_ids = sorted(Membership.objects.filter(company_id=company_id).values_list("user_id", flat=True))
        purge.rows_total = sum(counted[m._meta.db_table] if m._meta.db_table in counted
                               else _count(m._meta.db_table, company_id) for m in purge_plan())
    purge.step, purge.table_index, purge.rows_deleted = Step.ROWS, 0, {}
    purge.save()
    record_event(event=AuditEvent.Event.PURGE_STARTED, company_id=company_id, actor_id=None, subject=purge,
                 data={"keys_destroyed": purge.keys_destroyed, "rows": purge.rows_total}, now=now)


def _rows(purge: ScheduledPurge, now: datetime) -> None:
    plan = purge_plan()
    if purge.table_index >= len(plan):
        purge.step = Step.CLEANUP
    else:
        model = plan[purge.table_index]
        limit = settings.RETENTION_PURGE_BATCH_ROWS
        with tenant_context(purge.company_id):
            deleted = _delete_batch(model, purge.company_id, limit)
        table = model._meta.db_table
        purge.rows_deleted = {**purge.rows_deleted, table: purge.rows_deleted.get(table, 0) + deleted}
        if deleted < limit:
            purge.table_index += 1
    purge.save()


def _cleanup(purge: ScheduledPurge, now: datetime) -> None:
    company_id = purge.company_id
    orphans = account_selectors.users_without_any_company(purge.member_ids)
    former_emails = account_services.anonymise_users(user_ids=orphans, now=now)
    forgotten = consent_services.forget(company_id=company_id, user_ids=orphans)
    policy.forget_users(user_ids=orphans)
    _hold_back([(RetainedAggregate.consent_metric(p), month, n) for p, month, n in forgotten])
    files = exports.delete_company_files(company_id) + _remove_mail_files(company_id, former_emails)
    ExportJob.objects.filter(company_id=company_id).delete()
    Company.objects.filter(pk=company_id).update(name="")
    purge.users_anonymised += len(former_emails)
    purge.files_removed += files
    purge.step = Step.CERTIFY
    purge.save()


def _certify(purge: ScheduledPurge, now: datetime) -> None:
    company_id = purge.company_id
    with tenant_context(company_id):
        remaining = {table: _count(table, company_id) for table in tables_with_company_id()
                     if table not in KEPT_WITH_COMPANY_ID}
    if any(remaining.values()):  # only a bug or a writer to a closed company: go round again, loudly
        purge.step, purge.table_index = Step.ROWS, 0
        purge.save()
        logger.error("purge %s: rows left after the purge in %s; deleting again", purge.pk,
                     sorted(t for t, n in remaining.items() if n))
        return
    holds = [{"reference": h.reference, "reason": h.reason, "review_on": h.review_on.isoformat(),
              "placed_at": h.placed_at.isoformat(), "released_at": h.released_at.isoformat() if h.released_at else None}
             for h in LegalHold.objects.filter(company_id=company_id).order_by("placed_at")]
    body = {
        "company_id": company_id, "closed_at": purge.closed_at.isoformat(), "due_at": purge.due_at.isoformat(),
        "purged_at": now.isoformat(), "grace_days": settings.RETENTION_GRACE_DAYS, "reason": purge.reason,
        "rows_deleted": dict(sorted(purge.rows_deleted.items())), "rows_deleted_total": purge.rows_done,
        "rows_remaining": remaining, "rows_remaining_total": sum(remaining.values()),
        "keys_destroyed": purge.keys_destroyed, "users_anonymised": purge.users_anonymised,
        "files_removed": purge.files_removed, "legal_holds": holds,
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    DeletionCertificate.objects.create(purge=purge, company_id=company_id, issued_at=now,
                                       policy_version=policy.current_label(now=now), body=body, digest=digest)
    purge.step = Step.NOTIFY
    purge.save()


def _notify(purge: ScheduledPurge, now: datetime) -> Result:
    if purge.contact_email:
        try:
            send_certificate(purge.certificate, to=purge.contact_email)
        except Exception as exc:
            purge.notify_failures += 1
            logger.warning("purge %s: certificate email failed (%s), attempt %s", purge.pk, type(exc).__name__,
                           purge.notify_failures)
            if purge.notify_failures < MAX_NOTIFY_FAILURES:
                purge.save(update_fields=["notify_failures"])
                return Result.NOTIFY_FAILED
    purge.contact_email, purge.state, purge.step, purge.finished_at = "", State.DONE, Step.FINISHED, now
    purge.save()
    Company.objects.filter(pk=purge.company_id).update(status=Company.Status.PURGED, purged_at=now)
    record_event(event=AuditEvent.Event.PURGE_COMPLETED, company_id=purge.company_id, actor_id=None,
                 subject=purge.certificate, now=now,
                 data={"rows": purge.rows_done, "owner_notified": purge.notify_failures < MAX_NOTIFY_FAILURES})
    return Result.DONE


STEPS = {Step.START: _start, Step.ROWS: _rows, Step.CLEANUP: _cleanup, Step.CERTIFY: _certify, Step.NOTIFY: _notify}


# --- what survives, and the files -----------------------------------------------------------------

def _retain_aggregates(company_id: int) -> dict[str, int]:
    """Hold the company's monthly counts back for the anonymous totals (RET-5); no company id is kept.

    Returns the rows counted per table on the way, so that the start need not count them twice.
    """
    counts: list[tuple[str, date, int]] = []
    counted: dict[str, int] = {}
    sources = [
        (RetainedAggregate.Metric.USERS, Membership.objects.filter(company_id=company_id), "created_at"),
        (RetainedAggregate.Metric.INVOICES, Invoice.objects.filter(company_id=company_id), "issue_date"),
        (RetainedAggregate.Metric.BANK_TRANSACTIONS, BankTransaction.objects.filter(company_id=company_id),
         "booked_on"),
    ]
    for metric, rows, date_field in sources:
        counted[rows.model._meta.db_table] = 0
        for row in rows.annotate(month=TruncMonth(date_field)).values("month").annotate(n=Count("pk")):
            month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
            counts.append((metric.value, month, row["n"]))
            counted[rows.model._meta.db_table] += row["n"]
    _hold_back(counts)
    return counted


_PEND = """
INSERT INTO retention_retainedaggregate AS cell (metric, month, count, contributors, largest, pending_count,
                                                 pending_contributors, pending_largest)
VALUES (%s, %s, 0, 0, 0, %s, 1, %s)
ON CONFLICT (metric, month) DO UPDATE SET pending_count = cell.pending_count + EXCLUDED.pending_count,
    pending_contributors = cell.pending_contributors + 1,
    pending_largest = GREATEST(cell.pending_largest, EXCLUDED.pending_largest)
RETURNING id, pending_count, pending_contributors, pending_largest
"""
_RELEASE = """
UPDATE retention_retainedaggregate SET count = count + pending_count,
    contributors = contributors + pending_contributors, largest = GREATEST(largest, pending_largest),
    pending_count = 0, pending_contributors = 0, pending_largest = 0
WHERE id = %s
"""


def _hold_back(counts: list[tuple[str, date, int]]) -> None:
    """One purged company's ``(metric, month, count)`` rows: pending first, released once they hide it.

    The company is one contributor of each cell it touches. A cell's pending part joins its
    released total only when the pending companies pass the rules of ``privacy.statistics``
    (at least PRIVACY_AGGREGATE_MIN_CONTRIBUTORS, none over the dominance share), so the
    released total never moves by fewer companies than that. The upsert locks each cell until the
    purge step commits; cells are taken in one order, so two purges never wait on each other in a
    circle.
    """
    cells: dict[tuple[str, date], int] = defaultdict(int)
    for metric, month, n in counts:
        cells[(metric, month)] += n
    with connection.cursor() as cursor:
        for (metric, month), n in sorted(cells.items()):
            if not n:
                continue
            cursor.execute(_PEND, [metric, month, n, n])
            row_id, *pending = cursor.fetchone()
            if statistics.verdict(statistics.Figure(*pending)) is statistics.Verdict.SHOWN:
                cursor.execute(_RELEASE, [row_id])


def _remove_mail_files(company_id: int, addresses: list[str]) -> int:
    """Local mode's mailbox (``var/mail``): messages about the company or to its removed users."""
    wanted = {a.lower() for a in addresses}

    def about_company(headers: ParsedMessage) -> bool:
        recipients = {address.addr_spec.lower() for address in getattr(headers["to"], "addresses", ())}
        return headers.get(COMPANY_HEADER) == str(company_id) or bool(recipients & wanted)

    return remove_mail_files(about_company)


def dry_run(*, as_of: datetime | None = None) -> list[tuple[ScheduledPurge, bool, dict[str, int]]]:
    """Every purge not yet done: whether it is due now, and its rows per table. Changes nothing."""
    as_of = as_of or timezone.now()
    due = set(due_purges(as_of=as_of).values_list("pk", flat=True))
    report = []
    for purge in ScheduledPurge.objects.exclude(state=State.DONE).order_by("due_at"):
        with tenant_context(purge.company_id):
            counts = {m._meta.db_table: _count(m._meta.db_table, purge.company_id) for m in purge_plan()}
        report.append((purge, purge.pk in due, counts))
    return report
