from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import Company, Membership, OutboxMessage, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["id"]
    list_display = ["id", "email", "is_staff", "is_active", "date_joined"]
    search_fields = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    """Ids, states and dates only: the name is tenant data, seen only under a support grant (PUR-3)."""

    list_display = ["id", "status", "created_at", "closed_at"]
    list_filter = ["status"]
    fields = ("id", "status", "created_at", "closed_at")
    readonly_fields = fields


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["id", "company_id", "user_id", "role", "created_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "company"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "handler", "created_at", "delivered_at", "attempts", "last_error"]
    list_filter = ["handler"]
    readonly_fields = ["handler", "payload", "created_at", "delivered_at", "attempts", "last_error"]
