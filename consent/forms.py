from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from consent import purposes
from consent.models import Invitation


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


class InvitationForm(forms.Form):
    """Invite someone (GST-1): name and email both required."""

    name = forms.CharField(label="Name", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Invitation.Role.choices, initial=Invitation.Role.GUEST)


class InvitedSignUpForm(forms.Form):
    """An account made through an invitation link: the email is the invited one, shown but not asked."""

    full_name = forms.CharField(label="Your name", max_length=150)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False,
                               help_text="At least 10 characters, not a common password.")


class RemoveInviteeForm(forms.Form):
    email = forms.EmailField(label="The invitee's email", max_length=254)
