"""RET-5, PUR-2: a purge's counts wait unseen until enough companies are pending, then go out together.

Reading the retained totals before and after one company's purge must not tell its counts.
"""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.db import connection

from accounts.tenancy import tenant_context
from ledger.models import Invoice
from retention import purge, selectors
from retention import services as retention_services
from retention.models import RetainedAggregate, ScheduledPurge
from tests.conftest import make_tenant, verified_login

pytestmark = [pytest.mark.django_db]

MONTH = date(2031, 2, 1)
CLOSED_AT = datetime(2031, 3, 5, 10, 0, tzinfo=UTC)


def _released() -> list[tuple[str, date, int, int, int]]:
    """Everything a reader can learn: the released totals (the admin shows them through the rules)."""
    return sorted(selectors.released_aggregates().values_list("metric", "month", "count", "contributors", "largest"))


def _purged(index: int) -> None:
    tenant = make_tenant(email=f"owner-{index}@held.example", full_name=f"Owner {index}",
                         company_name=f"Held {index}", secret=f"HELD{index}")
    with tenant_context(tenant.company.pk):
        Invoice.objects.filter(pk=tenant.invoice.pk).update(issue_date=date(2031, 2, 14))
    closed = retention_services.close_company(company=tenant.company, actor=None,
                                              reason=ScheduledPurge.Reason.OFFICER, now=CLOSED_AT)
    assert purge.purge_company(purge_id=closed.pk, as_of=closed.due_at) is purge.Result.DONE


def _invoices_shown() -> str:
    return dict(((m, mo), c) for m, mo, c in selectors.retained_aggregates())[("Invoices", "2031-02")]


@pytest.mark.policy("RET-5")
@pytest.mark.policy("PUR-2")
def test_two_reads_around_each_purge_agree_until_enough_companies_are_pending_then_all_go_out_at_once(settings):
    settings.PRIVACY_AGGREGATE_MIN_CONTRIBUTORS = 4  # four purges show the rule as well as ten, in less time
    for index in range(3):
        before = _released()
        _purged(index)
        assert _released() == before, f"purge {index + 1} moved the released totals"
        assert "Invoices" not in {metric for metric, _, _ in selectors.retained_aggregates()}
    _purged(3)
    invoices = RetainedAggregate.objects.get(metric="invoices", month=MONTH)
    assert (invoices.count, invoices.contributors, invoices.largest) == (4, 4, 1)  # four companies in one step
    assert (invoices.pending_count, invoices.pending_contributors, invoices.pending_largest) == (0, 0, 0)
    assert _invoices_shown() == "4"
    for row in RetainedAggregate.objects.all():  # every cell the four touched went out together
        assert row.pending_contributors == 0 and row.contributors == 4, row.metric

    before = _released()
    _purged(4)
    assert _released() == before
    assert RetainedAggregate.objects.get(metric="invoices", month=MONTH).pending_count == 1


@pytest.mark.policy("RET-5")
@pytest.mark.policy("PUR-2")
def test_a_dominant_company_keeps_its_cell_pending_until_others_outweigh_it():
    purge._hold_back([("invoices", MONTH, 100)])
    for _ in range(9):  # ten companies pending, one of them 100 of 109: dominated
        purge._hold_back([("invoices", MONTH, 1)])
    row = RetainedAggregate.objects.get(metric="invoices", month=MONTH)
    assert (row.count, row.pending_count, row.pending_contributors, row.pending_largest) == (0, 109, 10, 100)
    purge._hold_back([("invoices", MONTH, 20)])  # 100 of 129: still over 70%
    assert RetainedAggregate.objects.get(metric="invoices", month=MONTH).count == 0
    purge._hold_back([("invoices", MONTH, 20)])  # 100 of 149: 67%
    row = RetainedAggregate.objects.get(metric="invoices", month=MONTH)
    assert (row.count, row.contributors, row.largest, row.pending_count) == (149, 12, 100, 0)
    assert selectors.shown_count(row).label == "149"


def test_existing_totals_are_migrated_as_the_worst_case_of_one_company():
    RetainedAggregate.objects.create(metric="invoices", month=MONTH, count=37)
    RetainedAggregate.objects.create(metric="users", month=MONTH, count=0)
    migration = importlib.import_module("retention.migrations.0006_aggregate_hold_back")
    from django.apps import apps

    migration.worst_case(apps, SimpleNamespace(connection=connection))
    assert sorted(RetainedAggregate.objects.values_list("metric", "contributors", "largest")) == [
        ("invoices", 1, 37), ("users", 0, 0)]
    assert selectors.shown_count(RetainedAggregate.objects.get(metric="invoices")).label == "fewer than 10"


@pytest.mark.policy("RET-5")
def test_the_admin_does_not_list_a_cell_that_only_a_pending_purge_made(client, staff):
    _purged(0)
    assert RetainedAggregate.objects.filter(metric="invoices", month=MONTH, pending_count=1).exists()
    verified_login(client, staff)
    page = client.get("/admin/retention/retainedaggregate/")
    assert page.status_code == 200 and page.context["cl"].result_count == 0
