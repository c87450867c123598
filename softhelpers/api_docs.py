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


_ERRORS = {
    "400": "The request was not valid: the body names each field's problem (`{\"field\": [\"message\"]}`), "
           "or `detail` says what is wrong.",
    "401": "No credentials, or they have expired: send `Authorization: Token …` (POST /api/v1/auth/token/).",
    "403": "Logged in, but this role may not do this here.",
    "404": "No such record in this company (another company's records answer the same).",
    "429": "Too many requests or failed sign-ins; `Retry-After` or `detail` says when to try again.",
}
_ERROR_BODY = {"type": "object", "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
               "additionalProperties": True}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing: every operation documents the errors it can answer (issue 15).

    400 (bad input), 401/403 (no or insufficient credentials, where a login is needed), 404 (paths
    with an id, and every company-scoped path) and 429 (throttles and the sign-in limits).
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            wanted = ["400", "429"]
            if operation.get("security") != [{}]:
                wanted += ["401", "403"]
            if "{" in path:
                wanted.append("404")
            for code in wanted:
                responses.setdefault(code, {"description": _ERRORS[code],
                                            "content": {"application/json": {"schema": _ERROR_BODY}}})
    return result
