"""Consent cards on pages of lower apps (accounts' Manage tab), without accounts importing consent."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

from accounts.models import Company
from consent.forms import InvitationForm
from consent.selectors import pending_invitations, support_access

register = template.Library()


@register.inclusion_tag("consent/_support_card.html", takes_context=True)
def support_access_card(context: dict[str, Any], company: Company) -> dict[str, Any]:
    return {"company": company, "csrf_token": context.get("csrf_token"),
            "support_grant": support_access(company=company),
            "support_days": range(1, settings.PRIVACY_SUPPORT_GRANT_MAX_DAYS + 1)}


@register.inclusion_tag("consent/_invitations_card.html", takes_context=True)
def invitations_card(context: dict[str, Any], company: Company) -> dict[str, Any]:
    return {"company": company, "csrf_token": context.get("csrf_token"), "form": InvitationForm(),
            "pending": list(pending_invitations(company)), "now": timezone.now(),
            "link_days": settings.INVITATION_LINK_DAYS}
