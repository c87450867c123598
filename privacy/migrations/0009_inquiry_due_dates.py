"""An inquiry's due date is a date (``due_on``), the day the requester is told, instead of an instant.

Existing rows keep the day of their ``due_at`` (in ``TIME_ZONE``); going back puts the time of
receipt on that day again.
"""

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import TruncDate


def _inquiries(apps, schema_editor):
    return apps.get_model("privacy", "Inquiry").objects.using(schema_editor.connection.alias)


def due_on_from_due_at(apps, schema_editor):
    _inquiries(apps, schema_editor).update(due_on=TruncDate("due_at"))


def due_at_from_due_on(apps, schema_editor):
    _inquiries(apps, schema_editor).update(due_at=F("received_at") + (F("due_on") - TruncDate("received_at")))


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0008_statistics'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='inquiry',
            name='inquiry_due_after_receipt',
        ),
        migrations.RemoveIndex(
            model_name='inquiry',
            name='inquiry_status_due',
        ),
        migrations.AddField(
            model_name='inquiry',
            name='due_on',
            field=models.DateField(null=True, verbose_name='due date'),
        ),
        migrations.AlterField(
            model_name='inquiry',
            name='due_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(due_on_from_due_at, due_at_from_due_on),
        migrations.RemoveField(
            model_name='inquiry',
            name='due_at',
        ),
        migrations.AlterField(
            model_name='inquiry',
            name='due_on',
            field=models.DateField(verbose_name='due date'),
        ),
        migrations.AddIndex(
            model_name='inquiry',
            index=models.Index(fields=['status', 'due_on'], name='inquiry_status_due'),
        ),
        migrations.AddConstraint(
            model_name='inquiry',
            constraint=models.CheckConstraint(condition=models.Q(('due_on__gt', TruncDate('received_at'))), name='inquiry_due_after_receipt'),
        ),
    ]
