"""Operational pages: health and the local-mode mailbox."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.mail import list_mail_files
from softhelpers.celery import app as celery_app


def home(request: HttpRequest) -> HttpResponse:
    """The front door: what Soft Helpers is and promises, for visitors; the companies for users."""
    if request.user.is_authenticated:
        return redirect("accounts:company-selection")
    return render(request, "home.html", {"grace_days": settings.RETENTION_GRACE_DAYS})


def _database_ok() -> bool:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        if not connection.in_atomic_block:
            connection.close()  # a broken pooled connection is not reused when PostgreSQL is back
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
        return True
    except Exception:
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; the broker may be down (the outbox keeps the work).

    Served by ``softhelpers.middleware.health_check``, ahead of the request transaction.
    """
    database, broker = _database_ok(), _broker_ok()
    body = {"status": "ok" if database and broker else "degraded" if database else "down",
            "database": "ok" if database else "down", "broker": "ok" if broker else "down"}
    return JsonResponse(body, status=200 if database else 503)


def _local_only() -> None:
    if not settings.LOCAL:
        raise Http404


def _parse(path: Path) -> dict[str, object]:
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain", "html"))
    return {"name": path.name, "subject": message["subject"], "to": message["to"], "date": message["date"],
            "body": body.get_content() if body else ""}


@never_cache
def dev_mail(request: HttpRequest) -> HttpResponse:
    """Local mode only: the emails the system would have sent, newest first."""
    _local_only()
    return render(request, "dev/mail_list.html", {"mails": [_parse(p) for p in list_mail_files()[:200]]})


@never_cache
def dev_mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    _local_only()
    matches = [p for p in list_mail_files() if p.name == name]
    if not matches:
        raise Http404
    return render(request, "dev/mail_detail.html", {"mail": _parse(matches[0])})
