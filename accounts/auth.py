from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def login_identifier(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """What django-axes counts failures against: the email, from the form or the API body."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        value = request.POST.get("username") or request.POST.get("email")
    return str(value).strip().lower() if value else None
