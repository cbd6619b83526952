"""The table of the shared cache (config/settings.py, CACHE_BACKEND=database).

Made by `migrate`, which every deployment runs, so that no deployment can miss the
separate `createcachetable` step; it exists whichever cache the settings choose.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "django_cache"


def create_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_sms_reminders")]

    operations = [migrations.RunPython(create_table, drop_table, elidable=False)]
