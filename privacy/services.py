"""Writes of the privacy app: exports and their one download; the audit of the officer's reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import BinaryIO

from celery import current_app
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import outbox
from accounts import services as account_services
from accounts.audit import record_event
from accounts.models import AuditEvent, Company, OutboxMessage, User
from accounts.tenancy import tenant_context, tenant_service
from privacy import exports
from privacy.exceptions import ExportUnavailable
from privacy.models import DataExport, ExportJob

_DOWNLOAD_SALT = "privacy.export-download"
BUILD_EXPORT_TASK = "privacy.build_export"


@outbox.handler("privacy.start_export")
def start_export(*, company_id: int, export_id: int) -> None:
    """Hand the build to a worker (the outbox made sure this runs once the request committed).

    By the task's name, as the outbox does: the tasks call services, services never import tasks.
    """
    current_app.send_task(BUILD_EXPORT_TASK, kwargs={"company_id": company_id, "export_id": export_id})


@tenant_service
def request_export(*, company: Company, actor: User) -> DataExport:
    """Start building the company's export, or return the one already being built.

    Raise EmailNotVerified while the owner's address is unproven: the export is all the company's data.
    """
    account_services.require_verified_email(actor)
    running = DataExport.objects.filter(company=company, status__in=exports.OPEN_STATES).first()
    if running:
        return running
    try:
        with transaction.atomic():
            export = DataExport.objects.create(company=company, requested_by_id=actor.pk,
                                               file_name=exports.new_file_name(company.pk))
    except IntegrityError:  # a request at the same moment made it first (export_one_in_progress_per_company)
        return DataExport.objects.get(company=company, status__in=exports.OPEN_STATES)
    ExportJob.objects.create(company=company, export_id=export.pk, heartbeat_at=timezone.now())
    record_event(event=AuditEvent.Event.EXPORT_REQUESTED, company_id=company.pk, actor_id=actor.pk, subject=export)
    outbox.enqueue(start_export, company_id=company.pk, export_id=export.pk)
    return export


def download_token(export: DataExport) -> str:
    """The signed part of the download link (it also expires on its own)."""
    return signing.dumps({"export": export.pk, "file": export.file_name}, salt=_DOWNLOAD_SALT)


@tenant_service
def claim_download(*, company: Company, export_id: int, token: str, actor: User,
                   now: datetime | None = None) -> BinaryIO:
    """Use the one download of a ready export: return its file, open and already unlinked.

    The open handle still streams the file; nothing of it stays on disk. Raise
    ExportUnavailable for a bad, used or expired link, or a file that is gone.
    """
    now = now or timezone.now()
    try:
        signed = signing.loads(token, salt=_DOWNLOAD_SALT, max_age=timedelta(hours=settings.PRIVACY_EXPORT_TTL_HOURS))
    except signing.BadSignature as exc:
        raise ExportUnavailable("This download link is not valid or has expired.") from exc
    claimed = DataExport.objects.filter(pk=export_id, company=company, file_name=signed.get("file"),
                                        status=DataExport.Status.READY, expires_at__gt=now)
    if signed.get("export") != export_id or not claimed.update(status=DataExport.Status.DOWNLOADED,
                                                               downloaded_at=now):
        raise ExportUnavailable("This export was already downloaded or has expired. Prepare a new one.")
    export = DataExport.objects.get(pk=export_id)
    record_event(event=AuditEvent.Event.EXPORT_DOWNLOADED, company_id=company.pk, actor_id=actor.pk, subject=export)
    path = exports.file_path(export)
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        raise ExportUnavailable("This export's file is gone. Prepare a new one.") from exc
    path.unlink()
    return handle


@tenant_service
def discard_company_exports(*, company: Company, now: datetime | None = None) -> int:
    """A closed company's exports can no longer be downloaded: end them and delete their files now."""
    now = now or timezone.now()
    discarded = 0
    open_states = [DataExport.Status.PENDING, DataExport.Status.RUNNING, DataExport.Status.READY]
    for export in DataExport.objects.filter(company=company, status__in=open_states):
        if export.file_name:
            exports.file_path(export).unlink(missing_ok=True)
            for path in exports.partial_files(export):
                path.unlink(missing_ok=True)
        ExportJob.objects.filter(export_id=export.pk).delete()
        export.status = DataExport.Status.EXPIRED
        export.save(update_fields=["status"])
        record_event(event=AuditEvent.Event.EXPORT_EXPIRED, company_id=company.pk, actor_id=None, subject=export,
                     now=now)
        discarded += 1
    return discarded


@transaction.atomic
def record_report_access(*, actor: User, days: int, download: bool) -> None:
    """Audit one view of the Reports page, or one download of its CSV (the period only: it is about no one)."""
    event = AuditEvent.Event.REPORTS_DOWNLOADED if download else AuditEvent.Event.REPORTS_VIEWED
    record_event(event=event, company_id=None, actor_id=actor.pk, data={"days": days})


def recover_stalled_exports(*, now: datetime | None = None, limit: int = 500) -> int:
    """Exports whose build made no progress for ``PRIVACY_EXPORT_STALL_MINUTES`` (its worker died).

    The partial file, personal data, is deleted at once; the export is started again through the
    outbox, or failed once it has had ``PRIVACY_EXPORT_MAX_ATTEMPTS`` builds (the owner can then
    prepare a new one). Beat, every five minutes; safe to run twice (each job row is locked).
    Returns how many exports were handled.
    """
    now = now or timezone.now()
    horizon = now - timedelta(minutes=settings.PRIVACY_EXPORT_STALL_MINUTES)
    stalled = list(ExportJob.objects.filter(heartbeat_at__lt=horizon).order_by("heartbeat_at", "pk")
                   .values_list("company_id", "export_id")[:limit])
    for company_id, export_id in stalled:
        _recover(company_id=company_id, export_id=export_id, horizon=horizon, now=now)
    return len(stalled)


def _recover(*, company_id: int, export_id: int, horizon: datetime, now: datetime) -> None:
    with tenant_context(company_id):
        job = (ExportJob.objects.select_for_update(skip_locked=True)
               .filter(export_id=export_id, heartbeat_at__lt=horizon).first())
        if job is None:  # it moved on, or another sweep has it
            return
        export = DataExport.objects.filter(pk=export_id, status__in=exports.OPEN_STATES).first()
        if export is None:  # it ended without its job row (an older version): nothing to watch
            job.delete()
            return
        job.heartbeat_at = now
        job.save(update_fields=["heartbeat_at"])
        if export.status == DataExport.Status.PENDING and _start_still_queued(export_id):
            return  # not stalled: its start waits in the outbox (the broker is behind)
        for path in exports.partial_files(export):
            path.unlink(missing_ok=True)
        if job.attempt >= settings.PRIVACY_EXPORT_MAX_ATTEMPTS:
            exports.fail_export(company_id=company_id, export_id=export_id, attempt=job.attempt, now=now)
            return
        export.status, export.progress, export.rows_written = DataExport.Status.PENDING, 0, 0
        export.save(update_fields=["status", "progress", "rows_written"])
        outbox.enqueue(start_export, company_id=company_id, export_id=export_id)


def _start_still_queued(export_id: int) -> bool:
    """Whether a start of this export is still in the outbox, undelivered: one more would only race it."""
    return OutboxMessage.objects.filter(handler=start_export.outbox_name, delivered_at__isnull=True,  # type: ignore[attr-defined]
                                        payload__export_id=export_id).exists()
