"""``ledger_statistic``: anonymous counts of invoices and bank transactions across companies (ledger/statistics.sql)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "statistics.sql").read_text()


def create_function(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(SQL)  # no parameters: the % of RAISE are PL/pgSQL's


def drop_function(apps, schema_editor) -> None:
    schema_editor.execute("DROP FUNCTION IF EXISTS public.ledger_statistic(text, date, date)")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_one_key_per_reference"), ("accounts", "0003_company_purged_at_retention_events")]

    operations = [migrations.RunPython(create_function, drop_function)]
