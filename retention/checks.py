"""System checks of the retention app: the policy's 30-day limit cannot be configured away (RET-3)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

MAX_GRACE_DAYS = 30


@checks.register(checks.Tags.compatibility)
def check_grace_period(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    days = settings.RETENTION_GRACE_DAYS
    if not 0 <= days <= MAX_GRACE_DAYS:
        return [checks.Error(f"RETENTION_GRACE_DAYS is {days}; the privacy policy allows 0 to {MAX_GRACE_DAYS} days",
                             id="retention.E001",
                             hint="Personal information must be destroyed within 30 days of withdrawal (RET-3).")]
    if settings.RETENTION_PURGE_BATCH_ROWS < 1 or settings.RETENTION_SHUTDOWN_LINK_HOURS < 1:
        return [checks.Error("RETENTION_PURGE_BATCH_ROWS and RETENTION_SHUTDOWN_LINK_HOURS must be positive",
                             id="retention.E002")]
    return []
