from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrivacyConfig(AppConfig):
    name = "privacy"

    def ready(self) -> None:
        # The checks, the outbox handlers and the users and companies counts register on import.
        from privacy import checks, emails, inquiries, services, statistics  # noqa: F401

        post_migrate.connect(_seed_published_records, sender=self, dispatch_uid="privacy.published_records")


def _seed_published_records(sender: AppConfig, using: str, apps: Any = None, **kwargs: Any) -> None:
    """The officer's contact and the 2013 policy exist after every migrate and every test flush (which empties them).

    ``apps`` is the migrated state after a migrate; a flush passes none (the current models then).
    """
    from django.apps import apps as current_apps
    from django.db import connections

    from privacy.officer_contact import ensure_seeded
    from privacy.policy import seed_first_version

    tables = connections[using].introspection.table_names()
    if "privacy_officercontact" in tables:  # not when migrated back past the table
        ensure_seeded((apps or current_apps).get_model("privacy", "OfficerContact").objects.db_manager(using))
    if "privacy_policyversion" in tables:
        seed_first_version(using=using)
