"""Writes of the ledger: the only code that creates, changes or deletes accounting records.

Every function takes the company first and an actor (None only for the system), validates
with the model's own rules plus "references stay inside the company", and runs atomically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError

from accounts.audit import record_event
from accounts.integrity import unique_errors
from accounts.models import AuditEvent, Company, User
from accounts.tenancy import TenantModel, tenant_service
from ledger.exceptions import RecordInUse
from ledger.models import (
    INVOICE_NUMBER_TAKEN,
    MAX_AMOUNT,
    MAX_INVOICE_LINES,
    TOTAL_TOO_LARGE,
    BankConnection,
    Invoice,
    InvoiceLine,
)

T = TypeVar("T", bound=TenantModel)


def _check_same_company(record: TenantModel) -> None:
    """A reference to another company's record is refused as if it did not exist."""
    for field in record._meta.concrete_fields:
        if isinstance(field, models.ForeignKey) and issubclass(field.related_model, TenantModel):
            related_id = getattr(record, field.attname)
            if related_id is None:
                continue
            related = field.related_model._base_manager.filter(pk=related_id, company_id=record.company_id)
            if not related.exists():
                raise ValidationError({field.name: "Select a valid choice. That choice is not one of the available choices."})


def _validate_and_save(record: T, *, company: Company) -> T:
    """Validate, then save; a unique constraint that a concurrent request won answers as the check would."""
    record.company = company
    record.full_clean(exclude=["company"])
    _check_same_company(record)
    with unique_errors(type(record)):
        record.save()
    return record


@tenant_service
def create_record(*, company: Company, model: type[T], actor: User | None, fields: Mapping[str, Any]) -> T:
    """Create a plain ledger record (contact, bank account, bank transaction)."""
    return _validate_and_save(model(**fields), company=company)


@tenant_service
def update_record(*, company: Company, record: T, actor: User | None, fields: Mapping[str, Any]) -> T:
    if record.company_id != company.pk:
        raise ValueError("record belongs to another company")
    for name, value in fields.items():
        setattr(record, name, value)
    return _validate_and_save(record, company=company)


@tenant_service
def delete_record(*, company: Company, record: TenantModel, actor: User | None) -> None:
    """Delete one record; raise RecordInUse while other records still refer to it."""
    if record.company_id != company.pk:
        raise ValueError("record belongs to another company")
    if isinstance(record, Invoice):
        InvoiceLine.objects.filter(company=company, invoice=record).delete()
    try:
        with transaction.atomic():
            record.delete()
    except ProtectedError as exc:
        raise RecordInUse from exc


@tenant_service
def save_invoice(
    *, company: Company, actor: User | None, invoice: Invoice | None, fields: Mapping[str, Any],
    lines: Iterable[Mapping[str, Any]] | None,
) -> Invoice:
    """Create or change an invoice; ``lines`` (when given) replace the invoice's lines.

    Raise ValidationError for a number already used by this company or an empty invoice.
    """
    invoice = invoice or Invoice()
    for name, value in fields.items():
        setattr(invoice, name, value)
    number_taken = Invoice.objects.filter(company=company, number=invoice.number).exclude(pk=invoice.pk)
    if number_taken.exists():
        raise ValidationError({"number": INVOICE_NUMBER_TAKEN})
    line_records = None
    if lines is not None:
        line_records = [InvoiceLine(position=i, **line) for i, line in enumerate(lines)]
        if not line_records:
            raise ValidationError({"lines": "An invoice needs at least one line."})
        if len(line_records) > MAX_INVOICE_LINES:
            raise ValidationError({"lines": f"An invoice has at most {MAX_INVOICE_LINES} lines."})
    _validate_and_save(invoice, company=company)
    if line_records is not None:
        InvoiceLine.objects.filter(company=company, invoice=invoice).delete()
        for line in line_records:
            line.invoice = invoice
            line.company = company
            line.full_clean(exclude=["company", "invoice"])
        if abs(sum((line.amount for line in line_records), Decimal(0))) > MAX_AMOUNT:
            raise ValidationError({"lines": TOTAL_TOO_LARGE})
        InvoiceLine.objects.bulk_create(line_records)
    return invoice


@tenant_service
def connect_bank(
    *, company: Company, actor: User | None, bank_account_id: int, provider: str, login_name: str, credentials: str,
) -> BankConnection:
    """Store the credentials the user gave us to import statements (CON-2)."""
    if not credentials:
        raise ValidationError({"credentials": "Enter the credentials your bank gave you."})
    connection = BankConnection(bank_account_id=bank_account_id, provider=provider, login_name=login_name,
                                credentials=credentials)
    _validate_and_save(connection, company=company)
    _record_credentials(company, actor, connection, AuditEvent.Event.CREDENTIALS_STORED)
    return connection


def _record_credentials(company: Company, actor: User | None, connection: BankConnection, event: str) -> None:
    record_event(event=event, company_id=company.pk, actor_id=actor.pk if actor else None, subject=connection)


@tenant_service
def update_bank_connection(
    *, company: Company, actor: User | None, connection: BankConnection, fields: Mapping[str, Any],
) -> BankConnection:
    """Change a connection; empty ``credentials`` keep the stored ones (they are never shown)."""
    fields = dict(fields)
    if not fields.get("credentials"):
        fields.pop("credentials", None)
    update_record(company=company, record=connection, actor=actor, fields=fields)
    if "credentials" in fields:
        _record_credentials(company, actor, connection, AuditEvent.Event.CREDENTIALS_STORED)
    return connection


@tenant_service
def disconnect_bank(*, company: Company, actor: User | None, connection: BankConnection) -> BankConnection:
    """Stop importing and destroy the stored credentials (CON-2)."""
    connection.status = BankConnection.Status.DISCONNECTED
    connection.credentials = ""
    connection.save(update_fields=["status", "credentials"])
    _record_credentials(company, actor, connection, AuditEvent.Event.CREDENTIALS_DESTROYED)
    return connection


@tenant_service
def destroy_company_credentials(*, company: Company, actor: User | None) -> int:
    """Disconnect every bank connection of the company and destroy its credentials (CON-2, on shutdown).

    The login name goes too: it opens the bank account as much as the password does.
    Returns how many connections held credentials.
    """
    destroyed = 0
    for connection in BankConnection.objects.filter(company=company).order_by("pk"):
        had_credentials = bool(connection.credentials or connection.login_name)
        connection.status = BankConnection.Status.DISCONNECTED
        connection.credentials = ""
        connection.login_name = ""
        connection.save(update_fields=["status", "credentials", "login_name"])
        if had_credentials:
            _record_credentials(company, actor, connection, AuditEvent.Event.CREDENTIALS_DESTROYED)
            destroyed += 1
    return destroyed
