from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def login_identifier(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """What django-axes counts failures against: the email, from the form or the API body."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if value is None and request is not None:
        value = request.POST.get("username") or request.POST.get("email")
    return str(value).strip().lower() if value else None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as our own proxies saw it (login limits, the inquiry limit).

    Behind ``TRUSTED_PROXY_COUNT`` proxies that each append to X-Forwarded-For, the client is the
    entry that many places from the right; entries further left come from the client itself and
    could be anything. With too few entries the request did not come through our proxies: the
    peer address is all we know.
    """
    peer = request.META.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    return forwarded[-trusted] if len(forwarded) >= trusted else peer


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """django-axes' answer to a locked (account, address) pair: JSON 429 for the API, our page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Too many failed attempts. Try again later.", "code": "locked_out"},
                            status=429)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
