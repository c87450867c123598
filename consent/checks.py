"""System checks of the consent app: a Google Analytics id that is not one, and invitation links that outlive the policy."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def check_measurement_id(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    value = settings.GA_MEASUREMENT_ID
    if value and not re.fullmatch(r"G-[A-Z0-9]{4,16}", value):
        return [checks.Error("GA_MEASUREMENT_ID must look like G-XXXXXXXXXX, or be empty (analytics off)",
                             id="consent.E001")]
    return []


MAX_INVITATION_LINK_DAYS = 30


@checks.register(checks.Tags.compatibility)
def check_invitation_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    days = settings.INVITATION_LINK_DAYS
    errors: list[checks.CheckMessage] = []
    if not 1 <= days <= MAX_INVITATION_LINK_DAYS:
        errors.append(checks.Error(
            f"INVITATION_LINK_DAYS is {days}; it must be 1 to {MAX_INVITATION_LINK_DAYS}", id="consent.E002",
            hint="An invitee's name and email are kept only until the link expires (GST-3)."))
    if settings.INVITATIONS_PER_COMPANY_PER_DAY < 1:
        errors.append(checks.Error("INVITATIONS_PER_COMPANY_PER_DAY must be at least 1", id="consent.E003"))
    return errors
