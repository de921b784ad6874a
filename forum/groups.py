"""
Staff groups created by data migrations: organisers run the meeting without being superusers.

Migrations import these helpers, so their behaviour must stay stable: add new helpers rather than
changing what an existing one grants.
"""

from django.contrib.auth.management import create_permissions

ORGANISERS = "Organisers"
CHECK_IN_STAFF = "Check-in staff"


def ensure_permissions_exist(apps):
    # Django creates permissions after all migrations (post_migrate); on a fresh database the
    # group must be given them now, so create them first.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grant(apps, group_name, app_label, codenames):
    """Give `group_name` (created if missing) the permissions `app_label.<codename>`."""
    ensure_permissions_exist(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=group_name)
    permissions = Permission.objects.filter(
        content_type__app_label=app_label, codename__in=codenames
    )
    group.permissions.add(*permissions)


def revoke(apps, group_name, app_label, codenames):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=group_name).first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
