"""
The settings a real server started by a test runs with: forum.settings, read from the environment
the test gives it, with a fast password hasher so that dozens of sign-ins take milliseconds.
"""

from forum.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
