# The registration window and capacities now live in registration.RegistrationSettings (its
# migration 0006 carried the values over first); organisations and speakers get the stable key
# the meeting file finds them by.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0003_event_registration_window_and_capacity"),
        ("registration", "0006_registration_settings_and_typed_history"),
    ]

    operations = [
        migrations.RemoveField(model_name="event", name="registration_opens_at"),
        migrations.RemoveField(model_name="event", name="registration_closes_at"),
        migrations.RemoveField(model_name="event", name="in_person_capacity"),
        migrations.RemoveField(model_name="event", name="virtual_capacity"),
        migrations.AddField(
            model_name="organisation",
            name="key",
            field=models.SlugField(
                blank=True,
                max_length=80,
                null=True,
                unique=True,
                verbose_name="key in the meeting file",
            ),
        ),
        migrations.AddField(
            model_name="speaker",
            name="key",
            field=models.SlugField(
                blank=True,
                max_length=80,
                null=True,
                unique=True,
                verbose_name="key in the meeting file",
            ),
        ),
    ]
