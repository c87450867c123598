"""``consent_statistic`` again (consent/statistics.sql): one day or one calendar month only, live companies only."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "statistics.sql").read_text()


def replace_function(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(SQL)  # CREATE OR REPLACE; no parameters: the % of RAISE are PL/pgSQL's


class Migration(migrations.Migration):
    dependencies = [("consent", "0004_statistic_function")]

    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop)]
