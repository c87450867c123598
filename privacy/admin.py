from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from accounts.admin_base import AuditedAdmin, ReadOnlyAdmin
from accounts.models import AuditEvent
from privacy import policy
from privacy.exceptions import PolicyError
from privacy.models import PolicyVersion


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "event", "company_id", "actor_id", "subject_type", "subject_id"]
    list_filter = ["event"]
    search_fields = ["=company_id", "=actor_id"]


class PolicyVersionForm(forms.ModelForm):
    text = forms.CharField(strip=False, max_length=200_000, widget=forms.Textarea(attrs={"rows": 30, "cols": 100}),
                           help_text="Exactly as published: its SHA-256 is shown with it")

    class Meta:
        model = PolicyVersion
        fields = ["label", "effective_on", "text", "summary", "material"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4, "cols": 100})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = policy.draft_problem(label=data.get("label", ""), text=data.get("text", ""),
                                       summary=data.get("summary", ""), version=self.instance if self.instance.pk else None)
        if problem:
            raise forms.ValidationError(problem)
        return data


@admin.register(PolicyVersion)
class PolicyVersionAdmin(AuditedAdmin):
    """Draft a version, then publish it with the action (ACC-3). A published version is read-only for good."""

    form = PolicyVersionForm
    list_display = ["label", "effective_on", "material", "state", "published_at", "notices_display"]
    list_filter = ["material"]
    ordering = ["-effective_on", "-created_at"]
    actions = ["publish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyVersion]:
        return super().get_queryset(request).annotate(
            told=Count("notices"), emailed=Count("notices", filter=Q(notices__emailed_at__isnull=False)),
            read=Count("notices", filter=Q(notices__read_at__isnull=False)))

    def get_fields(self, request: HttpRequest, obj: PolicyVersion | None = None) -> list[str]:  # type: ignore[override]
        fields = ["label", "effective_on", "text", "summary", "material"]
        return fields + (["published_at", "sha256", "notices_display"] if obj is not None and obj.is_published else [])

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyVersion | None = None) -> list[str]:
        return self.get_fields(request, obj) if obj is not None and obj.is_published else []

    def has_change_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_published)

    def has_delete_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_published)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("privacy.publish_policyversion")

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in PolicyVersionForm.Meta.fields}
        saved = (policy.update_draft(version=obj, actor=request.user, **data) if change  # type: ignore[arg-type]
                 else policy.draft_version(actor=request.user, **data))  # type: ignore[arg-type]
        obj.pk, obj.created_at = saved.pk, saved.created_at

    @admin.display(description="State")
    def state(self, version: PolicyVersion) -> str:
        return "published" if version.is_published else "draft"

    @admin.display(description="Users told (emailed, read)")
    def notices_display(self, version: PolicyVersion) -> str:
        if not version.material or not version.is_published:
            return "-"
        return f"{version.told} ({version.emailed} emailed, {version.read} read)"  # type: ignore[attr-defined]

    @admin.action(description="Publish the selected drafts (material changes are emailed to every user)",
                  permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        for version in queryset.order_by("effective_on"):
            try:
                published = policy.publish_version(version=version, actor=request.user)  # type: ignore[arg-type]
            except PolicyError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            told = " Every user is being emailed and sees a banner until they read it." if published.material else ""
            self.message_user(request, f"Version {published.label} is published.{told}", messages.SUCCESS)
