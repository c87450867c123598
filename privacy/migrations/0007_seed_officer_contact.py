"""The Privacy Officer's published contact, seeded from the policy (privacy.officer_contact.SEED)."""

from django.db import migrations

from privacy.officer_contact import ensure_seeded


def seed(apps, schema_editor):
    ensure_seeded(apps.get_model("privacy", "OfficerContact").objects.using(schema_editor.connection.alias))


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_officer_contact_and_inquiries")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
