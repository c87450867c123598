"""The API's schema and Swagger page: public in local mode, behind login in production (issue 15).

The schema lists every operation and field of the product; on a public site it is a map for an
attacker and of no use to anyone without an account. ``API_DOCS_PUBLIC`` decides (default: local mode).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class DocsAllowed(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(settings.API_DOCS_PUBLIC or (request.user and request.user.is_authenticated))


class SchemaView(SpectacularAPIView):
    permission_classes = [DocsAllowed]


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [DocsAllowed]


def docs(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The Swagger page; a visitor who is not logged in is sent to log in, not shown a 403 JSON."""
    if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return DocsView.as_view(url_name="api-schema")(request, *args, **kwargs)
