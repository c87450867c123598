"""RET-2: the keys and indexes of tenant tables, read from PostgreSQL's catalog.

One database key per reference between tenant tables, composite with ``company_id``, checked
when the statement ends; every tenant table leads an index with ``company_id``; no index on
``company_id`` alone (it misled the planner into walking a company's rows for every key
check, issue 10); every composite key has an index that serves its checks from the child side.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.tenancy import tenant_context, tenant_models

pytestmark = [pytest.mark.django_db, pytest.mark.policy("RET-2")]


def _tenant_tables() -> set[str]:
    return {m._meta.db_table for m in tenant_models()}


def _foreign_keys() -> list[tuple[str, str, list[str], bool]]:
    """(child table, parent table, child columns, deferrable) of every foreign key in public."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
                   array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
                   c.condeferrable
            FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace""")
        return [(child, parent, list(columns), deferrable) for child, parent, columns, deferrable in cursor.fetchall()]


def _index_columns(*, partial: bool = True) -> dict[str, list[list[str]]]:
    """Per table, the key columns of each of its indexes, in order (without partial ones if not ``partial``)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT t.relname, array(SELECT a.attname FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY k(n, o)
                                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
            FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relnamespace = 'public'::regnamespace AND (%s OR i.indpred IS NULL)""", [partial])
        indexes: dict[str, list[list[str]]] = {}
        for table, columns in cursor.fetchall():
            indexes.setdefault(table, []).append(list(columns))
        return indexes


def test_references_between_tenant_tables_are_one_composite_key_each_checked_at_once():
    tenant = _tenant_tables()
    between = [fk for fk in _foreign_keys() if fk[0] in tenant and fk[1] in tenant]
    assert between, "the ledger has parent and child tables"
    for child, parent, columns, deferrable in between:
        assert columns[0] == "company_id" and len(columns) == 2, (child, parent, columns)
        assert not deferrable, (child, parent, columns)
    pairs = [(child, columns[1]) for child, _, columns, _ in between]
    assert len(pairs) == len(set(pairs)), "one key per reference"


def test_every_tenant_table_leads_an_index_with_company_and_none_has_company_alone():
    """A partial unique index on company alone is a rule ("one export in progress per company"), not a lookup."""
    indexes = _index_columns(partial=False)
    for table in _tenant_tables():
        assert any(cols[0] == "company_id" for cols in indexes[table]), table
        assert ["company_id"] not in indexes[table], table


def test_every_composite_key_has_an_index_for_the_checks_when_a_parent_goes():
    indexes = _index_columns()
    tenant = _tenant_tables()
    for child, parent, columns, _ in _foreign_keys():
        if child in tenant and parent in tenant:
            assert any(cols[:2] == columns for cols in indexes[child]), (child, columns)


def test_a_missing_parent_is_refused_at_the_statement_not_at_commit(acme):
    """Not deferred: the error names the statement that caused it (and a savepoint can catch it)."""
    with tenant_context(acme.company.pk), connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="same_company"), transaction.atomic():
            cursor.execute("INSERT INTO ledger_invoiceline (company_id, invoice_id, position, description, quantity, "
                           "unit_price) VALUES (%s, %s, 0, 'x', 1, 1)", [acme.company.pk, 10**12])
        cursor.execute("SELECT count(*) FROM ledger_invoiceline")
        assert cursor.fetchone()[0] == 1
