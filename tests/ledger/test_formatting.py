"""Issue 14: money with its currency's decimals, grouping and symbol, one date format, currencies from ISO 4217."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from knox.models import AuthToken

from accounts.tenancy import tenant_context
from ledger.models import BankAccount, BankTransaction, Invoice
from ledger.money import format_money

pytestmark = [pytest.mark.django_db]

ISSUED = date(2031, 3, 10)


def test_amounts_follow_their_currency():
    assert format_money(Decimal("3841.49"), "USD") == "$3,841.49"
    assert format_money(Decimal("-1250000.50"), "USD") == "-$1,250,000.50"
    assert format_money(Decimal("1250000"), "JPY") == "¥1,250,000"
    assert format_money(Decimal("1.25"), "BHD") == "BHD1.250"  # three decimals, as ISO 4217 says
    assert format_money(Decimal("10"), "CAD") == "CA$10.00"


def test_pages_show_money_and_dates_one_way_in_lists_and_details(acme, client):
    company = acme.company
    with tenant_context(company.pk):
        Invoice.objects.filter(pk=acme.invoice.pk).update(issue_date=ISSUED, currency="EUR")
        account = BankAccount.objects.get(pk=acme.bank_account.pk)
        account.currency = "JPY"
        account.save()
        BankTransaction.objects.filter(pk=acme.bank_transaction.pk).update(amount=Decimal("-1250000.00"),
                                                                            booked_on=ISSUED)
    client.force_login(acme.owner)
    pages = {
        "invoices": (f"/c/{company.pk}/invoices/", f"/c/{company.pk}/invoices/{acme.invoice.pk}/", "€100.00"),
        "transactions": (f"/c/{company.pk}/bank-transactions/",
                         f"/c/{company.pk}/bank-transactions/{acme.bank_transaction.pk}/", "-¥1,250,000"),
    }
    for listing, detail, amount in pages.values():
        for url in (listing, detail):
            body = client.get(url).content.decode()
            assert f'<td class="num">{amount}</td>' in body or f'<th class="num">{amount}</th>' in body, url
            assert "10 Mar 2031" in body and "2031-03-10" not in body and "March 10, 2031" not in body, url
    detail = client.get(pages["invoices"][1]).content.decode()
    assert '<td class="num">€50.00</td>' in detail and "EUR · Euro" in detail  # a line of 2 × 50.00


def test_a_currency_is_an_iso_4217_code_in_the_form_and_the_api(acme, client, api_client):
    client.force_login(acme.owner)
    form = client.get(f"/c/{acme.company.pk}/bank-accounts/new/").content.decode()
    assert '<select name="currency"' in form and '<option value="EUR">EUR · Euro</option>' in form
    refused = client.post(f"/c/{acme.company.pk}/bank-accounts/new/", {"name": "Odd", "currency": "ZZZ"})
    assert refused.status_code == 400 and "ZZZ is not one of the available choices" in refused.content.decode()
    _, token = AuthToken.objects.create(user=acme.owner)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    answer = api_client.post(f"/api/v1/companies/{acme.company.pk}/bank-accounts/",
                             {"name": "Odd", "account_number": "1", "currency": "ZZZ"}, format="json")
    assert answer.status_code == 400 and "currency" in answer.json()
    with tenant_context(acme.company.pk):
        assert not BankAccount.objects.filter(name="Odd").exists()


def test_a_broken_rule_reads_as_a_sentence_on_the_field_it_concerns(acme, client):
    client.force_login(acme.owner)
    url = f"/c/{acme.company.pk}/invoices/new/"
    base = {"contact": acme.contact.pk, "status": "draft", "currency": "USD", "form-TOTAL_FORMS": "0",
            "form-INITIAL_FORMS": "0"}
    early = client.post(url, {**base, "number": "N-2", "issue_date": "2031-03-10", "due_date": "2031-03-01"})
    body = early.content.decode()
    assert early.status_code == 400 and "Constraint" not in body
    assert re.search(r'The due date cannot be before the issue date\..*?name="due_date"', body, re.S)
    taken = client.post(url, {**base, "number": acme.invoice.number, "issue_date": "2031-03-10"})
    assert taken.status_code == 400 and "This company already has an invoice with this number." in taken.content.decode()
