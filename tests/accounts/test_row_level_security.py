"""RET-2, SAF-3: PostgreSQL enforces tenant isolation under the app role, whatever the app does."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.tenancy import GLOBAL_TABLES_WITH_COMPANY, POLICY_NAME, tenant_context, tenant_models

pytestmark = [pytest.mark.django_db, pytest.mark.policy("RET-2")]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def test_app_role_is_not_superuser_bypassrls_or_owner():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        assert cursor.fetchone()[0] == 0


def test_app_role_cannot_truncate_which_would_ignore_rls(acme):
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE ledger_banktransaction")


def test_raw_sql_without_company_sees_no_tenant_rows(acme, globex):
    for model in tenant_models():
        assert _count(model._meta.db_table) == 0, model


def test_raw_sql_with_company_set_sees_only_that_company(acme, globex):
    with tenant_context(acme.company.pk), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT company_id FROM ledger_contact")
        assert [row[0] for row in cursor.fetchall()] == [acme.company.pk]
        cursor.execute("SELECT count(*) FROM ledger_invoiceline")
        assert cursor.fetchone()[0] == 1
    with tenant_context(globex.company.pk):
        assert _count("ledger_contact") == 1


def test_insert_for_another_company_is_refused(acme, globex):
    with pytest.raises(DatabaseError, match="row-level security"), tenant_context(acme.company.pk):
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO ledger_contact (company_id, name, email, phone, address, created_at) "
                           "VALUES (%s, 'x', '', '', '', now())", [globex.company.pk])


def test_update_and_delete_cannot_reach_another_company(acme, globex):
    with tenant_context(acme.company.pk), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_contact SET name = 'hacked' WHERE id = %s", [globex.contact.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM ledger_banktransaction WHERE id = %s", [globex.bank_transaction.pk])
        assert cursor.rowcount == 0
    with tenant_context(globex.company.pk):
        globex.contact.refresh_from_db()
        assert globex.contact.name == "GLOBEXSECRET Contact"


def test_child_row_cannot_point_to_another_companys_parent(acme, globex):
    """Foreign-key checks bypass RLS; the composite (company_id, invoice_id) key does not."""
    with pytest.raises(DatabaseError), tenant_context(acme.company.pk), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("INSERT INTO ledger_invoiceline (company_id, invoice_id, position, description, quantity, "
                       "unit_price) VALUES (%s, %s, 0, 'x', 1, 1)", [acme.company.pk, globex.invoice.pk])


def test_setting_is_transaction_local_and_fails_closed(acme):
    with tenant_context(acme.company.pk):
        assert _count("ledger_contact") == 1
    assert _count("ledger_contact") == 0  # the empty string left behind reads as NULL: no rows
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.company_id', 'not-a-number', true)")
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("SELECT count(*) FROM ledger_contact")


def test_every_table_with_company_id_has_a_forced_policy():
    """Completeness: a new tenant table without a policy fails here."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.table_name, k.relrowsecurity, k.relforcerowsecurity,
                   EXISTS (SELECT 1 FROM pg_policies p WHERE p.tablename = c.table_name AND p.policyname = %s)
            FROM information_schema.columns c JOIN pg_class k ON k.relname = c.table_name
            WHERE c.table_schema = 'public' AND c.column_name = 'company_id' AND k.relkind = 'r'
        """, [POLICY_NAME])
        rows = cursor.fetchall()
    tables = {row[0] for row in rows}
    assert {m._meta.db_table for m in tenant_models()} <= tables
    unprotected = [row[0] for row in rows if row[0] not in GLOBAL_TABLES_WITH_COMPANY and not all(row[1:])]
    assert unprotected == []


def test_every_tenant_model_has_company_and_is_not_a_global_exception():
    for model in tenant_models():
        assert model._meta.get_field("company").column == "company_id"
        assert model._meta.db_table not in GLOBAL_TABLES_WITH_COMPANY


def test_a_database_error_inside_tenant_context_surfaces_unmasked(acme):
    with pytest.raises(DatabaseError, match="does_not_exist"), tenant_context(acme.company.pk):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM does_not_exist")
    assert _count("ledger_contact") == 0  # and the company is no longer set


def test_nested_tenant_context_restores_the_outer_company(acme, globex):
    with tenant_context(acme.company.pk):
        with tenant_context(globex.company.pk):
            assert _count("ledger_contact") == 1
            with connection.cursor() as cursor:
                cursor.execute("SELECT company_id FROM ledger_contact")
                assert cursor.fetchone()[0] == globex.company.pk
        with connection.cursor() as cursor:
            cursor.execute("SELECT company_id FROM ledger_contact")
            assert cursor.fetchone()[0] == acme.company.pk
