"""
Staff reach the admin only through the site's sign-in and only with two-factor authentication:
the admin's own login page hands over to allauth and never opens a session, a staff member without
an authenticator app is led to set one up, and one whose session was not opened with a code is
asked for one. The bootstrap of the README (createsuperuser, then the site's sign-in) is walked
through whole, with codes computed as an authenticator app computes them (RFC 6238).
"""

import base64
import datetime
import hashlib
import hmac
import html
import re
import struct

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests.languages import LANGUAGES
from tests.registration.factories import UserFactory
from tests.registration.page_reading import read

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Secret-42"
START = datetime.datetime(2024, 8, 1, 14, 0, tzinfo=datetime.UTC)
SECRET_INPUT = re.compile(r'id="authenticator_secret"[^>]*value="([A-Z2-7=]+)"')
LINK = re.compile(r"https?://testserver(/\S+)")


def url(name, language="es", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def totp(secret, when):
    """The six-digit code an authenticator app shows at `when` (RFC 6238: SHA-1, 30 s)."""
    counter = int(when.timestamp()) // 30
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6
    return f"{value:06d}"


def staff_user(**kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def with_authenticator(user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": secret})
    return secret


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def is_signed_in(client):
    return "_auth_user_id" in client.session


# The admin's own login page -------------------------------------------------------------------


def test_admin_login_page_sends_visitors_to_the_sites_sign_in_with_where_they_were_going(client):
    response = client.get(url("admin-login"), {"next": "/es/admin/agenda/session/"})
    assert response.status_code == 302
    assert (
        response["Location"] == url("account_login") + "?next=%2Fes%2Fadmin%2Fagenda%2Fsession%2F"
    )


def test_opening_the_admin_signed_out_ends_on_the_sites_sign_in(client):
    response = client.get("/en/admin/agenda/session/", follow=True)
    assert response.redirect_chain[-1][0] == (
        url("account_login", "en") + "?next=%2Fen%2Fadmin%2Fagenda%2Fsession%2F"
    )
    assert response.status_code == 200
    assert [name for name, _ in response.context["form"].fields.items()][:2] == [
        "login",
        "password",
    ]


def test_a_next_address_on_another_site_is_replaced_by_the_admins_index(client):
    response = client.get(url("admin-login"), {"next": "https://phishing.example/admin/"})
    assert response["Location"] == url("account_login") + "?next=%2Fes%2Fadmin%2F"


def test_posting_valid_staff_credentials_to_the_admin_login_opens_no_session(client):
    organiser = staff_user()
    with_authenticator(organiser)
    response = client.post(
        url("admin-login"),
        {"username": organiser.username, "password": PASSWORD, "next": "/es/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(url("account_login"))
    assert "sessionid" not in response.cookies
    assert "sessionid" not in client.cookies
    assert not is_signed_in(client)
    assert client.get(url("admin:index")).status_code == 302


def test_a_signed_in_participant_is_told_the_admin_is_not_for_them_instead_of_looping(client):
    participant = UserFactory(email="ana@example.org")
    client.force_login(participant)
    response = client.get(url("admin-login", "en"), {"next": "/en/admin/"})
    assert response.status_code == 403
    page = read(response)
    assert page.h1() == ["No access to the administration"]
    assert "ana@example.org" in response.text


# Two-factor authentication before any admin page ------------------------------------------------


def test_staff_without_an_authenticator_app_are_led_to_set_one_up(client):
    organiser = staff_user()
    client.force_login(organiser)
    response = client.get(url("admin:index", "en"))
    assert response.status_code == 302
    assert response["Location"] == url("mfa_activate_totp", "en")
    assert any("two-factor authentication" in text for text in messages_of(response))


def test_every_admin_page_asks_for_it_not_only_the_index(client):
    client.force_login(staff_user(is_superuser=True))
    for path in ["/es/admin/agenda/session/", "/es/admin/registration/registration/"]:
        response = client.get(path)
        assert response["Location"] == url("mfa_activate_totp"), path


def test_staff_with_an_app_whose_session_began_without_a_code_are_asked_for_one(client):
    organiser = staff_user()
    with_authenticator(organiser)
    client.force_login(organiser)
    response = client.get("/en/admin/agenda/session/?q=CAF")
    assert response.status_code == 302
    assert response["Location"] == (
        url("mfa_reauthenticate", "en") + "?next=%2Fen%2Fadmin%2Fagenda%2Fsession%2F%3Fq%3DCAF"
    )


def test_staff_who_signed_in_with_password_and_code_go_straight_into_the_admin(client):
    organiser = staff_user(is_superuser=True)
    secret = with_authenticator(organiser)
    with time_machine.travel(START, tick=False):
        response = client.post(
            url("account_login"),
            {"login": organiser.email, "password": PASSWORD, "next": "/es/admin/"},
        )
        assert response["Location"] == url("mfa_authenticate")
        assert not is_signed_in(client)
        response = client.post(url("mfa_authenticate"), {"code": totp(secret, START)})
        assert response["Location"] == "/es/admin/"
        assert client.get(url("admin:index")).status_code == 200


def test_a_wrong_code_keeps_the_admin_closed(client):
    organiser = staff_user(is_superuser=True)
    secret = with_authenticator(organiser)
    with time_machine.travel(START, tick=False):
        client.post(url("account_login"), {"login": organiser.email, "password": PASSWORD})
        wrong = f"{(int(totp(secret, START)) + 1) % 10**6:06d}"
        response = client.post(url("mfa_authenticate"), {"code": wrong})
        assert response.status_code == 200
        assert not is_signed_in(client)
        assert client.get(url("admin:index")).status_code == 302


def test_participants_pages_are_not_affected(client):
    participant = UserFactory()
    EmailAddress.objects.create(
        user=participant, email=participant.email, verified=True, primary=True
    )
    client.force_login(participant)
    assert client.get(url("account_email")).status_code == 200
    assert client.get(url("registration:export-data")).status_code == 200


def test_staff_may_leave_the_admin_without_a_code(client):
    client.force_login(staff_user())
    response = client.post(url("admin:logout"))
    assert response.status_code == 200
    assert not is_signed_in(client)


# The README's bootstrap, whole ------------------------------------------------------------------


def test_the_first_organiser_created_with_createsuperuser_sets_up_two_factor_then_enters(
    client, monkeypatch
):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser",
        interactive=False,
        username="organiser",
        email="eventos@comunidadandina.org",
        verbosity=0,
    )
    organiser = get_user_model().objects.get(username="organiser")

    with time_machine.travel(START, tick=False) as clock:
        # 1. Sign in on the site, going to the admin: first the address is confirmed by e-mail.
        response = client.get("/es/admin/", follow=True)
        login_url = response.redirect_chain[-1][0]
        response = client.post(
            login_url, {"login": "eventos@comunidadandina.org", "password": PASSWORD}
        )
        assert response["Location"] == url("account_email_verification_sent")
        confirmation = LINK.search(mail.outbox[-1].body).group(1)
        response = client.post(confirmation)
        assert is_signed_in(client)

        # 2. The admin leads to the authenticator app's page; allauth asks for the password again
        #    before changing how the account is protected.
        response = client.get("/es/admin/", follow=True)
        assert response.redirect_chain[0][0] == url("mfa_activate_totp")
        assert response.redirect_chain[-1][0].startswith(url("account_reauthenticate"))
        response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
        assert response.redirect_chain[-1][0] == url("mfa_activate_totp")

        # 3. The page shows the QR code inline and the secret; the app's code activates it.
        page = read(response)
        assert '<svg role="img"' in response.text and "data:image" not in response.text
        assert page.inline_styles == [] and page.inline_scripts == 0
        assert page.fields_without_label() == []
        secret = SECRET_INPUT.search(html.unescape(response.text)).group(1)
        clock.shift(60)
        response = client.post(
            url("mfa_activate_totp"), {"code": totp(secret, START + datetime.timedelta(seconds=60))}
        )
        assert response.status_code == 302, response.context["form"].errors
        assert response["Location"] == url("mfa_view_recovery_codes")
        assert Authenticator.objects.filter(user=organiser, type=Authenticator.Type.TOTP).exists()
        codes_page = client.get(url("mfa_view_recovery_codes"))
        assert 'href="/es/admin/"' in codes_page.text
        assert read(codes_page).inline_scripts == 0

        # 4. The admin asks once for a code in this session, then opens.
        response = client.get("/es/admin/")
        assert response["Location"].startswith(url("mfa_reauthenticate"))
        clock.shift(60)
        response = client.post(
            response["Location"], {"code": totp(secret, START + datetime.timedelta(seconds=120))}
        )
        assert response["Location"] == "/es/admin/"
        assert client.get("/es/admin/").status_code == 200

        # 5. Next time: password, then a code, and straight in.
        client.logout()
        clock.shift(3600)
        client.post(url("account_login"), {"login": organiser.email, "password": PASSWORD})
        response = client.post(
            url("mfa_authenticate"),
            {"code": totp(secret, START + datetime.timedelta(seconds=3720))},
        )
        assert client.get("/es/admin/").status_code == 200


# allauth's two-factor pages in the site's layout -------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_factor_pages_are_in_the_sites_layout_without_inline_script_or_style(client, language):
    organiser = staff_user()
    secret = with_authenticator(organiser)
    with time_machine.travel(START, tick=False):
        client.post(
            url("account_login", language), {"login": organiser.email, "password": PASSWORD}
        )
        pages = [client.get(url("mfa_authenticate", language))]
        client.post(url("mfa_authenticate", language), {"code": totp(secret, START)})
        pages.append(client.get(url("mfa_index", language)))
        pages.append(client.get(url("mfa_reauthenticate", language)))
    for response in pages:
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.text
        assert 'class="site-header"' in response.text
        page = read(response)
        assert page.inline_styles == [] and page.inline_scripts == 0
        assert page.fields_without_label() == []
        assert "no-store" in response["Cache-Control"]
    assert 'href="{}"'.format(url("mfa_index", language)) in pages[1].text  # in the account menu
