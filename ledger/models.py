"""The accounting data the privacy policy protects. Every row carries ``company_id``.

Child rows (invoice lines, connections, transactions) repeat ``company_id`` on purpose:
isolation, purge and sharding by company need no joins. Each reference to a parent is one
composite foreign key ``(company_id, parent_id)`` in the database (``tenancy.parent_reference``,
migrations 0002 and 0005): a child of another company's parent is impossible even for a buggy
caller, since plain foreign-key checks bypass row-level security. Every key and index leads
with ``company_id``; in the database the primary key is ``(company_id, id)`` (migration 0013,
for a distributed PostgreSQL: accounts/distribution.py) while the models keep ``id``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.utils import timezone

from accounts.tenancy import TenantModel, parent_reference
from ledger import money
from ledger.search import SearchGrams
from privacy.fields import SealedCharField, SealedEmailField, SealedFieldsModel, SealedTextField


class Contact(SealedFieldsModel, TenantModel):
    name = models.CharField(max_length=200)
    email = SealedEmailField(blank=True)
    phone = SealedCharField(max_length=40, blank=True)
    address = SealedTextField(blank=True, max_length=500, validators=[MaxLengthValidator(500)])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["company", "name", "id"], name="contact_company_name_id"),
                   GinIndex(SearchGrams("company", "name"), name="contact_name_search")]  # ledger/search.py

    def __str__(self) -> str:
        return f"Contact #{self.pk}"


INVOICE_NUMBER_TAKEN = "This company already has an invoice with this number."
# The bounds of money (issue 15): a line's amount and an invoice's total fit every column, total and
# serializer that shows them (20 digits), with room to spare; the form and the API stop at this many lines.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_INVOICE_LINES = 200
MAX_NOTES = 2000
LINE_TOO_LARGE = "A line's amount (quantity × unit price) cannot be more than 999,999,999,999.99."
TOTAL_TOO_LARGE = "An invoice's total cannot be more than 999,999,999,999.99."


class ConstraintErrorsOnFields(models.Model):
    """A constraint's message shows on the field it concerns, not as "Constraint … is violated." (issue 14).

    ``CONSTRAINT_FIELDS`` maps a constraint's ``violation_error_code`` to that field.
    """

    CONSTRAINT_FIELDS: dict[str, str] = {}

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Any = None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors: dict[str, list[ValidationError]] = {}
            for field, messages in exc.error_dict.items():
                for error in messages:
                    errors.setdefault(self.CONSTRAINT_FIELDS.get(str(error.code), field), []).append(error)
            raise ValidationError(errors) from exc


class Invoice(ConstraintErrorsOnFields, TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    CONSTRAINT_FIELDS = {"invoice_due_after_issue": "due_date"}

    contact = parent_reference(Contact, related_name="invoices")
    number = models.CharField(max_length=40)
    issue_date = models.DateField(default=timezone.localdate)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default="USD", choices=money.currency_choices)
    notes = models.TextField(blank=True, max_length=MAX_NOTES, validators=[MaxLengthValidator(MAX_NOTES)])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_number_unique_per_company",
                                    violation_error_message=INVOICE_NUMBER_TAKEN),
            models.CheckConstraint(
                condition=models.Q(due_date__isnull=True) | models.Q(due_date__gte=models.F("issue_date")),
                name="invoice_due_after_issue", violation_error_code="invoice_due_after_issue",
                violation_error_message="The due date cannot be before the issue date.",
            ),
        ]
        indexes = [models.Index("company", F("issue_date").desc(), F("id").desc(), name="invoice_company_list"),
                   models.Index(fields=["company", "contact"], name="invoice_company_contact"),
                   models.Index(fields=["company", "status", "id"], name="invoice_company_status"),
                   GinIndex(SearchGrams("company", "number"), name="invoice_number_search"),
                   # ledger_statistic counts each company's invoices created in a day (privacy.statistics).
                   models.Index(fields=["company", "created_at"], name="invoice_company_created")]

    def __str__(self) -> str:
        return f"Invoice #{self.pk}"

    @property
    def total_shown(self) -> str:
        """The total as pages show it (the selectors annotate ``total``)."""
        return money.format_money(getattr(self, "total", None), self.currency)


class InvoiceLine(TenantModel):
    invoice = parent_reference(Invoice, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("1"),
                                   validators=[MinValueValidator(Decimal("0"))])
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["company", "invoice"], name="invoiceline_company_invoice")]

    def __str__(self) -> str:
        return f"Invoice line #{self.pk}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))

    def clean(self) -> None:
        if self.quantity is not None and self.unit_price is not None and abs(self.amount) > MAX_AMOUNT:
            raise ValidationError(LINE_TOO_LARGE)


class BankAccount(SealedFieldsModel, TenantModel):
    name = models.CharField(max_length=100, help_text="Your label for this account")
    bank_name = models.CharField(max_length=100, blank=True)
    holder_name = models.CharField(max_length=200)
    account_number = SealedCharField(max_length=40)
    currency = models.CharField(max_length=3, default="USD", choices=money.currency_choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"Bank account #{self.pk}"


class BankConnection(SealedFieldsModel, TenantModel):
    """Credentials the user gave us to import statements (CON-2, SHR-1); never shown again."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCONNECTED = "disconnected", "Disconnected"

    bank_account = parent_reference(BankAccount, related_name="connections")
    provider = models.CharField(max_length=100)
    login_name = SealedCharField(max_length=150)
    credentials = SealedTextField(blank=True, max_length=4000, validators=[MaxLengthValidator(4000)])
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_import_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["company", "bank_account"], name="bankconn_company_account")]

    def __str__(self) -> str:
        return f"Bank connection #{self.pk}"


