"""System checks of the privacy app: the PI registry covers every model field; aggregate thresholds make sense."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from privacy import registry


@checks.register(checks.Tags.models)
def check_registry(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(message, obj=obj, id=check_id,
                         hint="Classify it in privacy/registry.py: personal or not, category, encrypted, erasure.")
            for check_id, obj, message in registry.problems()]


@checks.register(checks.Tags.compatibility)
def check_aggregate_thresholds(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A threshold of one shows a single company's figure; a share outside 1..100 is no rule (PUR-2)."""
    errors: list[checks.CheckMessage] = []
    minimum = settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS
    if not isinstance(minimum, int) or minimum < 2:
        errors.append(checks.Error(f"PRIVACY_AGGREGATE_MIN_CONTRIBUTORS is {minimum!r}; it must be at least 2",
                                   id="privacy.E004", hint="Aggregates must not show one company's or person's figure."))
    percent = settings.PRIVACY_AGGREGATE_DOMINANCE_PERCENT
    if not isinstance(percent, int) or not 1 <= percent <= 100:
        errors.append(checks.Error(f"PRIVACY_AGGREGATE_DOMINANCE_PERCENT is {percent!r}; it must be 1 to 100",
                                   id="privacy.E005", hint="The largest share one company may supply of a shown figure."))
    return errors
