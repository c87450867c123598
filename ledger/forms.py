from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Company
from ledger import selectors
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice


class CompanyScopedModelForm(forms.ModelForm):
    """Choices of related records come only from the current company."""

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "contact" in self.fields:
            self.fields["contact"].queryset = selectors.contacts(company=company)
            self.fields["contact"].label_from_instance = lambda contact: contact.name
        if "bank_account" in self.fields:
            self.fields["bank_account"].queryset = selectors.bank_accounts(company=company)
            self.fields["bank_account"].label_from_instance = lambda account: account.name


class ContactForm(CompanyScopedModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "address"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class InvoiceForm(CompanyScopedModelForm):
    class Meta:
        model = Invoice
        fields = ["contact", "number", "issue_date", "due_date", "status", "currency", "notes"]
        widgets = {
            "issue_date": forms.DateInput(attrs={"type": "date"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class InvoiceLineForm(forms.Form):
    description = forms.CharField(max_length=300, required=False)
    quantity = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    unit_price = forms.DecimalField(max_digits=14, decimal_places=2, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [data.get(k) not in (None, "") for k in ("description", "quantity", "unit_price")]
        if any(filled) and not all(filled):
            raise forms.ValidationError("Fill in description, quantity and unit price, or leave the line empty.")
        return data


InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, extra=3, max_num=200)


class BankAccountForm(CompanyScopedModelForm):
    class Meta:
        model = BankAccount
        fields = ["name", "bank_name", "holder_name", "account_number", "currency"]


class BankConnectionForm(CompanyScopedModelForm):
    # A plain form field, not in Meta.fields: the form must never copy it onto the record
    # (an empty value means "keep the stored credentials"); the service decides.
    credentials = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, strip=False,
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored credentials.",
    )

    class Meta:
        model = BankConnection
        fields = ["bank_account", "provider", "login_name"]


class BankTransactionForm(CompanyScopedModelForm):
    class Meta:
        model = BankTransaction
        fields = ["bank_account", "booked_on", "description", "counterparty", "amount"]
        widgets = {"booked_on": forms.DateInput(attrs={"type": "date"})}