class BankTransaction(TenantModel):
    bank_account = parent_reference(BankAccount, related_name="transactions")
    booked_on = models.DateField()
    description = models.CharField(max_length=300)
    counterparty = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # Set by a statement import (ledger.imports): a digest of the OFX FITID, or of the booked date, amount,
    # description and the row's occurrence among identical rows of its file. Re-importing a row finds it;
    # rows entered by hand (or inserted raw, as seed_demo does) have none (""), outside the unique key.
    import_fingerprint = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "bank_account", "import_fingerprint"],
                                               condition=~models.Q(import_fingerprint=""),
                                               name="banktx_import_fingerprint_unique")]
        indexes = [models.Index("company", F("booked_on").desc(), F("id").desc(), name="banktx_company_list"),
                   models.Index(fields=["company", "bank_account"], name="banktx_company_account"),
                   models.Index(fields=["company", "amount", "id"], name="banktx_company_amount"),
                   models.Index(fields=["company", "description", "id"], name="banktx_company_description"),
                   GinIndex(SearchGrams("company", "description"), name="banktx_description_search"),
                   GinIndex(SearchGrams("company", "counterparty"), name="banktx_counterparty_search")]

    def __str__(self) -> str:
        return f"Bank transaction #{self.pk}"

    @property
    def amount_shown(self) -> str:
        return money.format_money(self.amount, self.bank_account.currency)


class BankImport(SealedFieldsModel, TenantModel):
    """One uploaded bank statement: its preview, then the job that imports it (ledger.imports).

    The raw file is never kept. Its parsed rows wait, sealed under the company's key, in ``payload``
    between the preview and the import, and are blanked once imported or discarded, or when
    LEDGER_IMPORT_KEEP_HOURS pass (a failed import keeps them until then, so that it can be retried).
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for your confirmation"
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed (nothing was imported)"
        DISCARDED = "discarded", "Discarded (nothing was imported)"
        EXPIRED = "expired", "Expired (nothing was imported)"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        OFX = "ofx", "OFX"

    bank_account = parent_reference(BankAccount, related_name="imports")
    file_format = models.CharField(max_length=3, choices=Format.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    size_bytes = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    first_date = models.DateField(null=True, blank=True)
    last_date = models.DateField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)  # our own sentences only, never a value of the file
    payload = SealedTextField(blank=True)  # the parsed rows (JSON) until imported, discarded or expired
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   db_index=False)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     db_index=False, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index("company", "bank_account", F("created_at").desc(), name="bankimport_company_account"),
                   models.Index("company", "status", "created_at", name="bankimport_company_status")]

    def __str__(self) -> str:
        return f"Bank import #{self.pk}"

    @property
    def in_progress(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.RUNNING}

    @property
    def percent(self) -> int:
        return min(100, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
