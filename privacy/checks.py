"""System checks of the privacy app: the PI registry must cover every model field exactly; the inquiry
settings cannot promise a slower answer than the 30 days we allow ourselves (ACC-2); aggregate thresholds
make sense (PUR-2)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from privacy import registry

MAX_INQUIRY_DAYS = 30


@checks.register(checks.Tags.models)
def check_registry(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(message, obj=obj, id=check_id,
                         hint="Classify it in privacy/registry.py: personal or not, category, encrypted, erasure.")
            for check_id, obj, message in registry.problems()]


@checks.register(checks.Tags.compatibility)
def check_inquiry_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    days = settings.PRIVACY_INQUIRY_DAYS
    if not 1 <= days <= MAX_INQUIRY_DAYS:
        errors.append(checks.Error(
            f"PRIVACY_INQUIRY_DAYS is {days}; it must be 1 to {MAX_INQUIRY_DAYS}", id="privacy.E004",
            hint="An inquiry is answered within 30 days of receipt; one extension of at most 30 days is separate."))
    if settings.PRIVACY_INQUIRY_KEEP_DAYS < 0:
        errors.append(checks.Error("PRIVACY_INQUIRY_KEEP_DAYS must not be negative", id="privacy.E005"))
    if settings.PRIVACY_INQUIRIES_PER_HOUR < 1:
        errors.append(checks.Error("PRIVACY_INQUIRIES_PER_HOUR must be at least 1", id="privacy.E006"))
    return errors


@checks.register(checks.Tags.compatibility)
def check_aggregate_thresholds(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A threshold of one shows a single company's figure; a share outside 1..100 is no rule (PUR-2)."""
    errors: list[checks.CheckMessage] = []
    minimum = settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS
    if not isinstance(minimum, int) or minimum < 2:
        errors.append(checks.Error(f"PRIVACY_AGGREGATE_MIN_CONTRIBUTORS is {minimum!r}; it must be at least 2",
                                   id="privacy.E007", hint="Aggregates must not show one company's or person's figure."))
    percent = settings.PRIVACY_AGGREGATE_DOMINANCE_PERCENT
    if not isinstance(percent, int) or not 1 <= percent <= 100:
        errors.append(checks.Error(f"PRIVACY_AGGREGATE_DOMINANCE_PERCENT is {percent!r}; it must be 1 to 100",
                                   id="privacy.E008", hint="The largest share one company may supply of a shown figure."))
    return errors
