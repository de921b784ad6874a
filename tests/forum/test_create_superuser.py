"""
`make superuser` (bin/create-superuser) without a terminal: it creates the administrator from
DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD, and without them fails loudly instead of
skipping with success as Django's createsuperuser does.
"""

import os
import sqlite3
import subprocess
import sys

from django.contrib.auth.hashers import check_password

from .conftest import ROOT

SCRIPT = ROOT / "bin" / "create-superuser"


def run_without_a_terminal(**variables):
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_SUPERUSER_")
    }
    return subprocess.run(
        [SCRIPT],
        cwd=ROOT,
        env={**environment, "PYTHON": sys.executable, **variables},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )


def test_without_a_terminal_the_administrator_comes_from_the_environment(site_environment):
    done = run_without_a_terminal(
        DJANGO_SETTINGS_MODULE=site_environment["DJANGO_SETTINGS_MODULE"],
        DATABASE_URL=site_environment["DATABASE_URL"],
        DJANGO_SUPERUSER_EMAIL="admin@example.org",
        DJANGO_SUPERUSER_PASSWORD="a-long-Secret-42",
    )

    assert done.returncode == 0, done.stderr
    database = site_environment["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT username, email, is_superuser, is_staff, password FROM auth_user"
        ).fetchall()
    connection.close()
    [(username, email, is_superuser, is_staff, password)] = rows
    assert (username, email, is_superuser, is_staff) == (
        "admin@example.org",
        "admin@example.org",
        1,
        1,
    )
    assert check_password("a-long-Secret-42", password)


def test_without_a_terminal_or_the_variables_it_fails_and_says_what_to_set():
    done = run_without_a_terminal(DJANGO_SUPERUSER_EMAIL="admin@example.org")

    assert done.returncode != 0
    assert "DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD" in done.stderr
    assert "No account was created." in done.stderr
