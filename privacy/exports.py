"""The owner's copy of their company's data: a ZIP with JSON and CSV per model (registry-driven).

Built by a worker (``privacy.build_export``) in batches of ``PRIVACY_EXPORT_BATCH_ROWS`` rows, one short transaction
each, so memory stays flat and the page can show progress (committed after every batch). The
file is written as ``<name>.<attempt>.part`` and renamed when complete: a crashed build never
leaves a file that looks finished, and a rerun starts over. A build that stops making progress
(its worker was killed) is found by the stall sweep through ``ExportJob``, its partial file is
deleted at once, and it is retried, then failed (``services.recover_stalled_exports``). Credentials are left out (SHR-1: never shown
again). The ZIP's README carries the accuracy notice (ACCU-1).

Files are named ``<company id>-<random>.zip``, so the hourly sweep can expire them without a
query across companies.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import secrets
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from accounts.audit import record_event
from accounts.emails import render_plain_text
from accounts.models import AuditEvent, Company
from accounts.tenancy import tenant_context
from privacy import policy, registry
from privacy.models import DataExport, ExportJob

logger = logging.getLogger(__name__)


def export_dir() -> Path:
    path = Path(settings.PRIVACY_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def new_file_name(company_id: int) -> str:
    return f"{company_id}-{secrets.token_hex(16)}.zip"


def delete_company_files(company_id: int) -> int:
    """Every export file of the company, finished or partial (the purge); returns how many."""
    removed = 0
    for path in export_dir().glob(f"{company_id}-*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def file_path(export: DataExport) -> Path:
    return export_dir() / export.file_name


def exported_models() -> list[type[models.Model]]:
    return [m for m in registry.models_in_scope(registry.Scope.COMPANY) if registry.policy_for(m).exported]


def exported_fields(model: type[models.Model]) -> list[models.Field]:
    policy = registry.policy_for(model)
    return [model._meta.get_field(name) for name, field in policy.fields.items()  # type: ignore[misc]
            if field.exported and not model._meta.get_field(name).many_to_many]


def company_rows(model: type[models.Model], company_id: int) -> models.QuerySet:
    manager = model._default_manager
    return manager.filter(pk=company_id) if model is Company else manager.filter(company_id=company_id)


class Superseded(Exception):
    """A newer build of this export has started (the stall sweep, or a redelivered task): this one stops."""


OPEN_STATES = (DataExport.Status.PENDING, DataExport.Status.RUNNING)


# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text, never runs: a leading ``'`` before a formula start.

    Only text is changed (a negative amount stays a number); the JSON copy keeps the exact value.
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def partial_files(export: DataExport) -> list[Path]:
    """The ``.part`` files of every build attempt of ``export`` (each attempt writes its own)."""
    return list(export_dir().glob(f"{export.file_name}.*.part")) if export.file_name else []


def build_export(*, company_id: int, export_id: int, now: datetime | None = None) -> None:
    """Write the export's ZIP; safe to run twice (a finished export is left alone).

    Each run claims the next attempt of the export's ``ExportJob``; an earlier run still going
    (a worker presumed dead that was only slow) notices at its next batch and stops.
    """
    with tenant_context(company_id):
        export = DataExport.objects.filter(pk=export_id, company_id=company_id, status__in=OPEN_STATES).first()
        if export is None:
            return
        attempt = _claim_attempt(export, now or timezone.now())
        if attempt is None:
            return
        export.status, export.progress, export.rows_written = DataExport.Status.RUNNING, 0, 0
        export.save(update_fields=["status", "progress", "rows_written"])
        chosen = exported_models()
        total = max(1, sum(company_rows(m, company_id).count() for m in chosen))
    final = file_path(export)
    partial = final.with_name(f"{final.name}.{attempt}.part")
    try:
        written = _write_zip(partial, company_id, export, chosen, total, attempt)
    except Superseded:
        partial.unlink(missing_ok=True)
        return
    except Exception:
        partial.unlink(missing_ok=True)
        fail_export(company_id=company_id, export_id=export_id, attempt=attempt)
        raise
    _finish(company_id, export, attempt, partial, final, written, now or timezone.now())


def _claim_attempt(export: DataExport, now: datetime) -> int | None:
    """Take the next attempt, or None: another build is alive (running, with a fresh heartbeat), or,
    past ``PRIVACY_EXPORT_MAX_ATTEMPTS``, the export fails instead.

    A duplicate start (a redelivered task, a second sweep) thus steps aside instead of superseding
    a healthy build and using up its attempts.
    """
    job, _ = ExportJob.objects.select_for_update().get_or_create(
        export_id=export.pk, defaults={"company_id": export.company_id, "heartbeat_at": now})
    export.refresh_from_db(fields=["status"])  # as it is now that we hold the job's lock
    alive_since = now - timedelta(minutes=settings.PRIVACY_EXPORT_STALL_MINUTES)
    if export.status == DataExport.Status.RUNNING and job.attempt and job.heartbeat_at > alive_since:
        return None
    if job.attempt >= settings.PRIVACY_EXPORT_MAX_ATTEMPTS:
        fail_export(company_id=export.company_id, export_id=export.pk, attempt=job.attempt)
        return None
    job.attempt += 1
    job.heartbeat_at = now
    job.save(update_fields=["attempt", "heartbeat_at"])
    return job.attempt


def _finish(company_id: int, export: DataExport, attempt: int, partial: Path, final: Path, written: int,
            now: datetime) -> None:
    with tenant_context(company_id):
        job = ExportJob.objects.select_for_update().filter(export_id=export.pk, attempt=attempt).first()
        if job is None or not partial.exists():  # superseded, or the sweep took the file away
            partial.unlink(missing_ok=True)
            return
        os.replace(partial, final)
        job.delete()
        finished = DataExport.objects.filter(pk=export.pk, status=DataExport.Status.RUNNING).update(
            status=DataExport.Status.READY, progress=100, rows_written=written, size_bytes=final.stat().st_size,
            finished_at=now, expires_at=now + timedelta(hours=settings.PRIVACY_EXPORT_TTL_HOURS))
        if not finished:  # discarded while it was being built (the company closed): keep no file
            final.unlink(missing_ok=True)
            return
        record_event(event=AuditEvent.Event.EXPORT_READY, company_id=company_id, actor_id=None, subject=export,
                     data={"rows": written})


def fail_export(*, company_id: int, export_id: int, attempt: int, now: datetime | None = None) -> bool:
    """End the export as failed, if ``attempt`` is still its current one; delete its partial files.

    The owner sees "Failed" and can prepare a new one. Returns whether it was failed here.
    """
    with tenant_context(company_id):
        if not ExportJob.objects.filter(export_id=export_id, attempt=attempt).delete()[0]:
            return False
        export = DataExport.objects.get(pk=export_id)
        for path in partial_files(export):
            path.unlink(missing_ok=True)
        if export.status in OPEN_STATES:
            export.status = DataExport.Status.FAILED
            export.save(update_fields=["status"])
            record_event(event=AuditEvent.Event.EXPORT_FAILED, company_id=company_id, actor_id=None, subject=export,
                         data={"attempts": attempt}, now=now)
        return True


def _write_zip(path: Path, company_id: int, export: DataExport, chosen: list[type[models.Model]],
               total: int, attempt: int) -> int:
    written = 0
    path.touch(mode=0o600)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", render_plain_text("privacy/export_readme.txt", {
            "company_id": company_id, "created_at": timezone.now(), "policy_version": policy.current_label(),
            "site_url": settings.SITE_URL.rstrip("/"),
            "files": [m._meta.label for m in chosen]}))
        for model in chosen:
            fields = exported_fields(model)
            names = [f.name for f in fields]
            # zipfile writes one entry at a time: CSV straight into the archive, JSON via a temp file.
            with tempfile.TemporaryFile("w+", encoding="utf-8") as json_file:
                with archive.open(f"{model._meta.label}.csv", "w") as csv_entry:
                    csv_text = io.TextIOWrapper(csv_entry, encoding="utf-8", newline="")
                    writer = csv.writer(csv_text)
                    writer.writerow(names)
                    json_file.write("[")
                    separator = "\n"
                    for batch in _batches(model, company_id):
                        for record in batch:
                            values = [getattr(record, f.attname) for f in fields]
                            writer.writerow([spreadsheet_safe(v) for v in values])
                            json_file.write(separator + json.dumps(dict(zip(names, values, strict=True)),
                                                                   cls=DjangoJSONEncoder))
                            separator = ",\n"
                        written += len(batch)
                        _report_progress(company_id, export.pk, written, total, attempt)
                    json_file.write("\n]\n")
                    csv_text.flush()
                    csv_text.detach()
                json_file.seek(0)
                with archive.open(f"{model._meta.label}.json", "w") as json_entry:
                    while chunk := json_file.read(1 << 16):
                        json_entry.write(chunk.encode())
    return written


def _batches(model: type[models.Model], company_id: int) -> Iterator[list[models.Model]]:
    """The company's rows of ``model`` in id order, ``PRIVACY_EXPORT_BATCH_ROWS`` per short transaction."""
    last = None
    while True:
        with tenant_context(company_id):
            rows = company_rows(model, company_id).order_by("pk")
            if last is not None:
                rows = rows.filter(pk__gt=last)
            batch = list(rows[:settings.PRIVACY_EXPORT_BATCH_ROWS])
            for record in batch:  # open sealed values while the tenant is set
                for field in record._meta.concrete_fields:
                    getattr(record, field.attname)
        if not batch:
            return
        last = batch[-1].pk
        yield batch


