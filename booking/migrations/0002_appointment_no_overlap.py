"""The database refuses two overlapping active appointments of one lawyer.

PostgreSQL: an exclusion constraint over tstzrange(starts_at, ends_at, '[)') (btree_gist
for the equality on lawyer_id). SQLite: triggers that abort such an insert or update.
Both are outside Django's model state on purpose: no portable model constraint exists.
Back-to-back appointments ([9:00, 9:30) and [9:30, 10:00)) do not overlap.

On SQLite, a later migration that adds or alters a column of booking_appointment makes
Django rebuild the table, which drops these triggers: such a migration must run
SQLITE_DROP and SQLITE_ADD again at its end (as 0007 does). The test
``test_the_database_itself_refuses_overlapping_active_appointments`` fails otherwise.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

BLOCKING = "('booked', 'attended')"

POSTGRES_ADD = f"""
ALTER TABLE booking_appointment ADD CONSTRAINT appointment_no_overlap
EXCLUDE USING gist (lawyer_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
WHERE (status IN {BLOCKING})
"""
POSTGRES_DROP = "ALTER TABLE booking_appointment DROP CONSTRAINT appointment_no_overlap"

SQLITE_CONDITION = f"""
NEW.status IN {BLOCKING} AND EXISTS (
    SELECT 1 FROM booking_appointment AS other
    WHERE other.lawyer_id = NEW.lawyer_id
      AND other.id IS NOT NEW.id
      AND other.status IN {BLOCKING}
      AND other.starts_at < NEW.ends_at
      AND other.ends_at > NEW.starts_at
)
"""
SQLITE_ADD = [
    f"""
    CREATE TRIGGER appointment_no_overlap_insert BEFORE INSERT ON booking_appointment
    WHEN {SQLITE_CONDITION}
    BEGIN SELECT RAISE(ABORT, 'appointment_no_overlap'); END
    """,
    f"""
    CREATE TRIGGER appointment_no_overlap_update
    BEFORE UPDATE OF lawyer_id, starts_at, ends_at, status ON booking_appointment
    WHEN {SQLITE_CONDITION}
    BEGIN SELECT RAISE(ABORT, 'appointment_no_overlap'); END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS appointment_no_overlap_insert",
    "DROP TRIGGER IF EXISTS appointment_no_overlap_update",
]


def add_overlap_rule(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_ADD)
    elif vendor == "sqlite":
        for statement in SQLITE_ADD:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No overlap rule for the {vendor} database.")


def drop_overlap_rule(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_overlap_rule, drop_overlap_rule),
    ]
