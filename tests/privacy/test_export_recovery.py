"""Exports that always finish or say why (issue 15; PUR-5, SAF-2).

A build whose worker died (SIGKILL of a real worker here) leaves a partial file of personal data
and an export "Being prepared" for good. The stall sweep deletes the partial file at once and
starts the export again, then fails it after ``PRIVACY_EXPORT_MAX_ATTEMPTS`` builds; the owner
can always ask again. One export per company is in progress at a time, enforced by the database.
"""

from __future__ import annotations

import signal
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, OutboxMessage
from accounts.tenancy import tenant_context
from ledger.models import BankTransaction
from privacy import exports, services
from privacy.models import DataExport, ExportJob
from privacy.tasks import build_export_task
from softhelpers.celery import app as celery_app
from tests.conftest import Tenant, in_parallel, wait_for
from tests.workers import start_worker

pytestmark = pytest.mark.policy("PUR-5", "SAF-2")


def _request(tenant: Tenant) -> DataExport:
    with tenant_context(tenant.company.pk):
        return services.request_export(company=tenant.company, actor=tenant.owner)


def _export(tenant: Tenant, export_id: int) -> DataExport:
    with tenant_context(tenant.company.pk):
        return DataExport.objects.get(pk=export_id)


def _stall(export: DataExport, *, minutes_ago: int, attempt: int) -> None:
    """As a worker that died mid-build leaves it: running, a partial file, no heartbeat since."""
    with tenant_context(export.company_id):
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.RUNNING, progress=9)
    ExportJob.objects.filter(export_id=export.pk).update(
        attempt=attempt, heartbeat_at=timezone.now() - timedelta(minutes=minutes_ago))
    (exports.export_dir() / f"{export.file_name}.{attempt}.part").write_bytes(b"PK partial ACMESECRET rows")


@pytest.mark.django_db
def test_a_stalled_export_loses_its_partial_file_at_once_and_is_built_again(acme, settings):
    export = _request(acme)
    _stall(export, minutes_ago=settings.PRIVACY_EXPORT_STALL_MINUTES + 1, attempt=1)
    assert _request(acme).pk == export.pk  # still in progress: the same one comes back

    assert services.recover_stalled_exports() == 1
    assert exports.partial_files(export) == []  # deleted by the sweep, not when a worker gets to it
    recovered = _export(acme, export.pk)
    assert (recovered.status, recovered.progress) == (DataExport.Status.PENDING, 0)
    message = OutboxMessage.objects.filter(handler="privacy.start_export").latest("id")
    assert message.payload == {"company_id": acme.company.pk, "export_id": export.pk}
    assert services.recover_stalled_exports() == 0  # its heartbeat is fresh again

    build_export_task.run(**message.payload)  # what the worker runs for that message
    built = _export(acme, export.pk)
    assert built.status == DataExport.Status.READY and exports.file_path(built).exists()
    assert not ExportJob.objects.filter(export_id=export.pk).exists()


@pytest.mark.django_db
def test_an_export_that_keeps_stalling_fails_and_the_owner_can_ask_again(acme, settings, client):
    export = _request(acme)
    _stall(export, minutes_ago=settings.PRIVACY_EXPORT_STALL_MINUTES + 1, attempt=settings.PRIVACY_EXPORT_MAX_ATTEMPTS)
    assert services.recover_stalled_exports() == 1
    failed = _export(acme, export.pk)
    assert failed.status == DataExport.Status.FAILED and exports.partial_files(export) == []
    event = AuditEvent.objects.get(event=AuditEvent.Event.EXPORT_FAILED, company_id=acme.company.pk)
    assert event.data == {"attempts": settings.PRIVACY_EXPORT_MAX_ATTEMPTS}
    client.force_login(acme.owner)
    page = client.get(f"/companies/{acme.company.pk}/export/").content.decode()
    assert "could not be finished and nothing of it was kept" in page
    assert _request(acme).pk != export.pk  # a new one, not the failed one


