"""The officer's view: upcoming purges with progress, legal holds, deletion certificates, aggregates.

Placing and releasing a hold call the services, like every other path.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.admin_base import AuditedAdmin, ReadOnlyAdmin
from retention import selectors, services
from retention.models import (
    DeletionCertificate,
    LegalHold,
    LegalHoldQuerySet,
    RetainedAggregate,
    ScheduledPurge,
)


@admin.register(ScheduledPurge)
class ScheduledPurgeAdmin(ReadOnlyAdmin):
    """Closed companies waiting for or going through their purge; the done ones as tombstones."""

    list_display = ["company_id", "state", "held", "closed_at", "due_at", "step", "progress_display", "finished_at"]
    list_filter = ["state"]
    ordering = ["state", "due_at"]
    exclude = ["contact_email"]  # the owner's address is for messages to them, not for staff eyes

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScheduledPurge]:
        return super().get_queryset(request).annotate(_held=Exists(LegalHold.objects.active_for(OuterRef("company_id"))))

    @admin.display(boolean=True, description="On legal hold")
    def held(self, purge: ScheduledPurge) -> bool:
        return bool(getattr(purge, "_held", False))

    @admin.display(description="Progress")
    def progress_display(self, purge: ScheduledPurge) -> str:
        return f"{purge.rows_done:,} / {purge.rows_total:,} rows ({purge.progress}%)"


@admin.register(LegalHold)
class LegalHoldAdmin(AuditedAdmin):
    """Place a hold (add), release it (action). A hold is never edited or deleted: it is a record."""

    list_display = ["id", "company_id", "reference", "review_on", "placed_at", "released_at"]
    list_filter = [("released_at", admin.EmptyFieldListFilter)]
    fields = ("company", "reason", "reference", "review_on", "placed_at", "released_at")
    raw_id_fields = ["company"]
    actions = ["release"]

    def get_readonly_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> tuple[str, ...]:
        return self.fields if obj is not None else ("placed_at", "released_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a hold is a record: released by the action, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LegalHold, form: Any, change: bool) -> None:
        hold = services.place_legal_hold(company=obj.company, actor=request.user, reason=obj.reason,  # type: ignore[arg-type]
                                         reference=obj.reference, review_on=obj.review_on)
        obj.pk, obj.placed_at = hold.pk, hold.placed_at

    @admin.action(description="Release the selected holds", permissions=["add"])
    def release(self, request: HttpRequest, queryset: LegalHoldQuerySet) -> None:
        released = 0
        for hold in queryset.active():
            services.release_legal_hold(hold=hold, actor=request.user)  # type: ignore[arg-type]
            released += 1
        messages.success(request, f"Released {released} hold(s); due purges resume at the next run.")


@admin.register(DeletionCertificate)
class DeletionCertificateAdmin(ReadOnlyAdmin):
    list_display = ["id", "company_id", "issued_at", "policy_version", "rows", "digest"]
    fields = readonly_fields = ("company_id", "issued_at", "policy_version", "digest", "body_display")

    @admin.display(description="Rows deleted")
    def rows(self, certificate: DeletionCertificate) -> int:
        return int(certificate.body.get("rows_deleted_total", 0))

    @admin.display(description="Certificate")
    def body_display(self, certificate: DeletionCertificate) -> str:
        return format_html("<pre>{}</pre>", json.dumps(certificate.body, indent=2, sort_keys=True))


@admin.register(RetainedAggregate)
class RetainedAggregateAdmin(ReadOnlyAdmin):
    list_display = ["metric", "month", "shown_count"]
    list_filter = ["metric"]
    fields = readonly_fields = ("metric", "month", "shown_count")

    def get_queryset(self, request: HttpRequest) -> QuerySet[RetainedAggregate]:
        return selectors.released_aggregates()

    @admin.display(description="Count")
    def shown_count(self, row: RetainedAggregate) -> str:
        return selectors.shown_count(row).label
