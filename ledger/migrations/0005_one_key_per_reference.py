"""One database key per reference, checked when the statement ends, and indexes that serve it.

Each child row carried two foreign keys to its parent, Django's ``(parent_id)`` and our
``(company_id, parent_id)``, both ``DEFERRABLE INITIALLY DEFERRED``, beside single-column
indexes on ``company_id`` and ``parent_id``: every inserted child queued two key checks for
COMMIT (where a 1,000,000-row seed was seen stalling in ``AfterTriggerFireDeferred →
RI_FKey_check``), and the checks of the composite key had a ``company_id``-only index to
choose, which walks all of a company's rows. Now: the composite key alone, not deferrable;
an index ``(company_id, parent_id)`` for the checks run when a parent row goes; no index on
``company_id`` alone (every index and key leads with it).
"""

import django.db.models.deletion
from django.db import migrations, models


SAME_COMPANY_KEYS = [
    ("ledger_invoice", "contact_id"),
    ("ledger_invoiceline", "invoice_id"),
    ("ledger_bankconnection", "bank_account_id"),
    ("ledger_banktransaction", "bank_account_id"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_company_purged_at_retention_events'),
        ('ledger', '0004_sealed_personal_fields'),
    ]

    operations = [
        # (company_id, id) keys made by 0002 in SQL: now known to the model state too.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AddConstraint(
                model_name='bankaccount',
                constraint=models.UniqueConstraint(fields=('company', 'id'), name='ledger_bankaccount_company_id_id_uniq'),
            ),
            migrations.AddConstraint(
                model_name='contact',
                constraint=models.UniqueConstraint(fields=('company', 'id'), name='ledger_contact_company_id_id_uniq'),
            ),
            migrations.AddConstraint(
                model_name='invoice',
                constraint=models.UniqueConstraint(fields=('company', 'id'), name='ledger_invoice_company_id_id_uniq'),
            ),
        ]),
        # The indexes for the composite keys' checks come before the old keys and indexes go.
        migrations.AddIndex(
            model_name='bankconnection',
            index=models.Index(fields=['company', 'bank_account'], name='bankconn_company_account'),
        ),
        migrations.AddIndex(
            model_name='banktransaction',
            index=models.Index(fields=['company', 'bank_account'], name='banktx_company_account'),
        ),
        migrations.AddIndex(
            model_name='invoice',
            index=models.Index(fields=['company', 'contact'], name='invoice_company_contact'),
        ),
        migrations.AddIndex(
            model_name='invoiceline',
            index=models.Index(fields=['company', 'invoice'], name='invoiceline_company_invoice'),
        ),
        migrations.AlterField(
            model_name='bankaccount',
            name='company',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.company'),
        ),
        migrations.AlterField(
            model_name='bankconnection',
            name='bank_account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='connections', to='ledger.bankaccount'),
        ),
        migrations.AlterField(
            model_name='bankconnection',
            name='company',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.company'),
        ),
        migrations.AlterField(
            model_name='banktransaction',
            name='bank_account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='transactions', to='ledger.bankaccount'),
        ),
        migrations.AlterField(
            model_name='banktransaction',
            name='company',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.company'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='company',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.company'),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='company',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.company'),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='contact',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='invoices', to='ledger.contact'),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='company',
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.company'),
        ),
        migrations.AlterField(
            model_name='invoiceline',
            name='invoice',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='lines', to='ledger.invoice'),
        ),
        migrations.RunSQL(
            [f'ALTER TABLE "{child}" ALTER CONSTRAINT "{child}_{column}_same_company" NOT DEFERRABLE'
             for child, column in SAME_COMPANY_KEYS],
            [f'ALTER TABLE "{child}" ALTER CONSTRAINT "{child}_{column}_same_company" DEFERRABLE INITIALLY DEFERRED'
             for child, column in SAME_COMPANY_KEYS],
        ),
    ]
