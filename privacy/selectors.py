"""Reads of the privacy app: a company's exports, the officer's published contact, inquiries."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

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


def unanswered_access_inquiries(*, user_ids: Collection[int], emails: Collection[str]) -> list[str]:
    """References of unanswered open "access to my information" inquiries by these users, linked by account
    or sent from one of these addresses (any case) while logged out: the officer answers them before a purge."""
    addresses = sorted({email.strip().lower() for email in emails if email and email.strip()})
    if not user_ids and not addresses:
        return []
    return list(Inquiry.objects.unanswered().filter(kind=Inquiry.Kind.ACCESS)
                .alias(address=Lower("email")).filter(Q(user_id__in=user_ids) | Q(address__in=addresses))
                .order_by("due_on", "pk").values_list("reference", flat=True))


def timeline(inquiry: Inquiry) -> QuerySet[InquiryEvent]:
    return InquiryEvent.objects.filter(inquiry=inquiry).order_by("at", "pk")