def _report_progress(company_id: int, export_id: int, written: int, total: int, attempt: int) -> None:
    """Commit the progress and the heartbeat after a batch; raise Superseded if a newer attempt took over."""
    if settings.PRIVACY_EXPORT_PAUSE_MS:
        time.sleep(settings.PRIVACY_EXPORT_PAUSE_MS / 1000)  # spare the database on a busy day
    with tenant_context(company_id):
        if not ExportJob.objects.filter(export_id=export_id, attempt=attempt).update(heartbeat_at=timezone.now()):
            raise Superseded
        DataExport.objects.filter(pk=export_id).update(progress=min(99, written * 100 // total),
                                                       rows_written=written)


def sweep_expired_files(*, now: datetime | None = None) -> int:
    """Delete export files past their time (hourly); mark their exports expired. Returns files deleted."""
    now = now or timezone.now()
    horizon = (now - timedelta(hours=settings.PRIVACY_EXPORT_TTL_HOURS)).timestamp()
    deleted = 0
    for path in export_dir().iterdir():
        company_part = path.name.split("-", 1)[0]
        if not company_part.isdigit() or path.stat().st_mtime > horizon:
            continue
        company_id = int(company_part)
        with tenant_context(company_id):
            name = path.name.removesuffix(".part")
            for export in DataExport.objects.filter(company_id=company_id, file_name=name,
                                                    status=DataExport.Status.READY):
                export.status = DataExport.Status.EXPIRED
                export.save(update_fields=["status"])
                record_event(event=AuditEvent.Event.EXPORT_EXPIRED, company_id=company_id, actor_id=None,
                             subject=export, now=now)
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
