"""
Staff accounts in tests: in a group, and signed in the way the admin and the check-in desk require
(two-factor).
"""

import time

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group

from .factories import UserFactory


def staff_member(group_name, *, is_staff=True):
    user = UserFactory(is_staff=is_staff)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def sign_in(client, user):
    """
    Open a session for `user` as if they had signed in with a code from their authenticator app:
    what forum/admin_access.py asks of staff before any admin page and of the check-in staff
    before any page of the desk.
    """
    if user.is_staff or user.has_perm("registration.check_in_participants"):
        Authenticator.objects.get_or_create(
            user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "test"}}
        )
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return user
