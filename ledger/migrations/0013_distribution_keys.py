"""Primary keys ``(company_id, id)`` on every ledger table, as a distributed PostgreSQL needs (issue 16).

Citus shards tenant tables by ``company_id`` and accepts only primary and unique keys that
include it. The models keep ``id`` as their primary key (it is still unique: one sequence per
table); only the database key widens. The ``UNIQUE (company_id, id)`` that the composite
foreign keys referenced (migration 0002) is the new primary key's twin and goes: the keys are
dropped, the primary key rebuilt and the keys re-made against it, unchanged (not deferrable).
Nothing references a ledger table's ``id`` alone.
"""

from django.db import migrations

# parent table -> the composite keys (child table, column) that reference its (company_id, id)
PARENTS = {
    "ledger_contact": [("ledger_invoice", "contact_id")],
    "ledger_invoice": [("ledger_invoiceline", "invoice_id")],
    "ledger_bankaccount": [("ledger_bankconnection", "bank_account_id"), ("ledger_banktransaction", "bank_account_id"),
                           ("ledger_bankimport", "bank_account_id")],
}
CHILDREN_ONLY = ["ledger_invoiceline", "ledger_bankconnection", "ledger_banktransaction", "ledger_bankimport"]


DROP_KEY = 'ALTER TABLE "{child}" DROP CONSTRAINT "{child}_{column}_same_company"'
ADD_KEY = ('ALTER TABLE "{child}" ADD CONSTRAINT "{child}_{column}_same_company" FOREIGN KEY (company_id, {column}) '
           'REFERENCES "{parent}" (company_id, id)')


def _keys(sql):
    return [sql.format(child=child, column=column, parent=parent)
            for parent, children in PARENTS.items() for child, column in children]


def forward():
    statements = _keys(DROP_KEY)
    for table in [*PARENTS, *CHILDREN_ONLY]:
        statements += [f'ALTER TABLE "{table}" DROP CONSTRAINT "{table}_pkey"',
                       f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (company_id, id)']
    statements += [f'ALTER TABLE "{parent}" DROP CONSTRAINT "{parent}_company_id_id_uniq"' for parent in PARENTS]
    return statements + _keys(ADD_KEY)


def backward():
    statements = _keys(DROP_KEY)
    statements += [f'ALTER TABLE "{parent}" ADD CONSTRAINT "{parent}_company_id_id_uniq" UNIQUE (company_id, id)'
                   for parent in PARENTS]
    for table in [*PARENTS, *CHILDREN_ONLY]:
        statements += [f'ALTER TABLE "{table}" DROP CONSTRAINT "{table}_pkey"',
                       f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id)']
    return statements + _keys(ADD_KEY)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0012_finding_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(forward(), backward())],
            state_operations=[
                migrations.RemoveConstraint(model_name='contact', name='ledger_contact_company_id_id_uniq'),
                migrations.RemoveConstraint(model_name='invoice', name='ledger_invoice_company_id_id_uniq'),
                migrations.RemoveConstraint(model_name='bankaccount', name='ledger_bankaccount_company_id_id_uniq'),
            ],
        ),
    ]
