"""The API's planned read path (privacy/serializers.py, issue 16) shows exactly what DRF's own walk shows."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers as drf

from accounts.tenancy import tenant_context
from ledger import serializers
from ledger.models import BankAccount, BankConnection, BankTransaction, Contact, Invoice, InvoiceLine

pytestmark = pytest.mark.django_db

CASES = [(serializers.ContactSerializer, Contact), (serializers.InvoiceSerializer, Invoice),
         (serializers.BankAccountSerializer, BankAccount), (serializers.BankConnectionSerializer, BankConnection),
         (serializers.BankTransactionSerializer, BankTransaction),
         (serializers.InvoiceLineSerializer, InvoiceLine)]  # (also nested in invoices, planned on both sides there)


def _drf_twin(serializer_class: type[drf.ModelSerializer]) -> Any:
    """The same serializer, its reads walked by DRF's own ``Serializer.to_representation``."""
    return type(f"Drf{serializer_class.__name__}", (serializer_class,), {
        "to_representation": drf.Serializer.to_representation,
        "Meta": type("Meta", (serializer_class.Meta,), {"list_serializer_class": drf.ListSerializer})})


@pytest.mark.parametrize(("serializer_class", "model"), CASES, ids=[model.__name__ for _, model in CASES])
def test_every_ledger_serializer_shows_what_drfs_walk_shows(acme, serializer_class, model):
    with tenant_context(acme.company.pk):
        rows = list(model.objects.filter(company=acme.company).order_by("pk"))
        assert rows, f"the fixture has no {model.__name__}"
        context = {"company": acme.company}
        ours = serializer_class(rows, many=True, context=context).data
        theirs = _drf_twin(serializer_class)(model.objects.filter(company=acme.company).order_by("pk"), many=True,
                                             context=context).data
        assert type(serializer_class(many=True, context=context)).__name__ == "ShownRowsListSerializer"
        assert ours == theirs and all(any(value not in (None, "", []) for value in row.values()) for row in ours)
        assert serializer_class(rows[0], context=context).data == theirs[0]


def test_api_timestamps_are_utc_whatever_timezone_is_active(acme):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    with tenant_context(acme.company.pk):
        contact = Contact.objects.get(pk=acme.contact.pk)
        with timezone.override(ZoneInfo("Asia/Karachi")):
            shown = serializers.ContactSerializer(contact, context={"company": acme.company}).data["created_at"]
    assert shown.endswith("Z") and datetime.fromisoformat(shown) == contact.created_at
