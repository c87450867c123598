"""Staff reach the admin only after a second factor in this session (SAF-3)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from accounts import two_factor


def admin_two_factor(get_response: Callable[[HttpRequest], HttpResponseBase]) -> Callable[[HttpRequest], HttpResponseBase]:
    """Every path under the admin (its own pages and ours mounted there, such as the staff view and reports).

    A staff user, superuser or Privacy Officer without an authenticator app is sent to set one up;
    with one, to enter its code, unless this session already passed that step. Logging out is
    always allowed. Anyone else is left to the admin's own rules.
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        redirect = admin_gate(request)
        return redirect if redirect is not None else get_response(request)

    return middleware


def admin_gate(request: HttpRequest) -> HttpResponseRedirect | None:
    """Where a staff user must go before this admin path, or None when they may open it."""
    admin_root = reverse("admin:index")
    if not request.path.startswith(admin_root) or request.path == reverse("admin:logout"):
        return None
    user = request.user
    if not two_factor.required_for_admin(user) or two_factor.is_verified(request):  # type: ignore[arg-type]
        return None
    target = request.get_full_path() if request.method in ("GET", "HEAD") else admin_root
    if request.path == reverse("admin:login"):
        target = request.GET.get("next", admin_root)
    step = "accounts:login-code" if two_factor.is_on(user) else "accounts:two-factor-setup"  # type: ignore[arg-type]
    return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': target})}")
