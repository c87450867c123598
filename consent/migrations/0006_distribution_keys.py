"""Primary keys ``(company_id, id)`` on the invitation tables, as a distributed PostgreSQL needs (issue 16).

As ledger 0013: the models keep ``id``; the database key widens and replaces the
``UNIQUE (company_id, id)`` that the links' composite key referenced.
"""

from django.db import migrations

KEY = "consent_invitationlink_invitation_id_same_company"
ADD_KEY = (f'ALTER TABLE "consent_invitationlink" ADD CONSTRAINT "{KEY}" FOREIGN KEY (company_id, invitation_id) '
           'REFERENCES "consent_invitation" (company_id, id)')
DROP_KEY = f'ALTER TABLE "consent_invitationlink" DROP CONSTRAINT "{KEY}"'
TABLES = ["consent_invitation", "consent_invitationlink"]

FORWARD = [
    DROP_KEY,
    *[s for t in TABLES for s in (f'ALTER TABLE "{t}" DROP CONSTRAINT "{t}_pkey"',
                                  f'ALTER TABLE "{t}" ADD CONSTRAINT "{t}_pkey" PRIMARY KEY (company_id, id)')],
    'ALTER TABLE "consent_invitation" DROP CONSTRAINT "consent_invitation_company_id_id_uniq"',
    ADD_KEY,
]
BACKWARD = [
    DROP_KEY,
    'ALTER TABLE "consent_invitation" ADD CONSTRAINT "consent_invitation_company_id_id_uniq" UNIQUE (company_id, id)',
    *[s for t in TABLES for s in (f'ALTER TABLE "{t}" DROP CONSTRAINT "{t}_pkey"',
                                  f'ALTER TABLE "{t}" ADD CONSTRAINT "{t}_pkey" PRIMARY KEY (id)')],
    ADD_KEY,
]


class Migration(migrations.Migration):

    dependencies = [
        ('consent', '0005_statistic_periods'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.RemoveConstraint(model_name='invitation', name='consent_invitation_company_id_id_uniq'),
            ],
        ),
    ]
