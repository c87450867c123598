"""Writes of the privacy app: exports, their one download, and staff support access (PUR-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts import outbox
from accounts.audit import record_event
from accounts.models import AuditEvent, Company, User
from accounts.tenancy import tenant_context, tenant_service
from privacy import exports
from privacy.exceptions import ExportUnavailable, SupportAccessRefused
from privacy.models import DataExport, SupportGrant
from privacy.selectors import active_support_grant

_DOWNLOAD_SALT = "privacy.export-download"


@outbox.handler("privacy.start_export")
def start_export(*, company_id: int, export_id: int) -> None:
    """Hand the build to a worker (the outbox made sure this runs once the request committed)."""
    from privacy.tasks import build_export_task

    build_export_task.apply_async(kwargs={"company_id": company_id, "export_id": export_id})


@tenant_service
def request_export(*, company: Company, actor: User) -> DataExport:
    """Start building the company's export, or return the one already being built."""
    running = DataExport.objects.filter(company=company, status__in=[DataExport.Status.PENDING,
                                                                     DataExport.Status.RUNNING]).first()
    if running:
        return running
    export = DataExport.objects.create(company=company, requested_by_id=actor.pk,
                                       file_name=exports.new_file_name(company.pk))
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


@transaction.atomic
def grant_support_access(*, company: Company, actor: User, days: int, now: datetime | None = None) -> SupportGrant:
    """Let staff view the company's data until ``now + days`` (at most PRIVACY_SUPPORT_GRANT_MAX_DAYS)."""
    if not 1 <= days <= settings.PRIVACY_SUPPORT_GRANT_MAX_DAYS:
        raise SupportAccessRefused(f"Support access lasts 1 to {settings.PRIVACY_SUPPORT_GRANT_MAX_DAYS} days.")
    now = now or timezone.now()
    revoke_support_access(company=company, actor=actor, now=now, audit=False)
    grant = SupportGrant.objects.create(company=company, granted_by_id=actor.pk, created_at=now,
                                        expires_at=now + timedelta(days=days))
    record_event(event=AuditEvent.Event.SUPPORT_ACCESS_GRANTED, company_id=company.pk, actor_id=actor.pk,
                 subject=grant, data={"days": days})
    return grant


@transaction.atomic
def revoke_support_access(*, company: Company, actor: User | None, now: datetime | None = None,
                          audit: bool = True) -> int:
    now = now or timezone.now()
    revoked = SupportGrant.objects.filter(company=company, revoked_at__isnull=True, expires_at__gt=now).update(
        revoked_at=now)
    if revoked and audit:
        record_event(event=AuditEvent.Event.SUPPORT_ACCESS_REVOKED, company_id=company.pk,
                     actor_id=actor.pk if actor else None)
    return revoked


@transaction.atomic
def view_company_data_as_staff(*, company: Company, staff: User, limit: int) -> tuple[SupportGrant, list[StaffTable]]:
    """The first ``limit`` records of each kind, for staff, under the company's active grant (PUR-3).

    Raise SupportAccessRefused without a grant, or for staff without the officer's permission;
    every view that returns data is audited.
    """
    if not staff.has_perm("privacy.view_company_data"):
        raise SupportAccessRefused("Only the Privacy officer may open a company's data.")
    grant = active_support_grant(company=company)
    if grant is None:
        raise SupportAccessRefused("This company has not granted support access.")
    tables = []
    with tenant_context(company.pk):
        for model in exports.exported_models():
            fields = exports.exported_fields(model)
            rows = [[getattr(r, f.attname) for f in fields]
                    for r in exports.company_rows(model, company.pk).order_by("pk")[:limit]]
            tables.append(StaffTable(str(model._meta.verbose_name_plural), [f.name for f in fields], rows))
        record_event(event=AuditEvent.Event.STAFF_VIEWED_PI, company_id=company.pk, actor_id=staff.pk,
                     data={"view": "company data", "rows": sum(len(t.rows) for t in tables)})
    return grant, tables


@dataclass(frozen=True)
class StaffTable:
    label: str
    columns: list[str]
    rows: list[list[Any]]


@tenant_service
def discard_company_exports(*, company: Company, now: datetime | None = None) -> int:
    """A closed company's exports can no longer be downloaded: end them and delete their files now."""
    now = now or timezone.now()
    discarded = 0
    open_states = [DataExport.Status.PENDING, DataExport.Status.RUNNING, DataExport.Status.READY]
    for export in DataExport.objects.filter(company=company, status__in=open_states):
        if export.file_name:
            exports.file_path(export).unlink(missing_ok=True)
        export.status = DataExport.Status.EXPIRED
        export.save(update_fields=["status"])
        record_event(event=AuditEvent.Event.EXPORT_EXPIRED, company_id=company.pk, actor_id=None, subject=export,
                     now=now)
        discarded += 1
    return discarded
