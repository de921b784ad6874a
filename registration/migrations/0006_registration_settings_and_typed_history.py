# The registration window and places move from agenda.Event to registration's own
# RegistrationSettings (values carried over), and the history's free-text notes become typed actions.

import django.db.models.deletion
from django.db import migrations, models

# What the history's notes meant, before it had an action field.
ACTION_OF_NOTE = {
    "promoted": "promoted",
    "approved": "approved",
    "confirmed by organisers": "confirmed",
    "checked in": "checked_in",
    "check-in undone": "check_in_undone",
}
NOTE_OF_ACTION = {action: note for note, action in ACTION_OF_NOTE.items()}
ACTION_OF_STATUS = {"declined": "declined", "cancelled": "cancelled"}


def carry_settings_over(apps, schema_editor):
    Event = apps.get_model("agenda", "Event")
    RegistrationSettings = apps.get_model("registration", "RegistrationSettings")
    RegistrationSettings.objects.bulk_create(
        RegistrationSettings(
            event=event,
            opens_at=event.registration_opens_at,
            closes_at=event.registration_closes_at,
            in_person_places=event.in_person_capacity,
            virtual_places=event.virtual_capacity,
        )
        for event in Event.objects.all()
    )


def carry_settings_back(apps, schema_editor):
    Event = apps.get_model("agenda", "Event")
    RegistrationSettings = apps.get_model("registration", "RegistrationSettings")
    for settings in RegistrationSettings.objects.all():
        Event.objects.filter(pk=settings.event_id).update(
            registration_opens_at=settings.opens_at,
            registration_closes_at=settings.closes_at,
            in_person_capacity=settings.in_person_places,
            virtual_capacity=settings.virtual_places,
        )


def type_history(apps, schema_editor):
    StatusChange = apps.get_model("registration", "StatusChange")
    for change in StatusChange.objects.select_related("registration").iterator():
        note = change.note
        mode = change.registration.attendance_mode
        if note.startswith("mode:"):
            action, mode = "mode_switched", note.removeprefix("mode:")
        elif note in ACTION_OF_NOTE:
            action = ACTION_OF_NOTE[note]
        else:
            action = ACTION_OF_STATUS.get(change.to_status, "placed")
        change.action, change.attendance_mode = action, mode
        change.save(update_fields=["action", "attendance_mode"])


def untype_history(apps, schema_editor):
    StatusChange = apps.get_model("registration", "StatusChange")
    for change in StatusChange.objects.iterator():
        if change.action == "mode_switched":
            note = f"mode:{change.attendance_mode}"
        else:
            note = NOTE_OF_ACTION.get(change.action, "")
        change.note = note
        change.save(update_fields=["note"])


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0003_event_registration_window_and_capacity"),
        ("registration", "0005_undelivered_mail"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegistrationSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "opens_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="Leave both dates empty to keep registration closed.",
                        null=True,
                        verbose_name="registration opens at",
                    ),
                ),
                (
                    "closes_at",
                    models.DateTimeField(
                        blank=True, null=True, verbose_name="registration closes at"
                    ),
                ),
                (
                    "in_person_places",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Seats in the room in Lima.",
                        verbose_name="in-person places",
                    ),
                ),
                (
                    "virtual_places",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="The virtual platform's limit. Leave empty for no limit.",
                        null=True,
                        verbose_name="virtual places",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="registration_settings",
                        to="agenda.event",
                        verbose_name="event",
                    ),
                ),
            ],
            options={
                "verbose_name": "registration settings",
                "verbose_name_plural": "registration settings",
            },
        ),
        migrations.AddField(
            model_name="statuschange",
            name="action",
            field=models.CharField(
                choices=[
                    ("placed", "Registered"),
                    ("promoted", "Promoted from the waiting list"),
                    ("mode_switched", "Switched attendance mode"),
                    ("approved", "Approved by the organisers"),
                    ("confirmed", "Confirmed by the organisers"),
                    ("declined", "Declined by the organisers"),
                    ("cancelled", "Cancelled"),
                    ("checked_in", "Checked in at the venue"),
                    ("check_in_undone", "Check-in undone"),
                    ("anonymised", "Personal data anonymised"),
                ],
                default="placed",
                max_length=20,
                verbose_name="action",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="statuschange",
            name="attendance_mode",
            field=models.CharField(
                blank=True,
                choices=[("in_person", "In person in Lima"), ("virtual", "Virtual")],
                max_length=20,
                verbose_name="attendance",
            ),
        ),
        migrations.RunPython(carry_settings_over, carry_settings_back),
        migrations.RunPython(type_history, untype_history),
        migrations.RemoveField(model_name="statuschange", name="note"),
    ]
