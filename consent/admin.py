"""The officer's consent desk: support access grants, the ledger (ids only), messages for a purpose."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_base import AuditedAdmin, ReadOnlyAdmin
from consent import purposes, services
from consent.exceptions import ConsentError
from consent.models import Consent, ConsentEvent, PurposeMessage


@admin.register(Consent)
class SupportAccessAdmin(ReadOnlyAdmin):
    """Which companies let support view their data, until when; the link opens the audited view."""

    list_display = ["company_id", "granted", "since", "expires_at", "view_data"]
    fields = readonly_fields = ("company_id", "granted", "since", "expires_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consent]:
        return super().get_queryset(request).filter(purpose=purposes.SUPPORT_ACCESS)

    @admin.display(description="Company data")
    def view_data(self, grant: Consent) -> str:
        if not grant.in_force():
            return "-"
        url = reverse("consent:staff-company-data", kwargs={"company_id": grant.company_id})
        return format_html('<a href="{}">View (audited)</a>', url)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    """The ledger as the officer may see it: who by id, which purpose, how, when; never a name."""

    list_display = ["id", "at", "purpose", "granted", "method", "user_id", "company_id", "policy_version"]
    list_filter = ["purpose", "method", "granted"]
    search_fields = ["=user_id", "=company_id"]
    exclude = ["user", "company"]
    readonly_fields = ("user_id", "company_id")


@admin.register(PurposeMessage)
class PurposeMessageAdmin(AuditedAdmin):
    """Compose (add) a message for a purpose, then send it with the action; progress in the list."""

    list_display = ["id", "created_at", "purpose", "subject", "status", "recipients", "sent", "skipped", "progress_display"]
    list_filter = ["purpose", "status"]
    fields = ("purpose", "subject", "text", "status", "recipients", "sent", "skipped", "queued_at", "finished_at")
    actions = ["send"]

    def get_readonly_fields(self, request: HttpRequest, obj: PurposeMessage | None = None) -> tuple[str, ...]:
        counters = ("status", "recipients", "sent", "skipped", "queued_at", "finished_at")
        return self.fields if obj is not None else counters

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a message is sent as written; write a new one to change it

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("consent.send_purposemessage")

    def save_model(self, request: HttpRequest, obj: PurposeMessage, form: Any, change: bool) -> None:
        created = services.create_message(purpose=obj.purpose, subject=obj.subject, text=obj.text,
                                          actor=request.user)  # type: ignore[arg-type]
        obj.pk, obj.created_at = created.pk, created.created_at

    @admin.display(description="Progress")
    def progress_display(self, message: PurposeMessage) -> str:
        return "-" if message.status == PurposeMessage.Status.DRAFT else f"{message.progress}%"

    @admin.action(description="Send the selected messages to everyone who consents now", permissions=["send"])
    def send(self, request: HttpRequest, queryset: QuerySet[PurposeMessage]) -> None:
        for message in queryset:
            try:
                queued = services.queue_message(message=message, actor=request.user)  # type: ignore[arg-type]
            except ConsentError as exc:
                messages.error(request, str(exc))
                continue
            messages.success(request, f"Message #{queued.pk}: {queued.recipients} recipient(s) queued; each is "
                                      "checked again when the email goes out.")
