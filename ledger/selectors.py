"""Reads of the ledger. Every function takes the company explicitly; RLS backs the filter."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Company
from accounts.tenancy import TenantModel
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice, InvoiceLine

T = TypeVar("T", bound=TenantModel)
_MONEY = DecimalField(max_digits=20, decimal_places=2)


def contacts(*, company: Company) -> QuerySet[Contact]:
    return Contact.objects.filter(company=company).order_by("name", "id")


def invoices(*, company: Company) -> QuerySet[Invoice]:
    """Invoices with their contact and total, in one query for any page size.

    The total is a correlated subquery, so it is computed for the page's rows only (a GROUP BY
    over the join would total every invoice of the company before paging).
    """
    line_total = (
        InvoiceLine.objects.filter(company=company, invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum(F("quantity") * F("unit_price"), output_field=_MONEY))
        .values("total")
    )
    return (
        Invoice.objects.filter(company=company)
        .select_related("contact")
        .annotate(total=Coalesce(Subquery(line_total, output_field=_MONEY), Value(Decimal("0")), output_field=_MONEY))
        .order_by("-issue_date", "-id")
    )


def bank_accounts(*, company: Company) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(company=company).order_by("name", "id")


def bank_connections(*, company: Company) -> QuerySet[BankConnection]:
    return BankConnection.objects.filter(company=company).select_related("bank_account").order_by("-created_at", "-id")


def bank_transactions(*, company: Company) -> QuerySet[BankTransaction]:
    return (
        BankTransaction.objects.filter(company=company)
        .select_related("bank_account")
        .order_by("-booked_on", "-id")
    )


def get_one(queryset: QuerySet[T], pk: object) -> T:
    """One record of an already company-scoped queryset, or 404 (never another company's)."""
    try:
        return queryset.get(pk=int(str(pk)))
    except (ValueError, queryset.model.DoesNotExist) as exc:
        raise Http404 from exc
