"""Google Analytics, only for visitors who accepted it (COO-3), and sending nothing that identifies anyone.

* ``GA_MEASUREMENT_ID`` unset (the default): no banner, no Google script, no Google host in the CSP.
* Set: every public and app page (not ``/admin/``, not ``/dev/``) shows the banner until the visitor
  chooses; the choice is a cookie for a year, and for a logged-in user a ledger event as well.
  ``Sec-GPC: 1`` counts as a reject until the visitor chooses.
* Accepted: the page loads Google's tag with the response's CSP nonce, and only that response's
  CSP names Google's hosts. The tag gets the route pattern as page location and title (no ids, no
  query string, no referrer), Google signals and ad personalisation off.
* Rejected (also after an accept): ``_ga`` and ``_ga_*`` expire, with and without a Domain attribute.
"""

from __future__ import annotations

import re
from http.cookies import Morsel
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from consent import purposes
from consent.models import Consent

Choice = Literal["accepted", "rejected"]
ONE_YEAR = 365 * 24 * 3600
EXCLUDED_PATHS = ("/admin/", "/dev/")
_PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>")
# Google's hosts for a GA4 tag (developers.google.com/tag-platform/security/guides/csp).
GOOGLE_CSP = {
    "script-src": ["https://*.googletagmanager.com"],
    "img-src": ["https://*.google-analytics.com", "https://*.googletagmanager.com"],
    "connect-src": ["https://*.google-analytics.com", "https://*.analytics.google.com",
                    "https://*.googletagmanager.com"],
}


def enabled() -> bool:
    return bool(settings.GA_MEASUREMENT_ID)


def choice_of(request: HttpRequest) -> Choice | None:
    """The visitor's choice: their cookie, else (logged in) their ledger, else none yet."""
    cookie = request.COOKIES.get(settings.ANALYTICS_COOKIE_NAME)
    if cookie in ("accepted", "rejected"):
        return cookie  # type: ignore[return-value]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        state = Consent.objects.filter(user=user, purpose=purposes.ANALYTICS_COOKIES).values_list(
            "granted", flat=True).first()
        if state is not None:
            return "accepted" if state else "rejected"
    return None


def applies_to(request: HttpRequest) -> bool:
    return enabled() and not request.path.startswith(EXCLUDED_PATHS)


def may_load(request: HttpRequest) -> bool:
    """Only after an explicit accept; Global Privacy Control without a choice is a reject."""
    return applies_to(request) and choice_of(request) == "accepted"


def page_location(request: HttpRequest) -> str:
    """The route pattern, e.g. ``https://site/companies/{company_id}/invoices/{pk}/``: no id, no query."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None and match.route else ""
    path = "/" + _PLACEHOLDER.sub(r"{\1}", route).lstrip("^").rstrip("$")
    return settings.SITE_URL.rstrip("/") + path


def remember_choice(response: HttpResponseBase, choice: Choice) -> None:
    response.set_cookie(settings.ANALYTICS_COOKIE_NAME, choice, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)


def expire_google_cookies(request: HttpRequest, response: HttpResponseBase) -> None:
    """Expire ``_ga`` and every ``_ga_*`` on the host and on its parent domains (GA's ``cookie_domain: auto``)."""
    names = {"_ga"} | {name for name in request.COOKIES if name.startswith("_ga_")}
    for name in sorted(names):
        response.delete_cookie(name, samesite="Lax")
        for domain in _cookie_domains():
            morsel: Morsel[str] = Morsel()
            morsel.set(name, "", '""')
            morsel.update({"domain": domain, "path": "/", "max-age": "0", "expires": "Thu, 01 Jan 1970 00:00:00 GMT",
                           "samesite": "Lax"})
            response.cookies[f"{name}@{domain}"] = morsel  # a second Set-Cookie for the same name


def _cookie_domains() -> list[str]:
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    if not host or re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return []  # an IP address takes no Domain attribute
    labels = host.split(".")
    return ["." + ".".join(labels[i:]) for i in range(len(labels) - 1)] or [host]
