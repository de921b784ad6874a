from django.db import migrations

from forum.groups import ORGANISERS, grant, revoke

# Organisers see and manage registrations and categories; consents and the status history are a
# record, so they may read them but never edit them.
CODENAMES = [
    "view_registration",
    "change_registration",
    "add_audiencecategory",
    "change_audiencecategory",
    "view_audiencecategory",
    "view_consent",
    "view_statuschange",
]


def grant_registration_permissions(apps, schema_editor):
    grant(apps, ORGANISERS, "registration", CODENAMES)


def revoke_registration_permissions(apps, schema_editor):
    revoke(apps, ORGANISERS, "registration", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0001_initial"),
        ("agenda", "0002_organisers_group"),
    ]

    operations = [
        migrations.RunPython(grant_registration_permissions, revoke_registration_permissions)
    ]
