"""The bank account page's "Statement imports" card (its link and latest uploads), without touching its view."""

from __future__ import annotations

from typing import Any

from django import template

from ledger.imports.selectors import bank_imports
from ledger.models import BankAccount, BankConnection

register = template.Library()


@register.inclusion_tag("ledger/bank_import_recent.html", takes_context=True)
def bank_account_imports(context: template.Context, account: BankAccount) -> dict[str, Any]:
    company = context["company"]
    return {"company": company, "account": account, "can_write": context.get("can_write", False), "show_link": True,
            "imports": list(bank_imports(company=company, bank_account=account)[:5]),
            "connected": BankConnection.objects.filter(company=company, bank_account=account).exists()}
