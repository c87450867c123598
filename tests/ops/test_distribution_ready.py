"""The live schema is one Citus accepts with tenant tables distributed by company_id (issue 16).

``accounts.distribution.schema_violations`` reads pg_catalog; these tests run it on the migrated
test database, so a new model (or a hand-written migration) that breaks a rule fails here. The
later tests add a bad table or key inside the test's transaction to show each rule bites.
"""

from __future__ import annotations

import pytest
from django.db import connection, connections
from django.db.models import Count

from accounts import distribution
from accounts.tenancy import GLOBAL_TABLES_WITH_COMPANY, tenant_context
from ledger.models import BankAccount, Contact

pytestmark = [pytest.mark.django_db, pytest.mark.policy("RET-2")]


owner = pytest.mark.django_db(databases=["default", "owner"])


def _violations_after(*statements: str) -> list[str]:
    """The violations once ``statements`` ran as the owner, in the test's transaction (rolled back after)."""
    with connections["owner"].cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return distribution.schema_violations(connections["owner"])


def test_the_live_schema_breaks_no_rule_of_a_distributed_database():
    assert distribution.schema_violations(connection) == []


def test_every_tenant_primary_key_starts_with_company():
    """The database key is (company_id, id); the models keep ``id`` as their primary key."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.conrelid::regclass::text,
                   array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o)
            FROM pg_constraint c WHERE c.contype = 'p'""")
        keys = dict(cursor.fetchall())
    for table in distribution.distributed_tables():
        assert keys[table] == ["company_id", "id"], table


def test_the_models_keep_id_as_their_key_and_aggregates_grouped_by_them_still_work(acme):
    """Django groups by a model's key alone, which the wider database key refuses (softhelpers/postgresql)."""
    assert Contact._meta.pk.name == "id"
    with tenant_context(acme.company.pk):
        accounts = list(BankAccount.objects.filter(company=acme.company).annotate(n=Count("transactions")))
        contacts = list(Contact.objects.filter(company=acme.company).annotate(n=Count("invoices")))
    assert [(a.pk, a.n) for a in accounts] == [(acme.bank_account.pk, 1)]
    assert [(c.pk, c.n) for c in contacts] == [(acme.contact.pk, 1)]


def test_every_table_has_exactly_one_role_and_the_app_scoped_ones_are_local():
    tenant = set(distribution.distributed_tables())
    assert tenant and not tenant & set(distribution.TABLE_ROLES)
    assert {"accounts_company", "accounts_user"} <= {
        t for t, (role, _) in distribution.TABLE_ROLES.items() if role == "reference"}
    for table in GLOBAL_TABLES_WITH_COMPANY:
        assert distribution.TABLE_ROLES[table][0] == "local", table
    assert all(reason for _, reason in distribution.TABLE_ROLES.values())


@owner
def test_a_new_table_nobody_placed_is_reported():
    assert _violations_after("CREATE TABLE ledger_unplaced (id bigint PRIMARY KEY)") == [
        "ledger_unplaced is neither a tenant table nor declared reference or local (accounts/distribution.py)"]


@owner
def test_a_unique_key_without_company_on_a_tenant_table_is_reported():
    assert _violations_after("CREATE UNIQUE INDEX contact_name_everywhere ON ledger_contact (name)") == [
        "ledger_contact: unique index contact_name_everywhere (name) lacks company_id"]


@owner
def test_a_primary_key_on_id_alone_is_reported():
    assert _violations_after("ALTER TABLE ledger_invoiceline DROP CONSTRAINT ledger_invoiceline_pkey",
                             "ALTER TABLE ledger_invoiceline ADD PRIMARY KEY (id)") == [
        "ledger_invoiceline: primary key ledger_invoiceline_pkey (id) lacks company_id"]


@owner
def test_a_single_column_key_between_tenant_tables_is_reported():
    assert _violations_after(
        "ALTER TABLE ledger_contact ADD CONSTRAINT contact_id_alone UNIQUE (id)",
        "ALTER TABLE ledger_invoice ADD CONSTRAINT invoice_contact_alone FOREIGN KEY (contact_id) "
        "REFERENCES ledger_contact (id)") == [
        "ledger_contact: unique index contact_id_alone (id) lacks company_id",
        "ledger_invoice.invoice_contact_alone (contact_id) -> ledger_contact: "
        "a key between tenant tables must pair company_id with company_id",
    ]


@owner
def test_keys_from_local_or_reference_tables_into_tenant_tables_are_reported():
    problems = _violations_after(
        "ALTER TABLE ledger_contact ADD CONSTRAINT contact_id_alone UNIQUE (id)",
        "ALTER TABLE privacy_exportjob ADD CONSTRAINT exportjob_export FOREIGN KEY (company_id, export_id) "
        "REFERENCES privacy_dataexport (company_id, id)",
        "ALTER TABLE accounts_user ADD COLUMN contact_id bigint",
        "ALTER TABLE accounts_user ADD CONSTRAINT user_contact FOREIGN KEY (contact_id) REFERENCES ledger_contact (id)")
    assert "privacy_exportjob.exportjob_export (company_id, export_id) -> privacy_dataexport: " \
           "a local table cannot reference a tenant (distributed) table" in problems
    assert "accounts_user.user_contact (contact_id) -> ledger_contact: " \
           "a reference table cannot reference a tenant (distributed) table" in problems


@owner
def test_a_tenant_table_referencing_a_local_one_or_a_cascading_key_is_reported():
    assert _violations_after("ALTER TABLE ledger_contact ADD COLUMN purge_id bigint "
                             "REFERENCES retention_scheduledpurge (id) ON DELETE SET NULL") == [
        "ledger_contact.ledger_contact_purge_id_fkey (purge_id) -> retention_scheduledpurge: "
        "a tenant table cannot reference a local table",
        "ledger_contact.ledger_contact_purge_id_fkey (purge_id) -> retention_scheduledpurge: "
        "only NO ACTION or RESTRICT on keys of distributed and reference tables",
    ]


@owner
def test_a_trigger_on_a_reference_table_is_reported():
    assert _violations_after("CREATE TRIGGER company_guard BEFORE UPDATE ON accounts_company "
                             "FOR EACH ROW EXECUTE FUNCTION privacy_policyversion_guard()") == [
        "accounts_company: trigger company_guard (Citus refuses triggers on reference tables)"]
