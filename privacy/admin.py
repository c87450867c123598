"""The officer's privacy desk: the audit trail, the published contact (ACC-1), inquiries (ACC-2, CHL-1).

Inquiries are the one place where the admin shows personal values: the requester's own name,
email and words, which the officer needs to answer them. Only staff with ``privacy.view_inquiry``
see them, the list shows references only, and each opening of an inquiry is an audit event.
Every change goes through ``privacy.inquiries`` (buttons below the inquiry), never a model form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path
from django.utils import timezone

from accounts.admin_base import AuditedAdmin, ReadOnlyAdmin
from accounts.audit import record_event
from accounts.models import AuditEvent, User
from privacy import inquiries, officer_contact, policy, selectors
from privacy.exceptions import InquiryRefused, PolicyError
from privacy.forms import AnswerForm, CloseForm, ExtendForm
from privacy.models import Inquiry, InquiryQuerySet, OfficerContact, PolicyVersion

DUE_SOON_DAYS = 7


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


@admin.register(OfficerContact)
class OfficerContactAdmin(AuditedAdmin):
    """One record, seeded from the policy: edited here through the service, never added again or deleted."""

    list_display = ["title", "email", "phone", "updated_at"]
    fields = (*officer_contact.EDITABLE, "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the one record exists from the first migration; the database refuses a second

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: OfficerContact, form: forms.ModelForm, change: bool) -> None:
        updated = officer_contact.update(actor=cast(User, request.user),
                                         changes={name: form.cleaned_data[name] for name in officer_contact.EDITABLE})
        obj.updated_at = updated.updated_at


class DueFilter(admin.SimpleListFilter):
    title = "due date"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "Overdue"), ("soon", f"Due within {DUE_SOON_DAYS} days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        inquiries_ = cast(InquiryQuerySet, queryset)
        if self.value() == "overdue":
            return inquiries_.overdue(now=timezone.now())
        if self.value() == "soon":
            return inquiries_.due_within(now=timezone.now(), days=DUE_SOON_DAYS)
        return queryset


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyAdmin):
    """The officer's inquiries: references in the list, the requester's words on the inquiry, work below it."""

    list_display = ["reference", "kind", "status", "assignee_display", "received_at", "due_on", "overdue"]
    list_filter = [DueFilter, "status", "kind"]
    search_fields = ["=reference"]
    ordering = ["due_on", "pk"]
    fields = readonly_fields = (
        "reference", "kind", "status", "overdue", "received_at", "due_on", "extension", "assignee_display",
        "user_display", "name", "email", "message", "answered_at", "closed_at", "resolution", "resolution_note",
        "erased_at")
    change_form_template = "admin/privacy/inquiry/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Inquiry]:
        return cast(InquiryQuerySet, super().get_queryset(request)).with_overdue(now=timezone.now())

    @admin.display(boolean=True, description="Overdue")
    def overdue(self, inquiry: Inquiry) -> bool:
        return bool(getattr(inquiry, "is_overdue", False))

    @admin.display(description="Assignee")
    def assignee_display(self, inquiry: Inquiry) -> str:
        return f"User #{inquiry.assignee_id}" if inquiry.assignee_id else "-"

    @admin.display(description="Sender's account")
    def user_display(self, inquiry: Inquiry) -> str:
        return f"User #{inquiry.user_id}" if inquiry.user_id else "none (not logged in)"

    @admin.display(description="Extension")
    def extension(self, inquiry: Inquiry) -> str:
        if inquiry.extended_at is None:
            return "-"
        return f"{inquiry.extended_at:%Y-%m-%d} by user #{inquiry.extended_by_id} (the reason is in the timeline)"

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Each opening of an inquiry is audited: it shows a person's name, email and words."""
        inquiry = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if inquiry is not None and self.has_view_permission(request, inquiry):
            context.update(self._work_context(request, inquiry))
        response = super().change_view(request, object_id, form_url, context)
        if request.method == "GET" and inquiry is not None and response.status_code == 200:
            record_event(event=AuditEvent.Event.INQUIRY_VIEWED, company_id=None, actor_id=request.user.pk,
                         subject=inquiry)
        return response

    def _work_context(self, request: HttpRequest, inquiry: Inquiry) -> dict[str, Any]:
        return {
            "timeline": selectors.timeline(inquiry),
            "can_handle": request.user.has_perm("privacy.handle_inquiry") and inquiry.status != Inquiry.Status.CLOSED,
            "can_extend": inquiries.can_extend(inquiry, now=timezone.now()),
            "answer_form": AnswerForm(), "extend_form": ExtendForm(), "close_form": CloseForm(),
        }

    def get_urls(self) -> list[URLPattern]:
        own = [path(f"<int:pk>/{name}/", self.admin_site.admin_view(self.work), {"name": name},
                    name=f"privacy_inquiry_{name}") for name in WORK]
        return [*own, *super().get_urls()]

    def work(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        """One button below an inquiry: a POST that calls one service; the outcome shows as a message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("privacy.handle_inquiry"):
            raise PermissionDenied
        inquiry = get_object_or_404(Inquiry, pk=pk)
        try:
            done = WORK[name](inquiry, cast(User, request.user), request.POST)
        except InquiryRefused as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("admin:privacy_inquiry_change", pk)


def _form(form_class: type[forms.Form], data: Any) -> dict[str, Any]:
    form = form_class(data)
    if not form.is_valid():
        raise ValidationError([error for errors in form.errors.values() for error in errors])
    return form.cleaned_data


def _assign(inquiry: Inquiry, user: User, data: Any) -> str:
    inquiries.assign(inquiry=inquiry, assignee=user, actor=user)
    return "Assigned to you."


def _start(inquiry: Inquiry, user: User, data: Any) -> str:
    inquiries.set_status(inquiry=inquiry, status=Inquiry.Status.IN_PROGRESS, actor=user)
    return "Marked in progress."


def _extend(inquiry: Inquiry, user: User, data: Any) -> str:
    extended = inquiries.extend(inquiry=inquiry, actor=user, **_form(ExtendForm, data))
    return f"Due date extended to {extended.due_on:%d %B %Y}; the requester is emailed the date and the reason."


def _answer(inquiry: Inquiry, user: User, data: Any) -> str:
    inquiries.answer(inquiry=inquiry, actor=user, **_form(AnswerForm, data))
    return "Answer sent to the requester by email."


def _close(inquiry: Inquiry, user: User, data: Any) -> str:
    inquiries.close(inquiry=inquiry, actor=user, **_form(CloseForm, data))
    return "Inquiry closed."


WORK: dict[str, Callable[[Inquiry, User, Any], str]] = {
    "assign": _assign, "start": _start, "extend": _extend, "answer": _answer, "close": _close}
