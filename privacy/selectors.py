from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company
from privacy.models import DataExport


def recent_exports(*, company: Company, limit: int = 5) -> QuerySet[DataExport]:
    return DataExport.objects.filter(company=company).order_by("-created_at")[:limit]


def get_export(*, company: Company, export_id: int) -> DataExport | None:
    return DataExport.objects.filter(company=company, pk=export_id).first()

