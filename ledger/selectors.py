"""Reads of the ledger. Every function takes the company explicitly; RLS backs the filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Company
from accounts.tenancy import TenantModel
from ledger import search
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice, InvoiceLine

T = TypeVar("T", bound=TenantModel)
_MONEY = DecimalField(max_digits=20, decimal_places=2)


def contacts(*, company: Company) -> QuerySet[Contact]:
    return Contact.objects.filter(company=company).order_by("name", "id")


def contact_lookup(*, company: Company, term: str, limit: int) -> list[tuple[int, str]]:
    """(id, name) of up to ``limit`` contacts whose name matches ``term`` (``ledger.search``), by name.

    An empty term gives the first contacts by name. Served by the name's gram index (the id lookup)
    and the (company, name, id) index: two queries whatever the company's size.
    """
    found = contacts(company=company)
    term = search.normalise(term)
    if term:
        found = found.filter(search.matches(Contact, "name", term))
    return list(found.values_list("id", "name")[:limit])


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


# --- the company home (issue 14) -------------------------------------------------------------------

@dataclass(frozen=True)
class Amounts:
    """A count and its money, one total per currency (amounts in different currencies never add up)."""

    count: int
    totals: list[tuple[str, Decimal]]


@dataclass(frozen=True)
class Overview:
    open: Amounts  # sent, not yet paid
    overdue: Amounts  # sent, due before today
    money_in: list[tuple[str, Decimal]]  # bank transactions of this month, per currency
    money_out: list[tuple[str, Decimal]]
    balances: list[tuple[BankAccount, Decimal]]  # the sum of each account's recorded transactions
    recent_invoices: list[Invoice]
    recent_transactions: list[BankTransaction]
    empty: bool  # nothing recorded yet: the page says where to start


def _sent_invoices(company: Company, *, overdue_on: date | None = None) -> Amounts:
    sent = Invoice.objects.filter(company=company, status=Invoice.Status.SENT)
    if overdue_on is not None:
        sent = sent.filter(due_date__lt=overdue_on)
    lines = (InvoiceLine.objects.filter(company=company, invoice__in=sent).values("invoice__currency")
             .annotate(total=Sum(F("quantity") * F("unit_price"), output_field=_MONEY)).order_by("invoice__currency"))
    return Amounts(sent.count(), [(row["invoice__currency"], row["total"]) for row in lines])


def company_overview(*, company: Company, today: date) -> Overview:
    """The figures of the company home: a handful of aggregate queries whatever the company's size."""
    month = BankTransaction.objects.filter(company=company, booked_on__gte=today.replace(day=1),
                                           booked_on__lte=today)
    flows = (month.values("bank_account__currency").order_by("bank_account__currency")
             .annotate(money_in=Sum("amount", filter=Q(amount__gt=0)), money_out=Sum("amount", filter=Q(amount__lt=0))))
    accounts = list(bank_accounts(company=company).annotate(
        balance=Coalesce(Sum("transactions__amount"), Value(Decimal("0")), output_field=_MONEY)))
    recent_invoices = list(invoices(company=company)[:5])
    recent_transactions = list(bank_transactions(company=company)[:5])
    return Overview(
        open=_sent_invoices(company), overdue=_sent_invoices(company, overdue_on=today),
        money_in=[(row["bank_account__currency"], row["money_in"]) for row in flows if row["money_in"]],
        money_out=[(row["bank_account__currency"], -row["money_out"]) for row in flows if row["money_out"]],
        balances=[(account, account.balance) for account in accounts],
        recent_invoices=recent_invoices, recent_transactions=recent_transactions,
        empty=not recent_invoices and not recent_transactions and not Contact.objects.filter(company=company).exists())
