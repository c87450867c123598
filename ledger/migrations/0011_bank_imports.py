"""Bank statement imports (issue 14): the BankImport table and the import fingerprint of transactions.

BankImport is a tenant table: forced row-level security, and its bank account referenced by one
composite key ``(company_id, bank_account_id)`` checked at once (see 0005), served by the index
that leads with those columns. The fingerprint's unique key leads with ``company_id`` too and
leaves out rows entered by hand (no fingerprint).
"""

import django.db.models.deletion
import django.utils.timezone
import privacy.fields
from django.conf import settings
from django.db import migrations, models

from accounts.tenancy import EnableTenantRLS

_KEY = "ledger_bankimport_bank_account_id_same_company"


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0016_api_token_events'),
        ('ledger', '0010_text_bounds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BankImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file_format', models.CharField(choices=[('csv', 'CSV'), ('ofx', 'OFX')], max_length=3)),
                ('status', models.CharField(choices=[('preview', 'Waiting for your confirmation'), ('pending', 'Waiting for a worker'), ('running', 'Importing'), ('done', 'Imported'), ('failed', 'Failed (nothing was imported)'), ('discarded', 'Discarded (nothing was imported)'), ('expired', 'Expired (nothing was imported)')], default='preview', max_length=10)),
                ('size_bytes', models.PositiveIntegerField(default=0)),
                ('rows_total', models.PositiveIntegerField(default=0)),
                ('rows_done', models.PositiveIntegerField(default=0)),
                ('imported', models.PositiveIntegerField(default=0)),
                ('duplicates', models.PositiveIntegerField(default=0)),
                ('first_date', models.DateField(blank=True, null=True)),
                ('last_date', models.DateField(blank=True, null=True)),
                ('error', models.CharField(blank=True, max_length=300)),
                ('payload', privacy.fields.SealedTextField(blank=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name='banktransaction',
            name='import_fingerprint',
            field=models.CharField(blank=True, db_default='', default='', editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name='banktransaction',
            constraint=models.UniqueConstraint(condition=models.Q(('import_fingerprint', ''), _negated=True), fields=('company', 'bank_account', 'import_fingerprint'), name='banktx_import_fingerprint_unique'),
        ),
        migrations.AddField(
            model_name='bankimport',
            name='bank_account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='imports', to='ledger.bankaccount'),
        ),
        migrations.AddField(
            model_name='bankimport',
            name='company',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.company'),
        ),
        migrations.AddField(
            model_name='bankimport',
            name='confirmed_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='bankimport',
            name='created_by',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='bankimport',
            index=models.Index(models.F('company'), models.F('bank_account'), models.OrderBy(models.F('created_at'), descending=True), name='bankimport_company_account'),
        ),
        migrations.AddIndex(
            model_name='bankimport',
            index=models.Index(models.F('company'), models.F('status'), models.F('created_at'), name='bankimport_company_status'),
        ),
        migrations.RunSQL(
            f'ALTER TABLE "ledger_bankimport" ADD CONSTRAINT "{_KEY}" FOREIGN KEY (company_id, bank_account_id) '
            'REFERENCES "ledger_bankaccount" (company_id, id)',
            f'ALTER TABLE "ledger_bankimport" DROP CONSTRAINT "{_KEY}"',
        ),
        EnableTenantRLS("bankimport"),
    ]
