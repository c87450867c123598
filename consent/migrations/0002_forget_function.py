"""``consent_forget``: the purge's deletion of a purged subject's consent rows (consent/forget.sql)."""

from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "forget.sql").read_text()


def create_function(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(SQL)  # no parameters: the % of RAISE are PL/pgSQL's


def drop_function(apps, schema_editor) -> None:
    schema_editor.execute("DROP FUNCTION IF EXISTS public.consent_forget(bigint, bigint[])")


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial"), ("retention", "0001_initial")]

    operations = [migrations.RunPython(create_function, drop_function)]
