"""Search, filters and sorting of the ledger's lists: one definition per list, for its page and its API.

Each ``Finder`` is a django-filter ``FilterSet``. The page renders its form as the filter bar and
ignores a bad value with a message; the API (``FinderBackend``) answers a bad value, and any
parameter the list does not know, with a 400, and drf-spectacular documents every parameter
from these classes. The sort is a whitelist: each key names a column the list shows and the
field it orders by (the id breaks ties, see ``paging``); ``-key`` sorts the other way.
Search covers plain-text columns only (``ledger.search``): sealed fields are ciphertext.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django_filters import fields as filter_fields
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from accounts.models import Company
from ledger import search, selectors
from ledger.forms import ListedChoiceIterator
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice
from ledger.paging import Order


@dataclass(frozen=True)
class SortKey:
    field: str  # what the rows are ordered by (a field path or the selector's annotation)
    column: str  # the list column (``resources.Resource.columns`` path) whose header sorts by it
    label: str


def sort_filter(sorts: Mapping[str, SortKey], default: str) -> django_filters.ChoiceFilter:
    choices = [(value, f"{key.label}, {direction}") for name, key in sorts.items()
               for value, direction in ((name, "ascending"), (f"-{name}", "descending"))]
    return django_filters.ChoiceFilter(
        method="keep", choices=choices, label="Sort by", empty_label=None,
        help_text=f"One of the columns; a leading '-' reverses it. Default: {default}.",
    )


class ListedFilterChoiceIterator(filter_fields.ModelChoiceIterator, ListedChoiceIterator):
    """django-filter's choices (its empty and null labels) read in one query, not by a server-side cursor."""


class ByNameModelChoiceField(filter_fields.ModelChoiceField):
    iterator = ListedFilterChoiceIterator

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ByNameFilter(django_filters.ModelChoiceFilter):
    field_class = ByNameModelChoiceField


class Finder(django_filters.FilterSet):
    """A list's search, filters and sort, scoped to ``company``."""

    sorts: ClassVar[dict[str, SortKey]] = {}
    default_sort: ClassVar[str] = ""

    def __init__(self, data: Any = None, queryset: QuerySet[Any] | None = None, *, company: Company,
                 request: Any = None, prefix: str | None = None) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.company = company

    def keep(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset  # the sort is applied by the pagination (``order``), not as a filter

    @property
    def sort(self) -> str:
        """The sort asked for if it is one of the whitelist's, else the list's default."""
        if not self.is_bound:
            return self.default_sort
        self.form.is_valid()  # cleaned_data holds the fields that are valid, whatever the others
        return self.form.cleaned_data.get("sort") or self.default_sort

    @property
    def order(self) -> Order:
        return self.order_of(self.sort)

    @classmethod
    def order_of(cls, sort: str) -> Order:
        return Order(cls.sorts[sort.lstrip("-")].field, descending=sort.startswith("-"))

    def searched(self, queryset: QuerySet[Any], columns: tuple[str, ...], value: str) -> QuerySet[Any]:
        term = search.normalise(value)
        if not term:
            return queryset
        found = Q()
        for column in columns:
            found |= search.matches(queryset.model, column, term)
        return queryset.filter(found)


def _date(label: str, field: str, lookup: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(field_name=field, lookup_expr=lookup, label=label,
                                     widget=forms.DateInput(attrs={"type": "date"}),
                                     help_text="A date as YYYY-MM-DD, included.")


def _search(help_text: str) -> django_filters.CharFilter:
    return django_filters.CharFilter(method="filter_search", label="Search", help_text=help_text,
                                     widget=forms.TextInput(attrs={"type": "search"}))


SEARCH_RULE = ("Three characters or more match any part; one or two match the start of a word. "
               "Case does not matter.")


class ContactFinder(Finder):
    sorts = {"name": SortKey("name", "name", "Name")}
    default_sort = "name"
    search = _search(f"Part of the contact's name. {SEARCH_RULE} Email, phone and address are stored sealed "
                     "and cannot be searched.")
    sort = sort_filter(sorts, default_sort)

    class Meta:
        model = Contact
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        return self.searched(queryset, ("name",), value)


class InvoiceFinder(Finder):
    sorts = {"number": SortKey("number", "number", "Number"),
             "contact": SortKey("contact__name", "contact.name", "Contact"),
             "issue_date": SortKey("issue_date", "issue_date", "Issued"),
             "status": SortKey("status", "get_status_display", "Status")}
    # Not the total: a sum over each invoice's lines, so sorting by it reads every invoice's lines for
    # each page (0.3-0.9 s at 100,000 invoices, bench/finding.py) until the total is stored.
    default_sort = "-issue_date"
    search = _search(f"Part of the invoice number or of the contact's name. {SEARCH_RULE}")
    status = django_filters.ChoiceFilter(choices=Invoice.Status.choices, empty_label="Any status", label="Status")
    issued_from = _date("Issued from", "issue_date", "gte")
    issued_to = _date("Issued to", "issue_date", "lte")
    sort = sort_filter(sorts, default_sort)

    class Meta:
        model = Invoice
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Invoice], name: str, value: str) -> QuerySet[Invoice]:
        term = search.normalise(value)
        if not term:
            return queryset
        contacts = selectors.contacts(company=self.company).filter(search.matches(Contact, "name", term))
        return queryset.filter(search.matches(Invoice, "number", term) | Q(contact__in=contacts.order_by().values("pk")))


