"""Reads of the privacy app: a company's exports, the officer's published contact, inquiries."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet

from accounts.models import Company
from privacy.models import DataExport, Inquiry, InquiryEvent, OfficerContact
from privacy.officer_contact import SEED


def recent_exports(*, company: Company, limit: int = 5) -> QuerySet[DataExport]:
    return DataExport.objects.filter(company=company).order_by("-created_at")[:limit]


def get_export(*, company: Company, export_id: int) -> DataExport | None:
    return DataExport.objects.filter(company=company, pk=export_id).first()


def officer_contact() -> OfficerContact:
    """What pages and emails publish (ACC-1): the record, or the policy's own words until it exists."""
    return OfficerContact.objects.first() or OfficerContact(**SEED)


def open_access_inquiries(*, user_ids: Collection[int]) -> list[str]:
    """References of open "access to my information" inquiries by these users (answer them before a purge)."""
    if not user_ids:
        return []
    return list(Inquiry.objects.open().filter(kind=Inquiry.Kind.ACCESS, user_id__in=user_ids)
                .order_by("due_at").values_list("reference", flat=True))


def timeline(inquiry: Inquiry) -> QuerySet[InquiryEvent]:
    return InquiryEvent.objects.filter(inquiry=inquiry).order_by("at", "pk")
