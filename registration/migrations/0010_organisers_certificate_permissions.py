from django.db import migrations

from forum.groups import ORGANISERS, grant, revoke

# Organisers set who signs an event's certificates; the certificates themselves are a record they
# read (revoking goes through an action on the registrations, which records who and when).
CODENAMES = [
    "add_certificatesignatory",
    "change_certificatesignatory",
    "view_certificatesignatory",
    "view_certificate",
]


def grant_permissions(apps, schema_editor):
    grant(apps, ORGANISERS, "registration", CODENAMES)


def revoke_permissions(apps, schema_editor):
    revoke(apps, ORGANISERS, "registration", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0009_attendance_and_certificates"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
