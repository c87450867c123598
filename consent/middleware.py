from __future__ import annotations

from collections.abc import Callable

from csp.constants import NONCE
from django.http import HttpRequest, HttpResponseBase

from consent.analytics import GOOGLE_CSP


def analytics_csp(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable[[HttpRequest], HttpResponseBase]:
    """Add Google's hosts and the nonce to the CSP of responses that load the tag, and of those only.

    Listed after ``CSPMiddleware``, so it runs before that one writes the header.
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        if getattr(request, "_analytics_loaded", False):
            update: dict[str, list[object]] = {key: list(hosts) for key, hosts in GOOGLE_CSP.items()}
            update["script-src"].append(NONCE)
            response._csp_update = update  # type: ignore[attr-defined]
        return response

    return middleware
