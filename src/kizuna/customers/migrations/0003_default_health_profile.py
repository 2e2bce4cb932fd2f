"""The default health profile (blank segment). Its weights are left empty so every
measure takes its default weight from ``kizuna.customers.health.MEASURES``."""

from django.db import migrations


def create_default(apps, schema_editor):
    HealthProfile = apps.get_model("customers", "HealthProfile")
    HealthProfile.objects.get_or_create(
        segment="", defaults={"name": "標準", "weights": {}, "red_below": 40.0, "green_from": 70.0}
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_health")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
