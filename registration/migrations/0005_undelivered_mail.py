from django.db import migrations

from forum.groups import ORGANISERS, grant, revoke

# Organisers see the e-mails the mail server never took and send them again; they see nothing
# else of the task queue.
CODENAMES = ["view_undeliveredmail", "resend_undeliveredmail"]


def grant_permissions(apps, schema_editor):
    grant(apps, ORGANISERS, "registration", CODENAMES)


def revoke_permissions(apps, schema_editor):
    revoke(apps, ORGANISERS, "registration", CODENAMES)


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("registration", "0004_check_in_staff_and_messaging_permissions"),
    ]

    operations = [
        migrations.CreateModel(
            name="UndeliveredMail",
            fields=[],
            options={
                "verbose_name": "undelivered e-mail",
                "verbose_name_plural": "undelivered e-mails",
                "permissions": [("resend_undeliveredmail", "Can send an undelivered e-mail again")],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("django_tasks_database.dbtaskresult",),
        ),
        migrations.RunPython(grant_permissions, revoke_permissions),
    ]
