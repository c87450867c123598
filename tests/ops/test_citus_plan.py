"""``manage.py citus_plan`` (issue 16): every table of the live schema placed exactly once, in an order Citus takes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from accounts import distribution

pytestmark = pytest.mark.django_db

STATEMENT = re.compile(r"^SELECT create_(reference|distributed)_table\('([\w.]+)'(?:, 'company_id'"
                       r"(?:, colocate_with => '(\w+)')?)?\);$")
LOCAL = re.compile(r"^-- local: ([\w.]+): .+$")


def _plan() -> list[str]:
    out = io.StringIO()
    call_command("citus_plan", stdout=out)
    return out.getvalue().splitlines()


def _live_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'""")
        return {name for (name,) in cursor.fetchall()}


def _foreign_keys() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
                       "WHERE contype = 'f' AND conrelid <> confrelid")
        return set(cursor.fetchall())


def test_the_plan_places_every_table_of_the_live_schema_exactly_once():
    placed: list[tuple[str, str]] = []
    for line in _plan():
        if match := STATEMENT.match(line):
            placed.append((match[1], match[2]))
        elif match := LOCAL.match(line):
            placed.append(("local", match[1]))
        else:
            assert line.startswith("-- "), line
    tables = [table for _, table in placed]
    assert len(tables) == len(set(tables))
    assert set(tables) == _live_tables()
    roles = dict((table, role) for role, table in placed)
    assert {t for t, r in roles.items() if r == "distributed"} == set(distribution.distributed_tables())
    assert roles["accounts_company"] == roles["accounts_user"] == "reference"
    assert roles["accounts_auditevent"] == roles["keystore.data_key"] == roles["privacy_policyversion"] == "local"


def test_tenant_tables_are_co_located_and_every_table_comes_after_the_tables_it_references():
    statements = [match for line in _plan() if (match := STATEMENT.match(line))]
    order = {match[2]: i for i, match in enumerate(statements)}
    distributed = [match for match in statements if match[1] == "distributed"]
    anchor = distributed[0][2]
    assert distributed[0][3] is None and all(match[3] == anchor for match in distributed[1:])
    checked = 0
    for child, parent in _foreign_keys():
        if child in order and parent in order:
            assert order[parent] < order[child], (child, parent)
            checked += 1
    assert checked >= 5, "tenant children after their parents, tenant tables after companies and users"


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_plan_is_refused_while_the_schema_breaks_a_rule():
    with connections["owner"].cursor() as cursor:
        cursor.execute("CREATE UNIQUE INDEX contact_name_everywhere ON ledger_contact (name)")
    with pytest.raises(CommandError, match=r"not ready for Citus: ledger_contact: unique index .+ \(1 in all\)"):
        call_command("citus_plan", database="owner", stdout=io.StringIO())


def test_docs_show_the_current_plan():
    """docs/scaling.md quotes the command's output; a schema change that alters it updates the page."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "scaling.md").read_text()
    assert "\n".join(_plan()) in page
