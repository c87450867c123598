"""``seed_demo`` makes books that look like a small business's (issue 14): two years of dates ending on
the (pinned) day it runs, varied names and descriptions, amounts both ways, statuses that fit an invoice's age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Membership
from accounts.tenancy import tenant_context
from ledger.management.commands.seed_demo import BUSINESS_SUFFIXES
from ledger.models import BankTransaction, Contact, Invoice

pytestmark = pytest.mark.django_db
PINNED = datetime(2031, 7, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(timezone, "now", lambda: PINNED)
    call_command("seed_demo", email="realistic@example.com", password="a-long-test-password-42",
                 company="Realistic", size=6000, verbosity=0)
    return Membership.objects.get(user__email="realistic@example.com").company_id


def test_dates_spread_over_two_years_ending_on_the_day_it_ran(seeded: int) -> None:
    today = PINNED.date()
    with tenant_context(seeded):
        for model, field in ((Invoice, "issue_date"), (BankTransaction, "booked_on")):
            span = model.objects.aggregate(first=Min(field), last=Max(field))
            assert span["last"] <= today
            assert span["first"] < today - timedelta(days=600), model
            months = {value.replace(day=1) for value in model.objects.values_list(field, flat=True)}
            assert len(months) >= 24, model


def test_names_descriptions_and_amounts_vary(seeded: int) -> None:
    with tenant_context(seeded):
        contacts = Contact.objects.count()
        assert Contact.objects.values("name").distinct().count() > contacts * 0.7
        names = list(Contact.objects.values_list("name", flat=True))
        businesses = [name for name in names if name.endswith(tuple(BUSINESS_SUFFIXES))]
        assert 0.2 * len(names) < len(businesses) < 0.5 * len(names)  # people and small businesses
        descriptions = set(BankTransaction.objects.values_list("description", flat=True))
        assert len(descriptions) >= 20
        amounts = list(BankTransaction.objects.values_list("amount", flat=True))
        assert min(amounts) < 0 < max(amounts)
        assert len(set(amounts)) > len(amounts) * 0.5


def test_invoice_statuses_fit_their_age(seeded: int) -> None:
    today: date = PINNED.date()
    with tenant_context(seeded):
        statuses = set(Invoice.objects.values_list("status", flat=True))
        assert statuses == {choice.value for choice in Invoice.Status}
        # Drafts are recent work; what is two years old has long been settled, mostly paid.
        assert not Invoice.objects.filter(status=Invoice.Status.DRAFT, issue_date__lt=today - timedelta(days=21)).exists()
        old = Invoice.objects.filter(issue_date__lt=today - timedelta(days=90))
        assert old.filter(status=Invoice.Status.PAID).count() > old.count() * 0.8
        assert Invoice.objects.filter(status=Invoice.Status.SENT, due_date__lt=today).exists()  # something overdue


def test_demo_login_is_made_once_verified_and_only_in_local_mode(settings, monkeypatch) -> None:
    from django.core.management import CommandError

    from ledger.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SIZE
    from tests.ops.test_operations import _rows

    monkeypatch.setattr(timezone, "now", lambda: PINNED)
    settings.LOCAL = False
    with pytest.raises(CommandError, match="local mode only"):
        call_command("seed_demo", demo=True, verbosity=0)
    assert not Membership.objects.filter(user__email=DEMO_EMAIL).exists()

    settings.LOCAL = True
    call_command("seed_demo", demo=True, verbosity=0)
    call_command("seed_demo", demo=True, verbosity=0)  # make demo again: the same books, not twice as many
    membership = Membership.objects.select_related("user", "company").get(user__email=DEMO_EMAIL)
    assert membership.user.check_password(DEMO_PASSWORD)
    assert membership.user.email_verified_at == PINNED
    assert _rows(membership.company) == DEMO_SIZE
