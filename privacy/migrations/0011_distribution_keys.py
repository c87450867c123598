"""Primary key ``(company_id, id)`` on the data exports, as a distributed PostgreSQL needs (issue 16).

The model keeps ``id``. ``privacy_exportjob`` (a local table) holds ``export_id`` as a plain
number, checked by the export code, not as a key into this table.
"""

from django.db import migrations

TABLE = "privacy_dataexport"


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0010_export_jobs'),
    ]

    operations = [
        migrations.RunSQL(
            [f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{TABLE}_pkey"',
             f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (company_id, id)'],
            [f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{TABLE}_pkey"',
             f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (id)'],
        ),
    ]
