from __future__ import annotations

from decimal import Decimal, DecimalException
from functools import cache
from typing import Any, cast

from babel.numbers import get_currency_precision, get_currency_symbol
from django import forms
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts.models import Company
from ledger import money, selectors
from ledger.models import INVOICE_NUMBER_TAKEN, BankAccount, BankConnection, BankTransaction, Contact, Invoice


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """A choice list read in one query (issue 16).

    Django iterates choices with ``QuerySet.iterator()``, which on PostgreSQL is a server-side
    cursor: DECLARE, FETCH and CLOSE, three round trips for a company's few bank accounts.
    """

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ByNameChoiceField(forms.ModelChoiceField):
    """Choices labelled by the record's name (its ``str`` holds only an id, by design)."""

    iterator = ListedChoiceIterator

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ContactPicker(forms.Widget):
    """A text box that finds a contact as you type (static/contact_picker.js), with the chosen id beside it.

    Without JavaScript the person types a name and saves: ``ContactField`` takes the contact whose
    name it is, or offers the matching ones to choose from (``candidates``). The chosen contact's
    name is looked up by id for display; the company's contacts are never all rendered.
    """

    template_name = "ledger/_contact_picker.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.queryset: QuerySet[Contact] = Contact.objects.none()
        self.lookup_url = ""
        self.candidates: list[tuple[int, str]] = []

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        # The site's template engine, not the form renderer's own (which does not see templates/).
        return render_to_string(self.template_name, self.get_context(name, value, attrs))

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        chosen = [value for value in data.getlist(name) if value] if hasattr(data, "getlist") else [data.get(name)]
        return {"id": str(chosen[-1]) if chosen and chosen[-1] else "", "text": str(data.get(f"{name}_search", ""))}

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}_search" not in data

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen, text = (value.get("id", ""), value.get("text", "")) if isinstance(value, dict) else (value, None)
        contact_name = ""
        if chosen not in (None, "") and str(chosen).isdigit():
            contact_name = self.queryset.filter(pk=int(chosen)).values_list("name", flat=True).first() or ""
        if not contact_name:
            chosen = ""
        help_id = f"{context['widget']['attrs'].get('id', name)}_help"
        described = context["widget"]["attrs"].get("aria-describedby", "")
        context["widget"]["attrs"]["aria-describedby"] = f"{described} {help_id}".strip()
        context["widget"].update(contact_id=chosen or "", text=contact_name or text or "", lookup_url=self.lookup_url,
                                 candidates=self.candidates, help_id=help_id)
        return context


class ContactField(forms.ModelChoiceField):
    """The invoice's contact: an id of this company's contacts (validated against the queryset), or a name."""

    widget = ContactPicker
    company: Company | None = None  # set by the form: the no-JavaScript search looks in this company
    default_error_messages = {
        **forms.ModelChoiceField.default_error_messages,
        "choose": "Several contacts match “%(text)s”: choose one.",
        "unknown": "No contact is named “%(text)s”. Type part of a name and choose one, or add the contact first.",
    }

    def clean(self, value: Any) -> Contact | None:
        if not isinstance(value, dict):
            return super().clean(value)
        if value["id"] or not value["text"].strip():
            return super().clean(value["id"])
        text = " ".join(value["text"].split())
        queryset = cast(QuerySet[Contact], self.queryset)
        named = list(queryset.filter(name__iexact=text)[:2])
        if len(named) == 1:
            return named[0]
        picker = cast(ContactPicker, self.widget)
        picker.candidates = (selectors.contact_lookup(company=self.company, term=text, limit=20)
                             if self.company is not None else [])
        if not picker.candidates:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"text": text})
        raise forms.ValidationError(self.error_messages["choose"], code="choose", params={"text": text})


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
        contact = cast(ContactField, self.fields["contact"])
        contact.company = company
        picker = cast(ContactPicker, contact.widget)
        picker.queryset = cast(QuerySet[Contact], contact.queryset)
        picker.lookup_url = reverse("ledger:contacts-lookup", kwargs={"company_id": company.pk})

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
        field_classes = {"contact": ContactField}
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
            if not (quantity.is_finite() and unit_price.is_finite()):
                return None
            return quantity * unit_price
        except (DecimalException, ValueError):  # 9e999999 × 9e999999 overflows: no amount to show
            return None

    @property
    def amount(self) -> Decimal | None:
        """The line's amount as the saved line shows it (``InvoiceLine.amount``)."""
        product = self.product
        try:
            return None if product is None else product.quantize(Decimal("0.01"))
        except DecimalException:  # more digits than a Decimal holds: the form refuses it anyway
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
        try:
            return sum((form.product for form in self.forms if form.product is not None), Decimal("0"))
        except DecimalException:  # lines that overflow together: the form refuses them anyway
            return Decimal("0")


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
