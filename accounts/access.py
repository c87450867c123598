"""Who may open a company's pages and API: members of an active company, by role."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request

from accounts.models import Company, Membership, User
from accounts.selectors import resolve_membership
from accounts.services import note_usage

ALL_ROLES = frozenset(Membership.Role.values)
WRITER_ROLES = frozenset({Membership.Role.OWNER, Membership.Role.MEMBER})
View = Callable[..., HttpResponseBase]


class AuthenticatedRequest(HttpRequest):
    """What a ``login_required`` view receives (for type checking)."""

    user: User


class CompanyRequest(AuthenticatedRequest):
    """What a ``company_view`` receives: the company it opened and the caller's membership."""

    company: Company
    membership: Membership


def company_view(*, roles: Iterable[str] = ALL_ROLES) -> Callable[[View], View]:
    """Resolve ``company_id`` from the URL for a logged-in member; 404 for anyone else.

    Sets ``request.company`` and ``request.membership``; the tenant is set for the request's
    transaction. A member whose role is not in ``roles`` gets 403.
    """
    allowed = frozenset(roles)

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, company_id: int, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = resolve_membership(user=request.user, company_id=company_id)
            note_usage(membership)
            if membership.role not in allowed:
                raise DjangoPermissionDenied
            company_request = cast(CompanyRequest, request)
            company_request.company = membership.company
            company_request.membership = membership
            return view(company_request, *args, **kwargs)

        return wrapper

    return decorate


class CompanyScopedAPIMixin:
    """For DRF views under /api/v1/companies/{company_id}/: same rule as ``company_view``.

    Safe methods are open to every member; writes need a writer role (guests read only).
    """

    kwargs: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        try:
            membership = resolve_membership(user=request.user, company_id=int(self.kwargs["company_id"]))
        except (Http404, ValueError) as exc:
            raise NotFound from exc
        note_usage(membership)
        if request.method not in ("GET", "HEAD", "OPTIONS") and membership.role not in WRITER_ROLES:
            raise PermissionDenied("Guests have read-only access.")
        self.company = membership.company
        self.membership = membership


def safe_next(request: HttpRequest, default: str) -> str:
    """The form's ``next`` when it points back into this site, else ``default`` (no open redirect)."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return default
