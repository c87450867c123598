"""Emails of the consent app: purpose messages with their one-click unsubscribe (PUR-1, RFC 8058), invitations."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from accounts.emails import send_templated_email
from accounts.models import User
from consent import purposes
from consent.models import Invitation, PurposeMessage

INVITATION_HEADER = "X-Soft-Helpers-Invitation"  # "<company>-<invitation>": the local copies an erasure deletes


def unsubscribe_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("consent:unsubscribe", kwargs={"token": token})


def list_headers(*, purpose: str, token: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: the link, the one-click promise, and which list this is (RFC 2919)."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    label = purposes.get(purpose).label
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"Soft Helpers {label} <{purpose.replace('_', '-')}.{host}>",
    }


def send_purpose_message(message: PurposeMessage, *, user: User, token: str) -> None:
    send_templated_email(
        to=user.email, template="purpose_message",
        context={"message": message, "purpose": purposes.get(message.purpose), "unsubscribe_url": unsubscribe_url(token)},
        headers=list_headers(purpose=message.purpose, token=token),
    )


def invitation_url(token: str, *, remove: bool = False) -> str:
    name = "consent:invitation-remove" if remove else "consent:invitation"
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs={"token": token})


def send_invitation(invitation: Invitation, *, token: str, tag: str) -> None:
    """The one invitation email (GST-2): administrative, so no unsubscribe; no tracking pixel."""
    send_templated_email(
        to=invitation.email, template="invitation", company_id=invitation.company_id,
        context={"invitation": invitation, "company": invitation.company, "inviter": invitation.invited_by,
                 "accept_url": invitation_url(token), "remove_url": invitation_url(token, remove=True)},
        headers={INVITATION_HEADER: tag},
    )
