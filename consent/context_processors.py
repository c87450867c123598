from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from consent import analytics


def cookie_choice(request: HttpRequest) -> dict[str, object]:
    """What the layout needs for the analytics banner and tag (nothing when GA is not configured)."""
    if not analytics.applies_to(request):
        return {}
    choice = analytics.choice_of(request)
    load = choice == "accepted"
    if load:
        request._analytics_loaded = True  # type: ignore[attr-defined]  # consent.middleware widens the CSP
    return {"analytics": {
        "banner": choice is None, "load": load, "measurement_id": settings.GA_MEASUREMENT_ID,
        "page_location": analytics.page_location(request) if load else "",
        "route": analytics.page_location(request).removeprefix(settings.SITE_URL.rstrip("/")) if load else "",
        "next": request.get_full_path(),
    }}
