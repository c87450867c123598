"""Reads of statement imports; the company is explicit and row-level security backs the filter."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company
from ledger.models import BankAccount, BankImport


def bank_imports(*, company: Company, bank_account: BankAccount | None = None) -> QuerySet[BankImport]:
    """The company's uploads, newest first (the sealed rows are left unloaded: lists never need them)."""
    found = BankImport.objects.filter(company=company).select_related("bank_account").defer("payload")
    if bank_account is not None:
        found = found.filter(bank_account=bank_account)
    return found.order_by("-created_at", "-id")


def bank_import(*, company: Company) -> QuerySet[BankImport]:
    """For one import's page: with its rows."""
    return BankImport.objects.filter(company=company).select_related("bank_account")
