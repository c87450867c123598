from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.models import Company
from ledger import selectors
from ledger.models import INVOICE_NUMBER_TAKEN, BankAccount, BankConnection, BankTransaction, Contact, Invoice


class ByNameChoiceField(forms.ModelChoiceField):
    """Choices labelled by the record's name (its ``str`` holds only an id, by design)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CompanyScopedModelForm(forms.ModelForm):
    """Choices of related records come only from the current company."""

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scoped = {"contact": selectors.contacts, "bank_account": selectors.bank_accounts}
        for name, selector in scoped.items():
            if name in self.fields:
                cast(forms.ModelChoiceField, self.fields[name]).queryset = selector(company=company)


class ContactForm(CompanyScopedModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "address"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class InvoiceForm(CompanyScopedModelForm):
    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.company = company

    def clean_number(self) -> str:
        """The company is not a form field, so Django skips the unique constraint: ask here (the database stays the wall)."""
        number = self.cleaned_data["number"]
        taken = selectors.invoices(company=self.company).filter(number=number)
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(INVOICE_NUMBER_TAKEN)
        return number

    class Meta:
        model = Invoice
        fields = ["contact", "number", "issue_date", "due_date", "status", "currency", "notes"]
        field_classes = {"contact": ByNameChoiceField}
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
        field_classes = {"bank_account": ByNameChoiceField}


class BankTransactionForm(CompanyScopedModelForm):
    class Meta:
        model = BankTransaction
        fields = ["bank_account", "booked_on", "description", "counterparty", "amount"]
        field_classes = {"bank_account": ByNameChoiceField}
        widgets = {"booked_on": forms.DateInput(attrs={"type": "date"})}
