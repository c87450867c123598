"""``retention_purge_rows``: the purge's batch delete, without per-row key checks (retention/purge_rows.sql)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "purge_rows.sql").read_text()


def _owner_may_turn_triggers_off(schema_editor) -> bool:
    """Superuser, or (PostgreSQL 15+) granted SET on session_replication_role."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper OR (current_setting('server_version_num')::int >= 150000 AND "
                       "has_parameter_privilege(current_user, 'session_replication_role', 'SET')) "
                       "FROM pg_roles WHERE rolname = current_user")
        return bool(cursor.fetchone()[0])


def create_function(apps, schema_editor) -> None:
    fast = _owner_may_turn_triggers_off(schema_editor)
    sql = (SQL.replace("{set_clause}", "SET session_replication_role = replica" if fast else "")
           .replace("{replica_clause}", "it could when this was migrated" if fast else
                    "it could not when this was migrated: the checks then run"))
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)  # no parameters: the % of RAISE are PL/pgSQL's


def drop_function(apps, schema_editor) -> None:
    schema_editor.execute("DROP FUNCTION IF EXISTS public.retention_purge_rows(bigint, regclass, integer)")


class Migration(migrations.Migration):
    dependencies = [("retention", "0002_company_index_leads"), ("accounts", "0003_company_purged_at_retention_events")]

    operations = [migrations.RunPython(create_function, drop_function)]
