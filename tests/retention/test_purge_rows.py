"""SAF-1, RET-2: the purge's fast delete (``retention_purge_rows``) opens no door beyond the purge.

It runs as the tables' owner with triggers off, so it must refuse every row that is not the
current tenant's, of a tenant table, of a closed company with a purge under way; and the app
role itself still cannot turn triggers off.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.tenancy import tenant_context
from retention import services
from retention.models import ScheduledPurge

pytestmark = [pytest.mark.django_db, pytest.mark.policy("SAF-1")]

NOW = datetime(2031, 5, 17, 9, 30, tzinfo=UTC)


def _purge_rows(company_id: int, table: str, limit: int = 1000) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT retention_purge_rows(%s, %s::regclass, %s)", [company_id, table, limit])
        return cursor.fetchone()[0]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def _close(tenant) -> None:
    services.close_company(company=tenant.company, actor=None, reason=ScheduledPurge.Reason.OFFICER,
                           note="test", now=NOW)


def test_an_active_companys_rows_are_refused(acme):
    with tenant_context(acme.company.pk), pytest.raises(DatabaseError, match="not closed"):
        _purge_rows(acme.company.pk, "ledger_banktransaction")
    with tenant_context(acme.company.pk):
        assert _count("ledger_banktransaction") == 1


def test_only_the_current_tenants_rows_and_only_of_a_closed_company(acme, globex):
    _close(acme)
    with tenant_context(globex.company.pk), pytest.raises(DatabaseError, match="not the current tenant"):
        _purge_rows(acme.company.pk, "ledger_banktransaction")
    with tenant_context(acme.company.pk):
        assert _purge_rows(acme.company.pk, "ledger_banktransaction") == 1
        assert _count("ledger_banktransaction") == 0
    with tenant_context(globex.company.pk):
        assert _count("ledger_banktransaction") == 1


def test_tables_outside_row_level_security_are_refused_the_audit_trail_above_all(acme):
    _close(acme)
    with tenant_context(acme.company.pk):
        for table in ("accounts_auditevent", "accounts_membership", "retention_scheduledpurge"):
            with pytest.raises(DatabaseError, match="not a tenant table"):
                _purge_rows(acme.company.pk, table)


def test_the_app_role_cannot_turn_triggers_off_itself(acme):
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
