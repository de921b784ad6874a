from django.db import migrations

from forum.groups import ORGANISERS, grant, revoke

# Organisers edit the forum's roundtables as they edit the rest of the agenda.
CODENAMES = [f"{action}_roundtable" for action in ["add", "change", "delete", "view"]]


def grant_roundtables(apps, schema_editor):
    grant(apps, ORGANISERS, "agenda", CODENAMES)


def revoke_roundtables(apps, schema_editor):
    revoke(apps, ORGANISERS, "agenda", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0007_roundtables_and_events_by_roundtable"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_roundtables, revoke_roundtables)]
