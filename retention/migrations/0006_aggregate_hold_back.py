"""Retained totals hold each purge back until enough companies hide it (RET-5, PUR-2).

Existing totals were added one purge at a time and their companies were not counted: they are
taken as the worst case, all from one company (contributors 1, largest the whole count), so they
stay "fewer than" until releases of enough other companies join them, and are dominated until
those outweigh them. Nothing is pending yet.
"""

from django.db import migrations, models


def worst_case(apps, schema_editor) -> None:
    aggregate = apps.get_model("retention", "RetainedAggregate")
    aggregate.objects.using(schema_editor.connection.alias).filter(count__gt=0).update(
        contributors=1, largest=models.F("count"))


class Migration(migrations.Migration):

    dependencies = [
        ('retention', '0005_consent_aggregates'),
    ]

    operations = [
        migrations.AddField(
            model_name='retainedaggregate',
            name='contributors',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='retainedaggregate',
            name='largest',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='retainedaggregate',
            name='pending_contributors',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='retainedaggregate',
            name='pending_count',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='retainedaggregate',
            name='pending_largest',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(worst_case, migrations.RunPython.noop),
    ]
