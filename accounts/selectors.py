"""Reads of the accounts app. Tenant selection happens here, once per request."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Company, Membership, User
from accounts.rows import Selected
from accounts.tenancy import entering_company_sql


def memberships_of(user: User) -> QuerySet[Membership]:
    """The Company Selection list: every company the user belongs to, newest first."""
    return Membership.objects.filter(user=user).select_related("company").order_by("-company__created_at")


def members_of(company: Company) -> QuerySet[Membership]:
    return Membership.objects.filter(company=company).select_related("user").order_by("role", "user__email")


def membership_in(company: Company, *, membership_id: int) -> Membership | None:
    return Membership.objects.filter(company=company, pk=membership_id).select_related("user").first()


_MEMBERSHIP, _COMPANY = Selected(Membership, "m"), Selected(Company, "c")
_RESOLVE_SQL = (  # every page and API call of a company runs it: prepared once (accounts/rows.py)
    f"SELECT {_MEMBERSHIP.columns}, {_COMPANY.columns}, {{entering}} "  # noqa: S608  (no value in it)
    f"FROM {_MEMBERSHIP.table} JOIN {_COMPANY.table} ON {_COMPANY.column('id')} = {_MEMBERSHIP.column('company')} "
    f"WHERE {_MEMBERSHIP.column('user')} = %s AND {_MEMBERSHIP.column('company')} = %s "
    f"AND {_COMPANY.column('status')} = %s")


def resolve_membership(*, user: User | AnonymousUser, company_id: int) -> Membership:
    """The user's membership of an active company, and that company entered as the current one.

    The company rides on the membership query (``tenancy.entering_company_sql``: one round trip);
    it is entered only when the row exists, so a stranger's request sets nothing. Raise Http404
    otherwise: another company's existence is not revealed.
    """
    if not user.is_authenticated:
        raise Http404
    entering, entering_params = entering_company_sql(company_id)
    with connection.cursor() as cursor:
        cursor.execute(_RESOLVE_SQL.format(entering=entering),
                       [*entering_params, user.pk, int(company_id), Company.Status.ACTIVE])
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such company")
    membership = _MEMBERSHIP.load(row)
    membership.company = _COMPANY.load(row, _MEMBERSHIP.width)
    return membership


def users_without_active_company(user_ids: Collection[int]) -> list[int]:
    """Of ``user_ids``, those who belong to no active company (nothing left for them to open)."""
    active = set(Membership.objects.filter(user_id__in=user_ids, company__status=Company.Status.ACTIVE)
                 .values_list("user_id", flat=True))
    return sorted(set(user_ids) - active)


def users_without_any_company(user_ids: Collection[int]) -> list[int]:
    """Of ``user_ids``, those with no membership at all, in any state: they are no longer enrolled."""
    enrolled = set(Membership.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))
    return sorted(set(user_ids) - enrolled)
