"""Messages sent for a consent purpose: each carries its one-click unsubscribe (PUR-1, RFC 8058)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from accounts.emails import send_templated_email
from accounts.models import User
from consent import purposes
from consent.models import PurposeMessage


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
