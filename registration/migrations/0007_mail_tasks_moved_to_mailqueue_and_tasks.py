# The mail tasks moved (registration.emails → registration.tasks, forum.account_adapter →
# mailqueue): mail still waiting in the queue, or listed as undelivered, must find its task by the
# new path, and a deferred attempt its exception by the new one.

from django.db import migrations

MOVED = {
    "registration.emails.send_registration_email": "registration.tasks.send_registration_email",
    "registration.emails.send_message_delivery": "registration.tasks.send_message_delivery",
    "forum.account_adapter.send_account_email": "mailqueue.send_stored_email",
}
MOVED_EXCEPTIONS = {"registration.emails.MailDeferred": "mailqueue.MailDeferred"}


def rename(apps, moved, moved_exceptions):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in moved.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)
    for old, new in moved_exceptions.items():
        DBTaskResult.objects.filter(exception_class_path=old).update(exception_class_path=new)


def forwards(apps, schema_editor):
    rename(apps, MOVED, MOVED_EXCEPTIONS)


def backwards(apps, schema_editor):
    rename(
        apps,
        {new: old for old, new in MOVED.items()},
        {new: old for old, new in MOVED_EXCEPTIONS.items()},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0006_registration_settings_and_typed_history"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
