"""Row-level security on every ledger table, and same-company foreign keys.

Plain foreign-key checks bypass row-level security, so ``invoice_id`` alone would accept
another company's invoice. ``UNIQUE (company_id, id)`` on each parent and a composite foreign
key ``(company_id, parent_id)`` on each child make a cross-company reference impossible.
"""

from django.db import migrations

from accounts.tenancy import EnableTenantRLS

# (child table, parent column, parent table)
SAME_COMPANY_REFERENCES = [
    ("ledger_invoice", "contact_id", "ledger_contact"),
    ("ledger_invoiceline", "invoice_id", "ledger_invoice"),
    ("ledger_bankconnection", "bank_account_id", "ledger_bankaccount"),
    ("ledger_banktransaction", "bank_account_id", "ledger_bankaccount"),
]
PARENTS = sorted({parent for _, _, parent in SAME_COMPANY_REFERENCES})


def _forward_sql() -> list[str]:
    statements = [f'ALTER TABLE "{t}" ADD CONSTRAINT "{t}_company_id_id_uniq" UNIQUE (company_id, id)' for t in PARENTS]
    statements += [
        f'ALTER TABLE "{child}" ADD CONSTRAINT "{child}_{column}_same_company" FOREIGN KEY (company_id, {column}) '
        f'REFERENCES "{parent}" (company_id, id) DEFERRABLE INITIALLY DEFERRED'
        for child, column, parent in SAME_COMPANY_REFERENCES
    ]
    return statements


def _backward_sql() -> list[str]:
    statements = [
        f'ALTER TABLE "{child}" DROP CONSTRAINT "{child}_{column}_same_company"'
        for child, column, _ in SAME_COMPANY_REFERENCES
    ]
    return statements + [f'ALTER TABLE "{t}" DROP CONSTRAINT "{t}_company_id_id_uniq"' for t in PARENTS]


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunSQL(_forward_sql(), _backward_sql()),
        EnableTenantRLS("contact"),
        EnableTenantRLS("invoice"),
        EnableTenantRLS("invoiceline"),
        EnableTenantRLS("bankaccount"),
        EnableTenantRLS("bankconnection"),
        EnableTenantRLS("banktransaction"),
    ]
