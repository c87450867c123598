from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest

from accounts import login_limits


class SignUpForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False,
                               help_text="At least 10 characters, not a common password.")
    company_name = forms.CharField(label="Company name", max_length=200)


class CompanyForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=200)


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True}))

    def clean(self) -> dict[str, object]:
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "account_waits", False):  # accounts.login_limits: say why, not "wrong password"
                raise forms.ValidationError(login_limits.ACCOUNT_WAITS, code="account_waits") from None
            raise


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes through the outbox, made when it is sent."""

    def save(self, *args: object, **kwargs: object) -> None:
        from accounts import services

        services.request_password_reset(email=self.cleaned_data["email"])


class CodeForm(forms.Form):
    """A two-factor code: six digits from the authenticator app, or a recovery code."""

    otp_token = forms.CharField(
        label="Code", max_length=20, strip=True,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false",
                                      "autocapitalize": "off"}))


class AppCodeForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from the app", max_length=10, strip=True,
        help_text="The 6-digit code your authenticator app shows for Soft Helpers.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class ReauthenticateForm(forms.Form):
    """The password again before a destructive action or a change to how one signs in (SAF-3); failures count
    like failed logins. (Shutdown Company, two-factor recovery codes and turning two-factor off use it.)"""

    password = forms.CharField(label="Your password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = authenticate(self.request, username=self.request.user.get_username(), password=password)
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError("That password is not correct.")
        return password


class TurnOffForm(ReauthenticateForm):
    otp_token = forms.CharField(
        label="Code", max_length=20, strip=True,
        help_text="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false",
                                      "autocapitalize": "off"}))
