from django.db import migrations

from forum.groups import ORGANISERS, grant, revoke

# Organisers edit the whole agenda.
CODENAMES = [
    f"{action}_{model}"
    for model in ["event", "organisation", "session", "sessionspeaker", "speaker"]
    for action in ["add", "change", "delete", "view"]
]


def create_organisers_group(apps, schema_editor):
    grant(apps, ORGANISERS, "agenda", CODENAMES)


def remove_agenda_permissions(apps, schema_editor):
    revoke(apps, ORGANISERS, "agenda", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_organisers_group, remove_agenda_permissions)]
