"""Fill the conflict-check keys of appointments booked before they existed (0007).

Normalised with the code of the time (booking.conflicts.normalise_name); the rule there
must stay stable, since the keys are compared with keys computed later.
"""

from django.db import migrations


def fill_keys(apps, schema_editor):
    from booking.conflicts import normalise_name

    Appointment = apps.get_model("booking", "Appointment")
    for appointment in Appointment.objects.select_related("resident").iterator():
        opposing = normalise_name(appointment.opposing_party)
        resident = normalise_name(appointment.resident.display_name)
        if (opposing, resident) != (appointment.opposing_party_key, appointment.resident_name_key):
            Appointment.objects.filter(pk=appointment.pk).update(
                opposing_party_key=opposing, resident_name_key=resident
            )


class Migration(migrations.Migration):
    dependencies = [("booking", "0007_lawyers_side")]

    operations = [migrations.RunPython(fill_keys, migrations.RunPython.noop)]
