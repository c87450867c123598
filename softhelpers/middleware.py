"""Middleware of the project as a whole (the apps keep their own)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

HEALTH_PATH = "/healthz"


def health_check(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable[[HttpRequest], HttpResponseBase]:
    """Answer ``/healthz`` before anything else runs (issue 15).

    A load balancer or the compose healthcheck asks by an address, not the public host name
    (``ALLOWED_HOSTS`` would answer 400), over plain HTTP (the SSL redirect would answer 301),
    and must get 503 JSON while PostgreSQL is down, which a request transaction
    (``ATOMIC_REQUESTS``) or a session lookup would turn into a 500. The answer says only
    "ok" or "down" per dependency.
    """
    from softhelpers.views import healthz

    def middleware(request: HttpRequest) -> HttpResponseBase:
        if request.path_info == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return get_response(request)

    return middleware


# Features no page of ours uses: a script that got in still cannot reach them (issue 15).
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), payment=(), usb=()")


def security_headers(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable[[HttpRequest], HttpResponseBase]:
    """``Permissions-Policy`` and ``Cross-Origin-Resource-Policy: same-origin`` on every response.

    (Django sets X-Frame-Options, nosniff, Referrer-Policy and COOP; django-csp the CSP.)
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response

    return middleware
