"""PUR-4, RET-4: legal holds stop the purge; and the purge is exactly-once under crashes and concurrency.

The crash test kills a real Celery worker process (SIGKILL) in the middle of a purge, then lets
the next run finish it, and checks every row was deleted and counted exactly once.
"""

from __future__ import annotations

import signal
import threading
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import AuditEvent
from accounts.tenancy import tenant_context
from ledger.models import BankTransaction
from retention import purge, services
from retention.models import DeletionCertificate, ScheduledPurge
from softhelpers.celery import app as celery_app
from tests.conftest import Tenant, wait_for
from tests.workers import start_worker


def _close(tenant: Tenant) -> ScheduledPurge:
    return services.close_company(company=tenant.company, actor=tenant.owner, reason=ScheduledPurge.Reason.OWNER)


def _hold(scheduled: ScheduledPurge, reference: str = "Court order 12/2026"):
    """A hold reviewed three months after the purge was due (whatever day the test runs on)."""
    return services.place_legal_hold(company=scheduled.company, actor=None, reason="Tax audit of the fiscal year 2025",
                                     reference=reference, review_on=(scheduled.due_at + timedelta(days=90)).date())


def _contacts_left(tenant: Tenant) -> int:
    with tenant_context(tenant.company.pk):
        return purge._count("ledger_contact", tenant.company.pk)


def _more_transactions(tenant: Tenant, count: int) -> None:
    with tenant_context(tenant.company.pk):
        BankTransaction.objects.bulk_create(
            BankTransaction(company=tenant.company, bank_account=tenant.bank_account, booked_on=date(2026, 2, 1),
                            description=f"Payment {n}", counterparty="ACMESECRET Payer", amount=Decimal("1.00"))
            for n in range(count))


@pytest.mark.policy("PUR-4")
@pytest.mark.policy("RET-4")
@pytest.mark.django_db
def test_hold_placed_before_the_due_date_blocks_the_purge_until_released(acme):
    scheduled = _close(acme)
    hold = _hold(scheduled)
    late = scheduled.due_at + timedelta(days=10)
    assert purge.run_due_purges(as_of=late) == []
    assert purge.purge_company(purge_id=scheduled.pk, as_of=late) is purge.Result.HELD
    assert _contacts_left(acme) == 1
    assert [due for _, due, _ in purge.dry_run(as_of=late)] == [False]

    services.release_legal_hold(hold=hold, actor=None)
    assert [o.result for o in purge.run_due_purges(as_of=late)] == [purge.Result.DONE]
    assert _contacts_left(acme) == 0
    holds = DeletionCertificate.objects.get(purge=scheduled).body["legal_holds"]
    assert holds[0]["reference"] == "Court order 12/2026" and holds[0]["released_at"]
    assert holds[0]["review_on"] == hold.review_on.isoformat()
    events = set(AuditEvent.objects.filter(company_id=acme.company.pk).values_list("event", flat=True))
    assert {AuditEvent.Event.LEGAL_HOLD_PLACED, AuditEvent.Event.LEGAL_HOLD_RELEASED} <= events


@pytest.mark.policy("PUR-4")
@pytest.mark.policy("RET-4")
@pytest.mark.django_db
def test_hold_placed_during_a_purge_stops_it_before_the_next_batch(acme, settings):
    settings.RETENTION_PURGE_BATCH_ROWS = 3
    _more_transactions(acme, 20)
    scheduled = _close(acme)
    seen: list[int] = []

    def place_hold_after_the_first_batch(progress: ScheduledPurge) -> None:
        seen.append(progress.rows_done)
        if progress.rows_done and len(seen) < 100 and not acme.company.legal_holds.exists():
            _hold(scheduled, reference="Subpoena 7")

    result = purge.purge_company(purge_id=scheduled.pk, as_of=scheduled.due_at,
                                 progress=place_hold_after_the_first_batch)
    assert result is purge.Result.HELD
    scheduled.refresh_from_db()
    stopped_at = scheduled.rows_done
    assert 0 < stopped_at <= 3 and scheduled.state == ScheduledPurge.State.SCHEDULED
    assert AuditEvent.objects.filter(event=AuditEvent.Event.PURGE_HELD).count() == 1
    assert not DeletionCertificate.objects.exists()

    services.release_legal_hold(hold=acme.company.legal_holds.get(), actor=None)
    assert purge.purge_company(purge_id=scheduled.pk, as_of=scheduled.due_at) is purge.Result.DONE
    scheduled.refresh_from_db()
    assert scheduled.rows_done == scheduled.rows_total >= 27


@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_purge_the_company_once(acme, settings):
    settings.RETENTION_PURGE_BATCH_ROWS = 2
    settings.RETENTION_PURGE_PAUSE_MS = 20
    _more_transactions(acme, 10)
    scheduled = _close(acme)
    start = threading.Barrier(2)
    results: list[purge.Result] = []

    def runner() -> None:
        try:
            start.wait()
            results.append(purge.purge_company(purge_id=scheduled.pk, as_of=scheduled.due_at))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == sorted([purge.Result.DONE, purge.Result.BUSY])
    scheduled.refresh_from_db()
    assert scheduled.rows_done == scheduled.rows_total and DeletionCertificate.objects.count() == 1
    assert AuditEvent.objects.filter(event=AuditEvent.Event.PURGE_COMPLETED).count() == 1


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_worker_killed_mid_purge_leaves_a_state_the_next_run_finishes(acme):
    _more_transactions(acme, 400)
    scheduled = _close(acme)
    ScheduledPurge.objects.filter(pk=scheduled.pk).update(due_at=scheduled.closed_at)  # due now
    queue = f"purge-crash-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue, RETENTION_PURGE_BATCH_ROWS="10", RETENTION_PURGE_PAUSE_MS="40")
    try:
        celery_app.send_task("retention.run_due_purges", queue=queue)

        def mid_purge() -> bool:
            progress = ScheduledPurge.objects.get(pk=scheduled.pk)
            return progress.step == ScheduledPurge.Step.ROWS and progress.rows_done >= 50

        assert wait_for(mid_purge, timeout=60), worker.stderr.read().decode()[-2000:] if worker.poll() is not None else "no progress"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)

    crashed = ScheduledPurge.objects.get(pk=scheduled.pk)
    assert crashed.state == ScheduledPurge.State.RUNNING and 50 <= crashed.rows_done < crashed.rows_total
    # The dead worker's connection, and with it its claim, goes away with the process.
    assert wait_for(lambda: purge.purge_company(purge_id=scheduled.pk) is purge.Result.DONE, timeout=20)
    done = ScheduledPurge.objects.get(pk=scheduled.pk)
    assert done.state == ScheduledPurge.State.DONE and done.rows_done == done.rows_total
    body = DeletionCertificate.objects.get(purge=done).body
    assert body["rows_deleted"]["ledger_banktransaction"] == 401 and body["rows_remaining_total"] == 0
    assert AuditEvent.objects.filter(event=AuditEvent.Event.PURGE_STARTED, company_id=acme.company.pk).count() == 1
