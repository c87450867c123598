from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Company
from privacy.models import DataExport, SupportGrant


def recent_exports(*, company: Company, limit: int = 5) -> QuerySet[DataExport]:
    return DataExport.objects.filter(company=company).order_by("-created_at")[:limit]


def get_export(*, company: Company, export_id: int) -> DataExport | None:
    return DataExport.objects.filter(company=company, pk=export_id).first()


def active_support_grant(*, company: Company, now: datetime | None = None) -> SupportGrant | None:
    now = now or timezone.now()
    return (SupportGrant.objects.filter(company=company, revoked_at__isnull=True, expires_at__gt=now)
            .order_by("-expires_at").first())
