"""Issue 14: the company home shows figures: what is owed and overdue, this month's money, balances, the latest items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts import services as account_services
from accounts.models import Membership
from accounts.tenancy import tenant_context
from ledger import selectors, services
from ledger.models import BankTransaction, Invoice
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db]

TODAY = date(2031, 3, 20)


def _invoice(acme, number: str, *, status: str, due: date | None, amount: str, currency: str = "USD") -> None:
    with tenant_context(acme.company.pk):
        invoice = services.save_invoice(company=acme.company, actor=acme.owner, invoice=None, fields={
            "contact": acme.contact, "number": number, "issue_date": date(2031, 3, 1), "due_date": due,
            "currency": currency}, lines=[{"description": "Work", "quantity": Decimal("1"), "unit_price": Decimal(amount)}])
        Invoice.objects.filter(pk=invoice.pk).update(status=status)


def test_the_overview_adds_up_per_currency_and_never_mixes_currencies(acme, globex):
    _invoice(acme, "S-1", status="sent", due=date(2031, 3, 10), amount="100.00")  # overdue
    _invoice(acme, "S-2", status="sent", due=date(2031, 4, 10), amount="250.50")
    _invoice(acme, "S-3", status="sent", due=None, amount="1000", currency="EUR")
    _invoice(acme, "P-1", status="paid", due=date(2031, 3, 10), amount="999.00")
    with tenant_context(acme.company.pk):
        BankTransaction.objects.create(company=acme.company, bank_account=acme.bank_account,
                                       booked_on=date(2031, 3, 5), amount=Decimal("500.00"), description="In")
        BankTransaction.objects.create(company=acme.company, bank_account=acme.bank_account,
                                       booked_on=date(2031, 3, 6), amount=Decimal("-120.25"), description="Out")
        BankTransaction.objects.create(company=acme.company, bank_account=acme.bank_account,
                                       booked_on=date(2031, 2, 6), amount=Decimal("-1.00"), description="Last month")
        overview = selectors.company_overview(company=acme.company, today=TODAY)
    assert overview.open.count == 3 and overview.open.totals == [("EUR", Decimal("1000.00")), ("USD", Decimal("350.50"))]
    assert overview.overdue.count == 1 and overview.overdue.totals == [("USD", Decimal("100.00"))]
    assert overview.money_in == [("USD", Decimal("500.00"))] and overview.money_out == [("USD", Decimal("120.25"))]
    # the fixture's own transaction (12.34) counts in the balance, not in this month
    assert [(a.pk, b) for a, b in overview.balances] == [(acme.bank_account.pk, Decimal("391.09"))]
    assert not overview.empty and len(overview.recent_invoices) == 5


def test_the_home_page_shows_the_figures_and_a_new_company_where_to_start(acme, client):
    _invoice(acme, "S-1", status="sent", due=date(2031, 3, 2), amount="1234.50")
    client.force_login(acme.owner)
    body = client.get(f"/c/{acme.company.pk}/").content.decode()
    assert "Open invoices" in body and "Overdue" in body and "$1,234.50" in body and "Bank balances" in body
    owner = account_services.sign_up(email="new@owner.example", password=PASSWORD, full_name="New Owner",
                                     company_name="Brand New Ltd")
    company = Membership.objects.get(user=owner).company
    client.force_login(owner)
    fresh = client.get(f"/c/{company.pk}/").content.decode()
    assert "Start here" in fresh and "Add your first contact" in fresh and "Open invoices" not in fresh


def test_the_home_page_costs_a_few_queries_whatever_the_size(acme, client, django_assert_max_num_queries):
    for n in range(20):
        _invoice(acme, f"N-{n}", status="sent", due=date(2031, 3, 10), amount="10")
    client.force_login(acme.owner)
    with django_assert_max_num_queries(20):
        assert client.get(f"/c/{acme.company.pk}/").status_code == 200
