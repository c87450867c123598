"""What every admin class of ours is built on: audited changes, and read-only by default (SAF-1, PUR-3).

The admin is the widest door into the system, so it opens no tenant's personal information:
classes show ids, states, dates and counts; writes happen only where a class says so, through
a service; and every change made through the admin (add, change, delete, any action) is an
audit event naming who, what and which object id, never a value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from accounts.audit import record_event
from accounts.models import AuditEvent


def _record_admin_change(request: HttpRequest, obj: Model, what: str) -> None:
    record_event(event=AuditEvent.Event.ADMIN_CHANGED, company_id=getattr(obj, "company_id", None),
                 actor_id=request.user.pk, subject=obj, data={"what": what})


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event for every add, change, delete and action done through this class.

    Filters in the URL are limited to the declared ``list_filter`` fields: Django otherwise
    accepts ``?name__startswith=A`` on any field and the result count tells what the page hides.
    """

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        declared = {_filter_parameter(entry) for entry in self.list_filter}
        return lookup.split(LOOKUP_SEP)[0] in declared and super().lookup_allowed(lookup, value, request)

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        _record_admin_change(request, obj, "add")
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        _record_admin_change(request, obj, "change")
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        for obj in queryset:
            _record_admin_change(request, obj, "delete")
        return super().log_deletions(request, queryset)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {name: (_audited(action[0], name), name, action[2])
                for name, action in super().get_actions(request).items() if action is not None}


def _filter_parameter(entry: Any) -> str:
    """The URL parameter a ``list_filter`` entry reads: a field name, or a SimpleListFilter's own name."""
    if isinstance(entry, str):
        return entry
    if isinstance(entry, type):
        return str(getattr(entry, "parameter_name", ""))
    return str(entry[0])


def _audited(action: Callable[..., Any], name: str) -> Callable[..., Any]:
    def run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        response = action(modeladmin, request, queryset)  # an action that fails records nothing
        for obj in queryset:
            _record_admin_change(request, obj, f"action:{name}")
        return response

    run.__name__ = name
    return run


class ReadOnlyAdmin(AuditedAdmin):
    """The officer reads these; nobody adds, edits or deletes them from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
