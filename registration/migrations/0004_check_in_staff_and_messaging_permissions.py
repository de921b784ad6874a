from django.db import migrations

from forum.groups import CHECK_IN_STAFF, ORGANISERS, grant, revoke

# Check-in staff may do one thing: mark arrivals on the check-in page. Organisers may do it too
# (they run the desk on the morning), and write to registrants; the messages sent and their
# deliveries are a record, so organisers read them but never edit or delete them.
CHECK_IN = ["check_in_participants"]
ORGANISERS_CODENAMES = [*CHECK_IN, "add_message", "view_message", "view_messagedelivery"]


def grant_permissions(apps, schema_editor):
    grant(apps, CHECK_IN_STAFF, "registration", CHECK_IN)
    grant(apps, ORGANISERS, "registration", ORGANISERS_CODENAMES)


def revoke_permissions(apps, schema_editor):
    revoke(apps, ORGANISERS, "registration", ORGANISERS_CODENAMES)
    revoke(apps, CHECK_IN_STAFF, "registration", CHECK_IN)


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0003_check_in_and_messages_to_registrants"),
    ]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
