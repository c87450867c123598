from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from consent import purposes


class SupportAccessForm(forms.Form):
    days = forms.TypedChoiceField(coerce=int, choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = [(d, f"{d} day{'s' if d > 1 else ''}")  # type: ignore[attr-defined]
                                       for d in range(1, settings.PRIVACY_SUPPORT_GRANT_MAX_DAYS + 1)]


class MessageConsentsForm(forms.Form):
    """One unticked checkbox per message purpose (sign-up and Your consents)."""

    def __init__(self, *args: Any, initial_granted: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for purpose in purposes.MESSAGE_PURPOSES:
            self.fields[f"consent_{purpose.id}"] = forms.BooleanField(
                label=purpose.label, help_text=purpose.description, required=False,
                initial=purpose.id in (initial_granted or set()))

    def choices(self) -> dict[str, bool]:
        return {p.id: bool(self.cleaned_data.get(f"consent_{p.id}")) for p in purposes.MESSAGE_PURPOSES}