@pytest.mark.django_db
def test_a_build_that_was_superseded_stops_and_keeps_no_file(acme, settings, monkeypatch):
    """A worker presumed dead was only slow: when the sweep's new build starts, the old one stops."""
    settings.PRIVACY_EXPORT_BATCH_ROWS = 1
    export = _request(acme)
    report = exports._report_progress

    def newer_build_starts(*args, **kwargs):
        ExportJob.objects.filter(export_id=export.pk).update(attempt=5)
        return report(*args, **kwargs)

    monkeypatch.setattr(exports, "_report_progress", newer_build_starts)
    exports.build_export(company_id=acme.company.pk, export_id=export.pk)
    assert _export(acme, export.pk).status == DataExport.Status.RUNNING  # left to the newer build
    assert exports.partial_files(export) == [] and not exports.file_path(export).exists()


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_export(acme):
    """The check-then-insert races; the partial unique index decides (export_one_in_progress_per_company)."""
    made = in_parallel(2, lambda: _request(acme).pk)
    assert len(made) == 2 and made[0] == made[1]
    with tenant_context(acme.company.pk):
        assert DataExport.objects.filter(company=acme.company).count() == 1
    assert AuditEvent.objects.filter(event=AuditEvent.Event.EXPORT_REQUESTED, company_id=acme.company.pk).count() == 1


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_worker_killed_mid_export_is_recovered_by_the_sweep(acme, settings):
    with tenant_context(acme.company.pk):
        BankTransaction.objects.bulk_create(
            BankTransaction(company=acme.company, bank_account=acme.bank_account, booked_on=timezone.localdate(),
                            description=f"Payment {n}", counterparty="ACMESECRET Payer", amount=Decimal("1.00"))
            for n in range(400))
    export = _request(acme)
    queue = f"export-crash-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue, PRIVACY_EXPORT_BATCH_ROWS="10", PRIVACY_EXPORT_PAUSE_MS="40",
                          PRIVACY_EXPORT_DIR=str(settings.PRIVACY_EXPORT_DIR))
    try:
        celery_app.send_task("privacy.build_export", kwargs={"company_id": acme.company.pk, "export_id": export.pk},
                             queue=queue)
        assert wait_for(lambda: _export(acme, export.pk).progress >= 10, timeout=60), (
            worker.stderr.read().decode()[-2000:] if worker.poll() is not None else "no progress")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)

    stuck = _export(acme, export.pk)
    assert stuck.status == DataExport.Status.RUNNING and 10 <= stuck.progress < 100
    assert len(exports.partial_files(export)) == 1  # the dead worker's partial file of personal data
    assert services.recover_stalled_exports() == 0  # not yet: the worker might only be slow
    later = timezone.now() + timedelta(minutes=settings.PRIVACY_EXPORT_STALL_MINUTES + 1)
    assert services.recover_stalled_exports(now=later) == 1
    assert exports.partial_files(export) == []
    message = OutboxMessage.objects.filter(handler="privacy.start_export").latest("id")
    build_export_task.run(**message.payload)
    done = _export(acme, export.pk)
    assert done.status == DataExport.Status.READY and done.rows_written >= 400


@pytest.mark.django_db
def test_a_duplicate_start_steps_aside_while_a_build_is_alive(acme):
    """A redelivered task or a second start must not supersede a healthy build and use up its attempts."""
    export = _request(acme)
    with tenant_context(acme.company.pk):
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.RUNNING)
    ExportJob.objects.filter(export_id=export.pk).update(attempt=1, heartbeat_at=timezone.now())
    exports.build_export(company_id=acme.company.pk, export_id=export.pk)
    assert ExportJob.objects.get(export_id=export.pk).attempt == 1  # not taken over
    assert _export(acme, export.pk).status == DataExport.Status.RUNNING


@pytest.mark.django_db
def test_an_export_whose_start_waits_in_the_outbox_is_not_started_twice(acme, settings):
    """The broker is behind: the start is still queued, so the sweep only notes it (no second start to race it)."""
    export = _request(acme)  # its start is in the outbox, undelivered (the test broker never ran it)
    ExportJob.objects.filter(export_id=export.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=settings.PRIVACY_EXPORT_STALL_MINUTES + 1))
    starts = OutboxMessage.objects.filter(handler="privacy.start_export").count()
    assert services.recover_stalled_exports() == 1
    assert OutboxMessage.objects.filter(handler="privacy.start_export").count() == starts
    assert _export(acme, export.pk).status == DataExport.Status.PENDING
