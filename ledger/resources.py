"""The ledger's record types as the pages and the API present them: one table, one place.

Each entry names its model, list columns, detail fields, form and the selector that scopes
it to a company. Pages, URLs and the cross-company isolation tests are generated from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from accounts.models import Company
from ledger import filters, forms, selectors
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice


@dataclass(frozen=True)
class Resource:
    slug: str
    model: type[Any]
    title: str
    singular: str
    form_class: type[forms.CompanyScopedModelForm]
    queryset: Callable[..., QuerySet]
    columns: tuple[tuple[str, str], ...]
    details: tuple[tuple[str, str], ...]
    finder: type[filters.Finder] = filters.Finder  # its search, filters and sorts (ledger/filters.py)
    numeric: frozenset[str] = frozenset()  # columns of amounts: right-aligned

    def for_company(self, company: Company) -> QuerySet:
        return self.queryset(company=company)


RESOURCES: tuple[Resource, ...] = (
    Resource("contacts", Contact, "Contacts", "contact", forms.ContactForm, selectors.contacts,
             columns=(("Name", "name"), ("Email", "email"), ("Phone", "phone")),
             details=(("Name", "name"), ("Email", "email"), ("Phone", "phone"), ("Address", "address")),
             finder=filters.ContactFinder),
    Resource("invoices", Invoice, "Invoices", "invoice", forms.InvoiceForm, selectors.invoices,
             columns=(("Number", "number"), ("Contact", "contact.name"), ("Issued", "issue_date"),
                      ("Status", "get_status_display"), ("Total", "total_shown")),
             details=(("Number", "number"), ("Contact", "contact.name"), ("Issued", "issue_date"),
                      ("Due", "due_date"), ("Status", "get_status_display"), ("Currency", "get_currency_display"),
                      ("Notes", "notes")),
             finder=filters.InvoiceFinder, numeric=frozenset({"total_shown"})),
    Resource("bank-accounts", BankAccount, "Bank accounts", "bank account", forms.BankAccountForm,
             selectors.bank_accounts,
             columns=(("Name", "name"), ("Bank", "bank_name"), ("Holder", "holder_name"), ("Currency", "currency")),
             details=(("Name", "name"), ("Bank", "bank_name"), ("Holder", "holder_name"),
                      ("Account number", "account_number"), ("Currency", "get_currency_display")),
             finder=filters.BankAccountFinder),
    Resource("bank-connections", BankConnection, "Bank connections", "bank connection", forms.BankConnectionForm,
             selectors.bank_connections,
             columns=(("Provider", "provider"), ("Account", "bank_account.name"), ("Status", "get_status_display")),
             details=(("Provider", "provider"), ("Account", "bank_account.name"), ("Login name", "login_name"),
                      ("Status", "get_status_display"), ("Last import", "last_import_at")),
             finder=filters.BankConnectionFinder),
    Resource("bank-transactions", BankTransaction, "Bank transactions", "bank transaction", forms.BankTransactionForm,
             selectors.bank_transactions,
             columns=(("Date", "booked_on"), ("Account", "bank_account.name"), ("Description", "description"),
                      ("Amount", "amount_shown")),
             details=(("Date", "booked_on"), ("Account", "bank_account.name"), ("Description", "description"),
                      ("Counterparty", "counterparty"), ("Amount", "amount_shown")),
             finder=filters.BankTransactionFinder, numeric=frozenset({"amount_shown"})),
)
BY_SLUG = {resource.slug: resource for resource in RESOURCES}
