from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings


class SupportAccessForm(forms.Form):
    days = forms.TypedChoiceField(coerce=int, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [(d, f"{d} day{'s' if d > 1 else ''}")  # type: ignore[attr-defined]
                                       for d in range(1, settings.PRIVACY_SUPPORT_GRANT_MAX_DAYS + 1)]
