"""The least-privilege Privacy officer group (accounts.officers.PERMISSIONS)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.officers import sync_officer_group

# The group's permissions when it was made; later ones come from the sync after each migrate.
PERMISSIONS_AT_CREATION = [
    "accounts.view_auditevent", "accounts.view_company", "accounts.view_membership", "privacy.view_supportgrant",
    "retention.view_scheduledpurge", "retention.view_legalhold", "retention.add_legalhold",
    "retention.view_deletioncertificate", "retention.view_retainedaggregate",
]


def make_group(apps, schema_editor):
    # Permissions are normally made after migrate; the group needs them now (fresh databases).
    alias = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=alias)
        app_config.models_module = None
    sync_officer_group(groups=apps.get_model("auth", "Group").objects.db_manager(alias),
                       permissions=apps.get_model("auth", "Permission").objects.db_manager(alias),
                       names=PERMISSIONS_AT_CREATION)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name="Privacy officer").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("softhelpers", "0001_axes_cache_table"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0003_company_purged_at_retention_events"),
        ("privacy", "0002_company_index_leads"),
        ("retention", "0003_purge_rows_function"),
    ]
    operations = [migrations.RunPython(make_group, remove_group)]
