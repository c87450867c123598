from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class SoftHelpersConfig(AppConfig):
    name = "softhelpers"
    verbose_name = "Soft Helpers"

    def ready(self) -> None:
        from softhelpers import checks  # noqa: F401  (registers system checks)

        post_migrate.connect(_grant_after_migrate, dispatch_uid="softhelpers.grants")
        connection_created.connect(_check_app_role, dispatch_uid="softhelpers.app_role")


def _grant_after_migrate(sender: AppConfig, using: str, **kwargs: Any) -> None:
    if sender.name != "softhelpers":  # once per migrate run is enough
        return
    from softhelpers.dbroles import ensure_app_role, grant_app_privileges

    ensure_app_role(using=using, password=settings.DATABASE_APP_PASSWORD)
    grant_app_privileges(using=using)
    _sync_officer_group(using)


def _sync_officer_group(using: str) -> None:
    """The Privacy officer group holds exactly today's permissions, after every migrate and flush."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from accounts.officers import sync_officer_group

    for app_config in apps.get_app_configs():  # apps after this one have not had their turn yet
        create_permissions(app_config, verbosity=0, using=using)
    sync_officer_group(groups=Group.objects.db_manager(using), permissions=Permission.objects.db_manager(using))


_checked_aliases: set[str] = set()


def _check_app_role(sender: Any, connection: Any, **kwargs: Any) -> None:
    # OWNER_SESSION marks the test harness creating the test database as the owner.
    if connection.alias != "default" or connection.alias in _checked_aliases:
        return
    if connection.settings_dict.get("OWNER_SESSION"):
        return
    _checked_aliases.add(connection.alias)
    from softhelpers.dbroles import assert_app_role_is_confined

    assert_app_role_is_confined(connection)
