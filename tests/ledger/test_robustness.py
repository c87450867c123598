"""Answers, never 500s (issue 15, SAF-4): races on unique numbers, money that overflows, endless invoices."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.tenancy import tenant_context
from ledger import services
from ledger.forms import InvoiceForm
from ledger.models import INVOICE_NUMBER_TAKEN, LINE_TOO_LARGE, MAX_INVOICE_LINES, Invoice
from tests.conftest import Tenant, in_parallel

pytestmark = pytest.mark.policy("SAF-4")
HUGE_LINE = {"description": "Too much", "quantity": "9999999999.99", "unit_price": "999999999999.99"}


@pytest.fixture
def slow_between_check_and_insert(monkeypatch):
    """Widen the window between "is the number taken?" and the INSERT, as a loaded server does.

    On this machine one request takes a few milliseconds of Python, so threads rarely interleave
    there; gunicorn's processes do. The sleep lets every request pass the check before any inserts.
    """
    check = services._check_same_company

    def check_then_wait(record):
        check(record)
        time.sleep(0.2)

    monkeypatch.setattr(services, "_check_same_company", check_then_wait)


def _invoices_numbered(tenant: Tenant, number: str) -> int:
    with tenant_context(tenant.company.pk):
        return Invoice.objects.filter(company=tenant.company, number=number).count()


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_api_creates_of_one_number_make_one_invoice_and_no_500(acme, slow_between_check_and_insert):
    body = {"contact": acme.contact.pk, "number": "RACE-1", "lines": [
        {"description": "Work", "quantity": "1", "unit_price": "10.00"}]}

    def create() -> int:
        client = APIClient()
        client.force_authenticate(acme.owner)
        response = client.post(f"/api/v1/companies/{acme.company.pk}/invoices/", body, format="json")
        if response.status_code == 400:
            assert response.json() == {"number": [INVOICE_NUMBER_TAKEN]}
        return response.status_code

    assert Counter(in_parallel(20, create)) == {201: 1, 400: 19}
    assert _invoices_numbered(acme, "RACE-1") == 1


@pytest.mark.django_db(transaction=True)
def test_the_invoice_form_sent_twice_at_once_saves_once_and_says_why(acme, monkeypatch):
    form = {"contact": acme.contact.pk, "number": "TWICE-1", "issue_date": "2026-03-01", "status": "draft",
            "currency": "USD", "notes": "", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Work", "lines-0-quantity": "1", "lines-0-unit_price": "10.00"}

    clean_number = InvoiceForm.clean_number

    def clean_then_wait(form):  # both forms pass the check before either saves
        number = clean_number(form)
        time.sleep(0.2)
        return number

    monkeypatch.setattr(InvoiceForm, "clean_number", clean_then_wait)

    def submit() -> int:
        client = Client(raise_request_exception=True)
        client.force_login(acme.owner)
        response = client.post(f"/c/{acme.company.pk}/invoices/new/", form)
        if response.status_code == 400:
            assert INVOICE_NUMBER_TAKEN.replace("'", "&#x27;") in response.content.decode()
        return response.status_code

    assert Counter(in_parallel(2, submit)) == {302: 1, 400: 1}
    assert _invoices_numbered(acme, "TWICE-1") == 1


@pytest.mark.django_db
def test_an_overflowing_line_is_refused_by_the_api_and_the_list_stays_up(acme):
    client = APIClient()
    client.force_authenticate(acme.owner)
    url = f"/api/v1/companies/{acme.company.pk}/invoices/"
    response = client.post(url, {"contact": acme.contact.pk, "number": "BIG-1", "lines": [HUGE_LINE]}, format="json")
    assert response.status_code == 400 and LINE_TOO_LARGE in str(response.json())
    many = [{"description": "Big", "quantity": "1", "unit_price": "999999999999.00"}] * 2
    response = client.post(url, {"contact": acme.contact.pk, "number": "BIG-2", "lines": many}, format="json")
    assert response.status_code == 400 and "total cannot be more than" in str(response.json())
    assert client.get(url).status_code == 200
    assert client.get(f"{url}{acme.invoice.pk}/").status_code == 200
    assert _invoices_numbered(acme, "BIG-1") == _invoices_numbered(acme, "BIG-2") == 0


@pytest.mark.django_db
def test_an_overflowing_line_is_refused_by_the_form(acme, client):
    client.force_login(acme.owner)
    response = client.post(f"/c/{acme.company.pk}/invoices/new/", {
        "contact": acme.contact.pk, "number": "BIG-3", "issue_date": "2026-03-01", "status": "draft",
        "currency": "USD", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
        **{f"lines-0-{key}": value for key, value in HUGE_LINE.items()}})
    assert response.status_code == 400
    assert "cannot be more than 999,999,999,999.99" in response.content.decode()
    assert client.get(f"/c/{acme.company.pk}/invoices/").status_code == 200
    assert _invoices_numbered(acme, "BIG-3") == 0


@pytest.mark.django_db
def test_the_api_takes_at_most_as_many_lines_as_the_form(acme):
    client = APIClient()
    client.force_authenticate(acme.owner)
    line = {"description": "Line", "quantity": "1", "unit_price": "1.00"}
    url = f"/api/v1/companies/{acme.company.pk}/invoices/"
    too_many = client.post(url, {"contact": acme.contact.pk, "number": "LONG-1",
                                 "lines": [line] * (MAX_INVOICE_LINES + 1)}, format="json")
    assert too_many.status_code == 400 and "lines" in too_many.json()
    just_enough = client.post(url, {"contact": acme.contact.pk, "number": "LONG-2",
                                    "lines": [line] * MAX_INVOICE_LINES}, format="json")
    assert just_enough.status_code == 201 and Decimal(just_enough.json()["total"]) == MAX_INVOICE_LINES


@pytest.mark.django_db
def test_text_fields_have_maximum_lengths(acme):
    client = APIClient()
    client.force_authenticate(acme.owner)
    base = f"/api/v1/companies/{acme.company.pk}"
    notes = client.patch(f"{base}/invoices/{acme.invoice.pk}/", {"notes": "n" * 2001}, format="json")
    assert notes.status_code == 400 and "notes" in notes.json()
    address = client.patch(f"{base}/contacts/{acme.contact.pk}/", {"address": "a" * 501}, format="json")
    assert address.status_code == 400 and "address" in address.json()
    assert client.patch(f"{base}/contacts/{acme.contact.pk}/", {"address": "a" * 500}, format="json").status_code == 200


@pytest.mark.django_db
def test_numbers_too_big_for_a_decimal_never_500_the_form(acme, client):
    """9e999999 x 9e999999 overflows Python's decimal context while the form re-renders its running total."""
    client.force_login(acme.owner)
    for extra in ({"lines-add": "1"}, {}):
        response = client.post(f"/c/{acme.company.pk}/invoices/new/", {
            "contact": acme.contact.pk, "number": "HUGE-1", "issue_date": "2026-03-01", "status": "draft",
            "currency": "USD", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "lines-0-description": "x", "lines-0-quantity": "9e999999", "lines-0-unit_price": "9e999999",
            "lines-1-description": "y", "lines-1-quantity": "1e999999", "lines-1-unit_price": "-9e999999", **extra})
        assert response.status_code in (200, 400)
    assert _invoices_numbered(acme, "HUGE-1") == 0


@pytest.mark.django_db
def test_an_oversized_line_from_before_the_bounds_does_not_break_the_list(acme):
    """A line written before the bounds existed (here straight into the table): the list and detail still answer."""
    with tenant_context(acme.company.pk), connection.cursor() as cursor:
        cursor.execute("INSERT INTO ledger_invoiceline (company_id, invoice_id, position, description, quantity, "
                       "unit_price) VALUES (%s, %s, 9, 'legacy', 9999999999.99, 999999999999.99)",
                       [acme.company.pk, acme.invoice.pk])
    client = APIClient()
    client.force_authenticate(acme.owner)
    url = f"/api/v1/companies/{acme.company.pk}/invoices/"
    assert client.get(url).status_code == 200
    detail = client.get(f"{url}{acme.invoice.pk}/")
    assert detail.status_code == 200 and Decimal(detail.json()["total"]) > Decimal("1e21")
