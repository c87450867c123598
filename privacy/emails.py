"""Emails of the privacy app, sent from the outbox (ids in, re-fetched by the caller)."""

from __future__ import annotations

from django.urls import reverse

from accounts.emails import send_templated_email
from privacy.models import PolicyNotice


def send_policy_notice(notice: PolicyNotice) -> None:
    """A material change of the privacy policy (ACC-3): administrative, so no unsubscribe (CON-6)."""
    path = reverse("privacy:version", kwargs={"label": notice.version.label})
    send_templated_email(to=notice.user.email, template="policy_change",
                         context={"version": notice.version, "path": path})
