from django.db import migrations

from forum.groups import ORGANISERS, grant, revoke

# Organisers write, publish and withdraw each meeting's outcomes and its actions.
CODENAMES = [
    f"{action}_{model}"
    for model in ["outcome", "action"]
    for action in ["add", "change", "delete", "view"]
]


def grant_outcomes(apps, schema_editor):
    grant(apps, ORGANISERS, "outcomes", CODENAMES)


def revoke_outcomes(apps, schema_editor):
    revoke(apps, ORGANISERS, "outcomes", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_outcomes_and_actions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_outcomes, revoke_outcomes)]
