"""System checks of the consent app: a Google Analytics id that is not one would put junk in every page."""

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
