from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm


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


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the email goes through the outbox, made when it is sent."""

    def save(self, *args: object, **kwargs: object) -> None:
        from accounts import services

        services.request_password_reset(email=self.cleaned_data["email"])
