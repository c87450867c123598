"""Retention cards on pages of lower apps (accounts' Manage tab, Company Selection)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Company
from retention import selectors

register = template.Library()


@register.inclusion_tag("retention/_shutdown_card.html")
def shutdown_card(company: Company) -> dict[str, Any]:
    return {"company": company, "pending": selectors.pending_shutdown(company=company)}


@register.simple_tag
def purge_due_date(company: Company) -> str:
    """"Data deleted on …" for a closed company, or the empty string."""
    purge = selectors.purge_of(company=company) if company.status == Company.Status.CLOSED else None
    return f"its data will be deleted on {purge.due_at:%Y-%m-%d}" if purge else ""
