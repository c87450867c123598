from __future__ import annotations

from typing import Any, cast

from rest_framework import serializers

from accounts.models import Company
from ledger import selectors, services
from ledger.models import (
    MAX_INVOICE_LINES,
    BankAccount,
    BankConnection,
    BankTransaction,
    Contact,
    Invoice,
    InvoiceLine,
)
from privacy.fields import is_stored
from privacy.serializers import PlannedReadSerializer


class CompanyScopedSerializer(PlannedReadSerializer):
    """Related-record fields accept only ids of the current company's records."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        company: Company = self.context["company"]
        scoped = {"contact": selectors.contacts, "bank_account": selectors.bank_accounts}
        for name, selector in scoped.items():
            if name in fields:
                field = cast(serializers.PrimaryKeyRelatedField, fields[name])
                field.queryset = selector(company=company)  # type: ignore[arg-type]  # stubs type it as a descriptor
        return fields

    def create(self, validated_data: dict[str, Any]) -> Any:
        return services.create_record(company=self.context["company"], model=self.Meta.model,
                                      actor=self.context["request"].user, fields=validated_data)

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        return services.update_record(company=self.context["company"], record=instance,
                                      actor=self.context["request"].user, fields=validated_data)


class ContactSerializer(CompanyScopedSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "address", "created_at"]


class InvoiceLineSerializer(PlannedReadSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["description", "quantity", "unit_price"]


class InvoiceSerializer(CompanyScopedSerializer):
    # (the stubs do not know many=True passes these to the ListSerializer)
    lines = InvoiceLineSerializer(many=True, min_length=1, max_length=MAX_INVOICE_LINES)  # type: ignore[call-arg]
    # No digit limit when shown: the bounds stop new oversized lines, and a row from before them must not 500 the list.
    total = serializers.DecimalField(max_digits=None, decimal_places=2, read_only=True)

    class Meta:
        model = Invoice
        fields = ["id", "contact", "number", "issue_date", "due_date", "status", "currency", "notes",
                  "lines", "total", "created_at"]

    def _save(self, instance: Invoice | None, validated_data: dict[str, Any]) -> Invoice:
        lines = validated_data.pop("lines", None)
        invoice = services.save_invoice(company=self.context["company"], actor=self.context["request"].user,
                                        invoice=instance, fields=validated_data, lines=lines)
        return selectors.invoices(company=self.context["company"]).prefetch_related("lines").get(pk=invoice.pk)

    def create(self, validated_data: dict[str, Any]) -> Invoice:
        return self._save(None, validated_data)

    def update(self, instance: Invoice, validated_data: dict[str, Any]) -> Invoice:
        return self._save(instance, validated_data)


class BankAccountSerializer(CompanyScopedSerializer):
    class Meta:
        model = BankAccount
        fields = ["id", "name", "bank_name", "holder_name", "account_number", "currency", "created_at"]


class BankConnectionSerializer(CompanyScopedSerializer):
    """``credentials`` is write-only: the API never returns it (SHR-1)."""

    credentials = serializers.CharField(write_only=True, required=False, allow_blank=True, trim_whitespace=False,
                                        style={"input_type": "password"})
    has_credentials = serializers.SerializerMethodField()

    class Meta:
        model = BankConnection
        fields = ["id", "bank_account", "provider", "login_name", "credentials", "has_credentials", "status",
                  "created_at", "last_import_at"]
        read_only_fields = ["status", "last_import_at"]

    def get_has_credentials(self, connection: BankConnection) -> bool:
        return is_stored(connection, "credentials")  # without opening them

    def create(self, validated_data: dict[str, Any]) -> BankConnection:
        return services.connect_bank(
            company=self.context["company"], actor=self.context["request"].user,
            bank_account_id=validated_data["bank_account"].pk, provider=validated_data["provider"],
            login_name=validated_data["login_name"], credentials=validated_data.get("credentials", ""),
        )

    def update(self, instance: BankConnection, validated_data: dict[str, Any]) -> BankConnection:
        return services.update_bank_connection(company=self.context["company"], actor=self.context["request"].user,
                                               connection=instance, fields=validated_data)


class BankTransactionSerializer(CompanyScopedSerializer):
    class Meta:
        model = BankTransaction
        fields = ["id", "bank_account", "booked_on", "description", "counterparty", "amount"]
