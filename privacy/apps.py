from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self) -> None:
        from privacy import checks, emails, services  # noqa: F401  (registers the checks and outbox handlers)

        post_migrate.connect(_seed_officer_contact, sender=self, dispatch_uid="privacy.officer_contact")


def _seed_officer_contact(sender: AppConfig, using: str, apps: Any = None, **kwargs: Any) -> None:
    """The published contact exists after every migrate and every test flush (which empties the table).

    ``apps`` is the migrated state after a migrate; a flush passes none (the current models then).
    """
    from django.apps import apps as current_apps
    from django.db import connections

    from privacy.officer_contact import ensure_seeded

    if "privacy_officercontact" not in connections[using].introspection.table_names():
        return  # migrated back past the table
    ensure_seeded((apps or current_apps).get_model("privacy", "OfficerContact").objects.db_manager(using))
