"""Support access moves to the consent ledger (consent.Consent, purpose ``support_access``).

Grants in force when this runs end with it: the owner grants again from Manage Soft Helpers,
where the grant is now a ledger event. (After the officer group was made, which names the old
table's permission.)
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0003_staff_view_permission"),
        ("softhelpers", "0002_privacy_officer_group"),
    ]

    operations = [
        migrations.DeleteModel(
            name="SupportGrant",
        ),
    ]
