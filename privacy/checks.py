"""System checks of the privacy app: the PI registry must cover every model field exactly."""

from __future__ import annotations

from typing import Any

from django.core import checks

from privacy import registry


@checks.register(checks.Tags.models)
def check_registry(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(message, obj=obj, id=check_id,
                         hint="Classify it in privacy/registry.py: personal or not, category, encrypted, erasure.")
            for check_id, obj, message in registry.problems()]
