"""``retention_purge_rows`` again, with only pg_catalog on its search path and every name qualified."""

import importlib

from django.db import migrations

_first = importlib.import_module("retention.migrations.0003_purge_rows_function")


class Migration(migrations.Migration):
    dependencies = [("retention", "0003_purge_rows_function")]

    operations = [migrations.RunPython(_first.create_function, migrations.RunPython.noop)]
