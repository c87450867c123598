from __future__ import annotations

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from accounts.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "event", "company_id", "actor_id", "subject_type", "subject_id"]
    list_filter = ["event"]
    search_fields = ["=company_id", "=actor_id"]