class BankAccountFinder(Finder):
    sorts = {"name": SortKey("name", "name", "Name"), "bank_name": SortKey("bank_name", "bank_name", "Bank"),
             "holder_name": SortKey("holder_name", "holder_name", "Holder"),
             "currency": SortKey("currency", "currency", "Currency")}
    default_sort = "name"
    sort = sort_filter(sorts, default_sort)

    class Meta:
        model = BankAccount
        fields: list[str] = []


class BankConnectionFinder(Finder):
    sorts = {"provider": SortKey("provider", "provider", "Provider"),
             "bank_account": SortKey("bank_account__name", "bank_account.name", "Account"),
             "status": SortKey("status", "get_status_display", "Status"),
             "created_at": SortKey("created_at", "", "Added")}
    default_sort = "-created_at"
    status = django_filters.ChoiceFilter(choices=BankConnection.Status.choices, empty_label="Any status",
                                         label="Status")
    sort = sort_filter(sorts, default_sort)

    class Meta:
        model = BankConnection
        fields: list[str] = []


class BankTransactionFinder(Finder):
    # Not the account: its name is in another table, so each page would sort all the company's rows
    # (40-55 ms at 100,000); the account filter narrows to one instead.
    sorts = {"booked_on": SortKey("booked_on", "booked_on", "Date"),
             "description": SortKey("description", "description", "Description"),
             "amount": SortKey("amount", "amount_shown", "Amount")}
    default_sort = "-booked_on"
    search = _search(f"Part of the description or of the counterparty. {SEARCH_RULE}")
    bank_account = ByNameFilter(queryset=BankAccount.objects.none(), empty_label="Any account", label="Account")
    booked_from = _date("Booked from", "booked_on", "gte")
    booked_to = _date("Booked to", "booked_on", "lte")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label="Amount from",
                                             help_text="Included; money out is negative.")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", label="Amount to",
                                             help_text="Included; money out is negative.")
    sort = sort_filter(sorts, default_sort)

    class Meta:
        model = BankTransaction
        fields: list[str] = []

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.filters["bank_account"].queryset = selectors.bank_accounts(company=company)

    def filter_search(self, queryset: QuerySet[BankTransaction], name: str,
                      value: str) -> QuerySet[BankTransaction]:
        return self.searched(queryset, ("description", "counterparty"), value)


class FinderBackend(DjangoFilterBackend):
    """The view's ``finder_class`` on the API: a bad value or an unknown parameter is a 400.

    Lists only; the order it chose is left on the view (``view.order``) for the pagination.
    A list asked for with none of its finder's parameters is the whole list in the default sort:
    no FilterSet and form are built for it (a fifth of the API list's time, issue 16).
    """

    COMMON = frozenset({"cursor", "page_size", "format"})

    def get_filterset_class(self, view: Any, queryset: QuerySet[Any] | None = None) -> Any:
        return getattr(view, "finder_class", None)

    def get_filterset_kwargs(self, request: Request, queryset: QuerySet[Any], view: Any) -> dict[str, Any]:
        return {**super().get_filterset_kwargs(request, queryset, view), "company": view.company}

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        finder_class: type[Finder] = self.get_filterset_class(view)
        asked = set(request.query_params)
        unknown = sorted(asked - self.COMMON - set(finder_class.base_filters))
        if unknown:
            known = self.COMMON | set(finder_class.base_filters)
            raise ValidationError({name: [f"Unknown parameter. This list takes: {', '.join(sorted(known))}."]
                                   for name in unknown})
        if not asked & set(finder_class.base_filters):
            view.order = finder_class.order_of(finder_class.default_sort)
            return queryset
        finder = self.get_filterset(request, queryset, view)
        if not finder.is_valid():
            raise ValidationError(finder.errors)
        view.order = finder.order
        return finder.qs
