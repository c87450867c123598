"""The admin site: Django's, with a second factor for every staff account (SAF-3).

``has_permission`` also asks for a verified session, so an admin view reached some other way
than through ``accounts.middleware.admin_two_factor`` still refuses an unverified one; the
login page is our two-step login with the admin's look.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts import two_factor


class AdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and two_factor.is_verified(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Django's admin login, but a user with an authenticator app is asked for its code next."""
        from accounts.middleware import admin_gate
        from accounts.views import TwoStepLoginView

        index = reverse("admin:index", current_app=self.name)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponse(status=302, headers={"Location": index})
        gate = admin_gate(request)
        if gate is not None:
            return gate
        context = {**self.each_context(request), "title": "Log in", "subtitle": None,
                   "app_path": request.get_full_path(), "username": request.user.get_username()}
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = index
        context.update(extra_context or {})
        request.current_app = self.name
        view = TwoStepLoginView.as_view(extra_context=context, authentication_form=AdminAuthenticationForm,
                                        template_name="admin/login.html", next_page=index,
                                        redirect_authenticated_user=False)  # a customer may switch accounts
        return cast(HttpResponse, view(request))
