from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, cast

from babel.numbers import get_currency_precision, get_currency_symbol
from django import forms

from accounts.models import Company
from ledger import money, selectors
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

    @property
    def product(self) -> Decimal | None:
        """Quantity times unit price as typed, unrounded (None while either is not a number)."""
        try:
            quantity = Decimal(str(self["quantity"].value()).strip())
            unit_price = Decimal(str(self["unit_price"].value()).strip())
        except (InvalidOperation, ValueError):
            return None
        return quantity * unit_price if quantity.is_finite() and unit_price.is_finite() else None

    @property
    def amount(self) -> Decimal | None:
        """The line's amount as the saved line shows it (``InvoiceLine.amount``)."""
        product = self.product
        try:
            return None if product is None else product.quantize(Decimal("0.01"))
        except InvalidOperation:  # more digits than a Decimal holds: the form refuses it anyway
            return None


class BaseInvoiceLineFormSet(forms.BaseFormSet):
    LINE_FIELDS = ("description", "quantity", "unit_price")

    def posted_rows(self) -> list[dict[str, str]]:
        """The rows as typed, for re-rendering after "Add line" or "Remove" without JavaScript."""
        if not self.is_bound:
            return []
        posted = self.management_form.cleaned_data.get("TOTAL_FORMS") if self.management_form.is_valid() else 0
        count = min(posted or 0, self.max_num or 0)
        return [{name: str(self.data.get(f"{self.prefix}-{i}-{name}", "")) for name in self.LINE_FIELDS}
                for i in range(count)]

    @property
    def total(self) -> Decimal:
        """The lines' total as typed, summed unrounded like the saved invoice's total (``selectors.invoices``)."""
        return sum((form.product for form in self.forms if form.product is not None), Decimal("0"))


# validate_max: a tampered TOTAL_FORMS above 200 is an error on the form, not 200 silently kept lines.
InvoiceLineFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseInvoiceLineFormSet, extra=3, max_num=200,
                                           validate_max=True)
# The same lines re-rendered after "Add line" or "Remove" (no JavaScript): exactly the rows asked for.
InvoiceLineRowsFormSet = forms.formset_factory(InvoiceLineForm, formset=BaseInvoiceLineFormSet, extra=0,
                                               max_num=200, validate_max=True)


@cache
def invoice_line_currency_formats() -> dict[str, tuple[str, int]]:
    """Each currency's symbol and decimals as ``money.format_money`` shows them, for the running total's script."""
    return {code: (get_currency_symbol(code, locale=money.LOCALE), get_currency_precision(code))
            for code, _label in money.currency_choices()}


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
