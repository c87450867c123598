from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_base import ReadOnlyAdmin
from accounts.models import AuditEvent
from privacy.models import SupportGrant


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "event", "company_id", "actor_id", "subject_type", "subject_id"]
    list_filter = ["event"]
    search_fields = ["=company_id", "=actor_id"]


@admin.register(SupportGrant)
class SupportGrantAdmin(ReadOnlyAdmin):
    """Which companies let support view their data, until when; the link opens the audited view."""

    list_display = ["id", "company_id", "created_at", "expires_at", "revoked_at", "view_data"]

    @admin.display(description="Company data")
    def view_data(self, grant: SupportGrant) -> str:
        if not grant.is_active():
            return "-"
        url = reverse("privacy:staff-company-data", kwargs={"company_id": grant.company_id})
        return format_html('<a href="{}">View (audited)</a>', url)
