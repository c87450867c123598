"""The owner's API tokens page and the logout that clears the browser (issue 15, SAF-3)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import api_tokens
from accounts.access import AuthenticatedRequest


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    """Every live API token of the account, by its first characters, dates, and a Revoke button."""
    if request.method == "POST":
        key = request.POST.get("token_key", "")
        ended = api_tokens.revoke(user=request.user, token_keys=None if key == "all" else [key])
        if ended:
            messages.success(request, "API token revoked." if ended == 1 else f"{ended} API tokens revoked.")
        else:
            messages.error(request, "That token was already gone.")
        return redirect("accounts:tokens")
    return render(request, "accounts/tokens.html", {
        "tab": "tokens", "tokens": api_tokens.live_tokens(user=request.user), "limit": settings.API_TOKENS_PER_USER})


class LogoutView(auth_views.LogoutView):
    """Django's logout (it deletes the session cookie), and the browser drops this site's cache and
    storage (Clear-Site-Data). Not "cookies": that would forget the known-device mark and the
    analytics choice, which outlive a session on purpose."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
