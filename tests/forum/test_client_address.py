"""
Behind the reverse proxy every visitor arrives from the proxy's address. allauth's limits "per ip"
must count each visitor by the address the proxy forwards, or one attacker's failed sign-ins lock
everyone out; and without a trusted proxy configured, a forged X-Forwarded-For must count for
nothing.
"""

import http.client
import re
import subprocess
import sys
import urllib.parse
from http.cookies import SimpleCookie

import pytest
from allauth import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import translation

from tests.registration.factories import UserFactory

from .conftest import ROOT

PASSWORD = "a-long-Secret-42"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOO_MANY = "Too many failed login attempts. Try again later."
WRONG = "The email address and/or password you specified are not correct."

LOGIN_PATH = "/en/accounts/login/"


class Visitor:
    """A browser of its own (its cookies) whose requests the proxy forwards from `address`."""

    def __init__(self, port, address):
        self.port = port
        self.address = address
        self.cookies = SimpleCookie()

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        # What nginx sends with `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`
        # when the visitor sent no such header of its own.
        headers = {"X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(cookie)
            return response.status, response.getheader("Location"), response.read().decode()
        finally:
            connection.close()

    def sign_in(self, email, password):
        _, _, page = self.request("GET", LOGIN_PATH)
        token = CSRF_INPUT.search(page).group(1)
        form = {"csrfmiddlewaretoken": token, "login": email, "password": password}
        return self.request("POST", LOGIN_PATH, form)


def create_accounts(environment, emails):
    """Verified accounts with PASSWORD, made in the server's database."""
    script = f"""
import django
django.setup()
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
for number, email in enumerate({emails!r}):
    user = get_user_model().objects.create_user(f"person{{number}}", email, {PASSWORD!r})
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
"""
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, check=True)


def test_behind_the_proxy_one_attacker_locks_out_no_one_else_but_the_attacked_account(
    site_environment, start_gunicorn
):
    environment = {**site_environment, "TRUSTED_PROXY_COUNT": "1"}
    victim = "victim@example.org"
    others = ["ana@example.org", "bruno@example.org", "carla@example.org"]
    create_accounts(environment, [victim, *others])
    port = start_gunicorn(environment)

    attacker = Visitor(port, "203.0.113.1")
    for number in range(25):
        attacker.address = f"203.0.113.{number + 1}"
        status, _, page = attacker.sign_in(victim, "guessed-wrong")
        assert status == 200
        assert WRONG in page or TOO_MANY in page

    for number, email in enumerate(others):
        status, location, page = Visitor(port, f"198.51.100.{number + 1}").sign_in(email, PASSWORD)
        assert TOO_MANY not in page
        assert (status, location) == (302, "/en/")

    # The attacked account keeps its own limit (5 failures per address), whoever tries it.
    status, _, page = Visitor(port, "192.0.2.7").sign_in(victim, PASSWORD)
    assert status == 200
    assert TOO_MANY in page


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_dodge_the_limit(client):
    # The defaults, as a server facing the internet directly runs.
    assert allauth_settings.TRUSTED_PROXY_COUNT == 0
    assert allauth_settings.TRUSTED_CLIENT_IP_HEADER is None
    innocent = UserFactory()
    EmailAddress.objects.create(user=innocent, email=innocent.email, verified=True, primary=True)
    with translation.override("en"):
        login = reverse("account_login")

    for number in range(10):
        client.post(
            login,
            {"login": f"nobody{number}@example.org", "password": "guessed-wrong"},
            headers={"X-Forwarded-For": f"203.0.113.{number + 1}"},
        )
    response = client.post(
        login,
        {"login": innocent.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )

    # All eleven came from the same connection's address: the header is not believed.
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
