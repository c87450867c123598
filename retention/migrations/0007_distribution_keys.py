"""Keys with ``company_id`` on shutdown requests, as a distributed PostgreSQL needs (issue 16).

The database primary key becomes ``(company_id, id)`` (the model keeps ``id``), and the link's
token hash is unique per company: the confirmation looks it up with its company anyway
(``retention.services``), and Citus takes no unique key without the distribution column.
"""

from django.db import migrations, models

TABLE = "retention_shutdownrequest"


class Migration(migrations.Migration):

    dependencies = [
        ('retention', '0006_aggregate_hold_back'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='shutdownrequest',
            constraint=models.UniqueConstraint(fields=('company', 'token_hash'), name='shutdown_token_unique'),
        ),
        migrations.AlterField(
            model_name='shutdownrequest',
            name='token_hash',
            field=models.CharField(max_length=64),
        ),
        migrations.RunSQL(
            [f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{TABLE}_pkey"',
             f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (company_id, id)'],
            [f'ALTER TABLE "{TABLE}" DROP CONSTRAINT "{TABLE}_pkey"',
             f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (id)'],
        ),
    ]
