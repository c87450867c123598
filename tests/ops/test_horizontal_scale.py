"""Workers scale out (issue 16): two real worker processes on one database share the claims, each job done once.

Two Celery worker processes consume one queue. Every outbox row is dispatched twice (as the
on-commit dispatch and the sweep can), the same company's export build is started twice and the
due purge is run twice; the claims (``FOR UPDATE SKIP LOCKED``, the export's attempt, the purge's
advisory lock) let each happen exactly once whichever worker gets there, and both workers work.
The single-process races are in tests/accounts/test_outbox.py, tests/privacy/test_export_recovery.py
and tests/retention/test_purge_safety.py; this is the same with separate processes.
"""

from __future__ import annotations

import socket
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.models import AuditEvent, OutboxMessage
from accounts.tenancy import tenant_context
from ledger.models import BankTransaction
from privacy import exports
from privacy import services as privacy_services
from privacy.models import DataExport, ExportJob
from retention import services as retention_services
from retention.models import DeletionCertificate, ScheduledPurge
from softhelpers.celery import app as celery_app
from tests.conftest import Tenant, wait_for
from tests.workers import start_worker

MESSAGES = 30


def _transactions(tenant: Tenant, count: int) -> None:
    with tenant_context(tenant.company.pk):
        BankTransaction.objects.bulk_create(
            BankTransaction(company=tenant.company, bank_account=tenant.bank_account, booked_on=date(2026, 2, 1),
                            description=f"Payment {n}", counterparty="Payer", amount=Decimal("1.00"))
            for n in range(count))


def _hostnames(names: list[str]) -> list[str]:
    return [f"{name}@{socket.gethostname()}" for name in names]


def _tasks_run(names: list[str]) -> dict[str, dict[str, int]]:
    """Per worker, how many tasks of each name it has run (Celery's remote control)."""
    stats = celery_app.control.inspect(destination=_hostnames(names), timeout=5).stats() or {}
    return {worker.split("@")[0]: info.get("total", {}) for worker, info in stats.items()}


def _both_answer(names: list[str]) -> bool:
    return len(celery_app.control.ping(destination=_hostnames(names), timeout=1)) == len(names)


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_two_worker_processes_deliver_each_outbox_row_build_the_export_and_purge_the_company_once(
        acme, globex, settings, tmp_path):
    mail_dir = tmp_path / "mail"
    queue = f"scale-{uuid.uuid4().hex[:8]}"
    names = [f"{queue}-{n}" for n in (1, 2)]
    _transactions(acme, 200)
    _transactions(globex, 200)
    export = privacy_services.request_export(company=acme.company, actor=acme.owner)
    scheduled = retention_services.close_company(company=globex.company, actor=globex.owner,
                                                 reason=ScheduledPurge.Reason.OWNER)
    ScheduledPurge.objects.filter(pk=scheduled.pk).update(due_at=scheduled.closed_at)  # due now
    rows = OutboxMessage.objects.bulk_create(  # not dispatched on commit: only this test's workers see them
        OutboxMessage(handler="accounts.welcome_email", payload={"user_id": acme.owner.pk}) for _ in range(MESSAGES))

    environment = {"MAIL_DIR": str(mail_dir), "PRIVACY_EXPORT_DIR": str(settings.PRIVACY_EXPORT_DIR),
                   "PRIVACY_EXPORT_BATCH_ROWS": "10", "PRIVACY_EXPORT_PAUSE_MS": "20",
                   "RETENTION_PURGE_BATCH_ROWS": "10", "RETENTION_PURGE_PAUSE_MS": "20"}
    workers = [start_worker(queue, name=name, **environment) for name in names]
    try:
        assert wait_for(lambda: _both_answer(names), timeout=60), "the workers did not start"
        for _ in range(2):  # twice each, one after the other: the two workers take them at the same time
            celery_app.send_task("retention.run_due_purges", queue=queue)
        for _ in range(2):
            celery_app.send_task("privacy.build_export", queue=queue,
                                 kwargs={"company_id": acme.company.pk, "export_id": export.pk})
        for row in rows:
            for _ in range(2):
                celery_app.send_task("outbox.deliver", kwargs={"message_id": row.pk}, queue=queue)

        def all_done() -> bool:
            with tenant_context(acme.company.pk):
                built = DataExport.objects.get(pk=export.pk).status == DataExport.Status.READY
            delivered = not OutboxMessage.objects.filter(pk__in=[r.pk for r in rows], delivered_at=None).exists()
            purged = ScheduledPurge.objects.get(pk=scheduled.pk).state == ScheduledPurge.State.DONE
            return built and delivered and purged

        assert wait_for(all_done, timeout=120), _stderr(workers)
        deadline = time.monotonic() + 30  # every task taken from the queue has run: nothing more can happen
        while sum(sum(t.values()) for t in _tasks_run(names).values()) < 4 + 2 * MESSAGES:
            assert time.monotonic() < deadline, _tasks_run(names)
            time.sleep(0.2)
        run = _tasks_run(names)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(20)

    assert all(sum(run[name].values()) > 0 for name in names), run  # both processes took work
    assert sum(t.get("outbox.deliver", 0) for t in run.values()) == 2 * MESSAGES

    assert set(OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list("attempts", flat=True)) == {1}
    welcomes = [p for p in mail_dir.glob("*.eml") if acme.owner.email in _headers(p)]
    assert len(welcomes) == MESSAGES  # one email per row, not two

    with tenant_context(acme.company.pk):
        built = DataExport.objects.get(pk=export.pk)
    assert built.status == DataExport.Status.READY and exports.file_path(built).exists()
    assert exports.partial_files(built) == [] and not ExportJob.objects.filter(export_id=export.pk).exists()
    assert AuditEvent.objects.filter(event=AuditEvent.Event.EXPORT_READY, company_id=acme.company.pk).count() == 1

    done = ScheduledPurge.objects.get(pk=scheduled.pk)
    assert done.rows_done == done.rows_total and DeletionCertificate.objects.filter(purge=done).count() == 1
    assert DeletionCertificate.objects.get(purge=done).body["rows_deleted"]["ledger_banktransaction"] == 201
    for event in (AuditEvent.Event.PURGE_STARTED, AuditEvent.Event.PURGE_COMPLETED):
        assert AuditEvent.objects.filter(event=event, company_id=globex.company.pk).count() == 1


def _headers(path: Path) -> str:
    return path.read_text(errors="replace").split("\n\n", 1)[0]


def _stderr(workers: list[Any]) -> str:
    dead = [w for w in workers if w.poll() is not None]
    return "; ".join(w.stderr.read().decode()[-1500:] for w in dead) or "no worker died; still waiting"
