"""Users, companies, memberships, outbox and groups: read-only, ids and states only; API tokens and two-factor devices not at all.

No one becomes a member, sets a password or deletes a company from here (PUR-3, SAF-1): an
email or a name would be personal information, and a membership would open a company's data
around the support grant.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from accounts.admin_base import ReadOnlyAdmin
from accounts.models import Company, Membership, OutboxMessage, User

admin.site.unregister(Group)
admin.site.unregister(AuthToken)  # its key is the token's digest: a credential, not for staff eyes
# Two-factor secrets and recovery codes: credentials too; each person manages their own (accounts.two_factor).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """Ids and flags; no email, name or password (and so no password form to set one)."""

    ordering = ["id"]
    list_display = ["id", "is_active", "is_staff", "is_superuser", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_active"]
    fields = ("id", "is_active", "is_staff", "is_superuser", "groups", "date_joined", "last_login")
    readonly_fields = fields


@admin.register(Company)
class CompanyAdmin(ReadOnlyAdmin):
    """Ids, states and dates only: the name is tenant data, seen only under a support grant (PUR-3)."""

    list_display = ["id", "status", "created_at", "closed_at"]
    list_filter = ["status"]
    fields = ("id", "status", "created_at", "closed_at", "purged_at")
    readonly_fields = fields


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["id", "company_id", "user_id", "role", "created_at"]
    list_filter = ["role"]
    fields = ("id", "company_id", "user_id", "role", "created_at")
    readonly_fields = fields


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "handler", "created_at", "delivered_at", "attempts", "last_error"]
    list_filter = ["handler"]
    fields = ("id", "handler", "payload", "created_at", "delivered_at", "attempts", "last_error")
    readonly_fields = fields


@admin.register(Group)
class GroupAdmin(ReadOnlyAdmin):
    """Groups and their permissions are made by migrations (the Privacy officer group)."""

    list_display = ["name"]
    fields = ("name", "permissions")
    readonly_fields = fields
