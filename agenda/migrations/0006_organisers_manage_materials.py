from django.db import migrations

from forum.groups import ORGANISERS, grant, revoke

# Organisers attach the presentations, recordings and links after the meeting.
CODENAMES = [f"{action}_material" for action in ["add", "change", "delete", "view"]]


def grant_permissions(apps, schema_editor):
    grant(apps, ORGANISERS, "agenda", CODENAMES)


def revoke_permissions(apps, schema_editor):
    revoke(apps, ORGANISERS, "agenda", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0005_materials_of_meetings_and_sessions"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
