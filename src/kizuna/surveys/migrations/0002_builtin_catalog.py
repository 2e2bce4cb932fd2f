"""Install the built-in Kizuna engagement model (factors, questions, questionnaires)."""

from django.db import migrations


def install(apps, schema_editor):
    from kizuna.surveys.catalog import install_catalog

    install_catalog(apps)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
