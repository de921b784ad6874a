"""
Accounts through the real allauth views: sign-up by e-mail alone, verification from the outbox,
sign-in, password reset, no enumeration of addresses, the honeypot, rate limits, and every page in
the site's own layout in both languages.
"""

import re
import uuid
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings as project_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.languages import LANGUAGES

from .factories import UserFactory, open_event, verified_user
from .page_reading import read

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "a-long-Secret-42"
LINK = re.compile(r"https?://testserver(/\S+)")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """allauth counts attempts in the cache; each test gets an empty one of its own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"accounts-{uuid.uuid4()}",
        }
    }


def url(language, name, *args, **kwargs):
    with translation.override(language):
        return reverse(name, args=args, kwargs=kwargs)


def translated(language, message):
    with translation.override(language):
        return gettext(message)


def sign_up(client, language, email, **extra):
    return client.post(
        url(language, "account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra},
    )


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def link_in(message):
    return LINK.search(message.body).group(1)


# Sign-up and verification.


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_asks_only_for_email_and_password(client, language):
    page = read(client.get(url(language, "account_signup")))

    names = {attrs.get("name") for attrs in page.inputs if attrs.get("type") != "hidden"}
    assert names == {"email", "password1", "password2", "website"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_sends_the_verification_mail_in_the_pages_language(client, language):
    response = sign_up(client, language, "Maria.Perez@Example.org")

    assert response.status_code == 302
    assert response["Location"] == url(language, "account_email_verification_sent")
    user = User.objects.get(email__iexact="maria.perez@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    [message] = mail.outbox
    assert message.to == ["maria.perez@example.org"]
    subject = translated(language, "Please Confirm Your Email Address")
    assert message.subject == f"[SGCAN] {subject}"
    assert translated(language, "Regional integration roundtables") in message.body
    assert "example.com" not in message.body
    assert link_in(message).startswith(f"/{language}/accounts/confirm-email/")


def test_verification_mail_is_spanish_on_spanish_pages_and_english_on_english_ones(client):
    sign_up(client, "es", "uno@example.org")
    sign_up(client, "en", "dos@example.org")

    spanish, english = mail.outbox
    # allauth's own Spanish catalogue.
    assert spanish.subject == "[SGCAN] Por favor, confirme su dirección de correo electrónico"
    assert english.subject == "[SGCAN] Please Confirm Your Email Address"


@pytest.mark.parametrize("language", LANGUAGES)
def test_following_the_verification_link_verifies_the_address_and_signs_in(client, language):
    sign_up(client, language, "nuevo@example.org")
    confirm_url = link_in(mail.outbox[0])

    page = client.get(confirm_url)
    assert page.status_code == 200
    assert read(page).h1() == [translated(language, "Confirm Email Address")]
    response = client.post(confirm_url)

    assert response.status_code == 302
    address = EmailAddress.objects.get(email="nuevo@example.org")
    assert address.verified
    assert signed_in_user_id(client) == str(address.user_id)


def test_an_unverified_address_cannot_sign_in(client):
    UserFactory(email="pendiente@example.org")
    EmailAddress.objects.create(
        user=User.objects.get(email="pendiente@example.org"),
        email="pendiente@example.org",
        verified=False,
        primary=True,
    )

    response = client.post(
        url("es", "account_login"), {"login": "pendiente@example.org", "password": PASSWORD}
    )

    assert response["Location"] == url("es", "account_email_verification_sent")
    assert signed_in_user_id(client) is None


# Sign-in.


@pytest.mark.parametrize("language", LANGUAGES)
def test_signing_in_with_the_email_address(client, language):
    user = verified_user("ana@example.org")

    response = client.post(
        url(language, "account_login"), {"login": "ANA@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    # The home page in the language the visitor signed in with.
    assert response["Location"] == f"/{language}/"
    assert signed_in_user_id(client) == str(user.pk)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_password_is_told_in_the_pages_language(client, language):
    verified_user("ana@example.org")

    response = client.post(
        url(language, "account_login"), {"login": "ana@example.org", "password": "wrong"}
    )

    assert response.status_code == 200
    message = translated(
        language, "The email address and/or password you specified are not correct."
    )
    assert message in response.content.decode()
    assert signed_in_user_id(client) is None


# Registering needs a verified address.


def test_unverified_user_is_stopped_before_the_registration_form(client):
    event = open_event()
    user = UserFactory(email="sinverificar@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)

    response = client.get(url("es", "registration:register", event.slug))

    assert response.status_code == 200
    assert "account/verified_email_required.html" in [t.name for t in response.templates]
    assert "registration/register.html" not in [t.name for t in response.templates]
    assert read(response).h1() == [translated("es", "Verify Your Email Address")]
    # allauth sends a fresh verification mail so the person can go on at once.
    assert [message.to for message in mail.outbox] == [["sinverificar@example.org"]]


def test_verified_user_reaches_the_registration_form(client):
    event = open_event()
    client.force_login(verified_user())

    response = client.get(url("es", "registration:register", event.slug))

    assert response.status_code == 200
    assert "account/verified_email_required.html" not in [t.name for t in response.templates]


# No page reveals whether an address has an account.


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client, language):
    verified_user("ana@example.org")
    reset_url = url(language, "account_reset_password")

    known = client.post(reset_url, {"email": "ana@example.org"})
    unknown = client.post(reset_url, {"email": "nadie@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == url(language, "account_reset_password_done")
    # Both addresses get a mail, so not even the inbox tells an outsider which one has an account.
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ana@example.org",
        "nadie@example.org",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_signing_up_with_a_taken_address_looks_like_a_new_sign_up(client, language):
    verified_user("ana@example.org")

    taken = sign_up(client, language, "ana@example.org")
    fresh = sign_up(client, language, "otra@example.org")

    assert taken.status_code == fresh.status_code == 302
    assert (
        taken["Location"] == fresh["Location"] == url(language, "account_email_verification_sent")
    )
    assert User.objects.filter(email__iexact="ana@example.org").count() == 1
    # The owner of the address learns that someone tried; the visitor learns nothing.
    assert {message.to[0] for message in mail.outbox} == {"ana@example.org", "otra@example.org"}


# The honeypot.


def test_a_filled_honeypot_creates_no_account_and_sends_no_mail(client):
    response = sign_up(client, "es", "bot@example.org", website="http://spam.example")

    # The bot is shown the usual page, so it has nothing to learn from.
    assert response.status_code == 302
    assert response["Location"] == url("es", "account_email_verification_sent")
    assert not User.objects.filter(email="bot@example.org").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_honeypot_is_hidden_by_a_class_from_eyes_screen_readers_and_keyboard(client, language):
    page = read(client.get(url(language, "account_signup")))

    honeypot = page.input_named("website")
    assert honeypot["tabindex"] == "-1"
    assert honeypot["autocomplete"] == "off"
    [container] = [c for c in page.hidden_containers if honeypot in c["_inputs"]]
    assert "form-honeypot" in container["class"].split()
    assert page.inline_styles == []
    stylesheet = (Path(project_settings.BASE_DIR) / "static/css/site.css").read_text()
    assert re.search(r"\.form-honeypot\s*\{[^}]*display:\s*none", stylesheet)


# Rate limits.


@pytest.mark.parametrize("language", LANGUAGES)
def test_repeated_wrong_passwords_lock_the_address_for_a_while(client, language):
    verified_user("ana@example.org")
    login_url = url(language, "account_login")
    for _attempt in range(5):
        client.post(login_url, {"login": "ana@example.org", "password": "wrong"})

    # Even the right password is refused until the lock expires.
    response = client.post(login_url, {"login": "ana@example.org", "password": PASSWORD})

    assert translated(language, "Too many failed login attempts. Try again later.") in (
        response.content.decode()
    )
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_flood_of_sign_in_attempts_gets_the_too_many_requests_page_in_the_site_layout(
    client, language
):
    login_url = url(language, "account_login")
    responses = [
        client.post(login_url, {"login": f"n{i}@example.org", "password": "x"}) for i in range(31)
    ]

    assert {r.status_code for r in responses[:30]} == {200}
    refused = responses[30]
    assert refused.status_code == 429
    page = read(refused)
    assert page.h1() == [translated(language, "Too many attempts")]
    assert page.title.startswith(translated(language, "Too many attempts"))
    assert f'<html lang="{language}">' in refused.content.decode()
    assert ("#main", translated(language, "Skip to main content")) in page.links


# Every page in the site's frame, in both languages.

ANONYMOUS_PAGES = [
    ("account_signup", "Sign Up"),
    ("account_login", "Sign In"),
    ("account_reset_password", "Password Reset"),
    ("account_reset_password_done", "Password Reset"),
    ("account_email_verification_sent", "Verify Your Email Address"),
    ("account_inactive", "Account Inactive"),
    ("account_reset_password_from_key_done", "Change Password"),
]
SIGNED_IN_PAGES = [
    ("account_email", "Email Addresses"),
    ("account_change_password", "Change Password"),
    ("account_logout", "Sign Out"),
]


def assert_in_site_layout(response, language, title):
    assert response.status_code == 200
    html = response.content.decode()
    page = read(response)
    expected = translated(language, title)
    assert f'<html lang="{language}">' in html
    assert page.title.startswith(expected)
    assert page.h1() == [expected]
    assert page.skipped_heading_levels() == []
    assert page.fields_without_label() == []
    assert page.inline_styles == []
    assert page.inline_scripts == 0
    assert ("#main", translated(language, "Skip to main content")) in page.links
    return page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "title"), ANONYMOUS_PAGES)
def test_anonymous_account_pages_render_in_the_site_layout(client, language, name, title):
    assert_in_site_layout(client.get(url(language, name)), language, title)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "title"), SIGNED_IN_PAGES)
def test_signed_in_account_pages_render_in_the_site_layout(client, language, name, title):
    client.force_login(verified_user())

    page = assert_in_site_layout(client.get(url(language, name)), language, title)

    account_menu = {href for href, _text in page.links}
    assert url(language, "registration:export-data") in account_menu
    assert url(language, "registration:delete-account") in account_menu


@pytest.mark.parametrize("language", LANGUAGES)
def test_reauthentication_page_renders_in_the_site_layout(client, language):
    client.force_login(verified_user())

    page = assert_in_site_layout(
        client.get(url(language, "account_reauthenticate")), language, "Confirm Access"
    )

    assert page.input_named("password")["type"] == "password"


def test_spanish_pages_show_allauths_spanish_strings(client):
    english = read(client.get(url("en", "account_login")))
    spanish = read(client.get(url("es", "account_login")))

    assert english.h1() == ["Sign In"]
    assert spanish.h1() == ["Iniciar sesión"]
    assert spanish.input_named("login")["type"] == "email"


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_page_links_the_privacy_notice(client, language):
    page = read(client.get(url(language, "account_signup")))

    assert url(language, "registration:privacy-notice") in {href for href, _text in page.links}


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_errors_are_tied_to_their_field(client, language):
    response = sign_up(client, language, "not-an-address")

    page = read(response)
    email = page.input_named("email")
    assert "is-invalid" in email["class"].split()
    assert "id_email_error" in email["aria-describedby"].split()
    assert translated(language, "Enter a valid email address.") in response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_password_reset_from_the_mail_link_to_the_new_password(client, language):
    user = verified_user("ana@example.org")
    client.post(url(language, "account_reset_password"), {"email": "ana@example.org"})
    key_url = link_in(mail.outbox[0])

    # allauth moves the key out of the address into the session before showing the form.
    form_page = client.get(key_url, follow=True)
    assert_in_site_layout(form_page, language, "Change Password")
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"password1": "another-Secret-43", "password2": "another-Secret-43"},
        follow=True,
    )

    assert_in_site_layout(done, language, "Change Password")
    assert translated(language, "Your password is now changed.") in done.content.decode()
    user.refresh_from_db()
    assert user.check_password("another-Secret-43")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_used_or_invalid_reset_link_says_so(client, language):
    response = client.get(
        url(language, "account_reset_password_from_key", uidb36="zz", key="not-a-key")
    )

    page = read(response)
    assert page.h1() == [translated(language, "Bad Token")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invalid_confirmation_link_says_so_in_the_site_layout(client, language):
    response = client.get(url(language, "account_confirm_email", "not-a-key"))

    assert_in_site_layout(response, language, "Confirm Email Address")


def test_email_page_lists_addresses_as_a_labelled_choice(client):
    client.force_login(verified_user("ana@example.org"))

    response = client.get(url("en", "account_email"))

    page = read(response)
    radio = next(attrs for attrs in page.inputs if attrs.get("type") == "radio")
    assert radio["value"] == "ana@example.org"
    assert radio["id"] in page.label_targets
    assert "<legend" in response.content.decode()


# Landing where the person was going.


def test_signing_up_from_the_register_page_leads_back_to_it_after_verification(client):
    event = open_event()
    register_url = url("es", "registration:register", event.slug)

    to_login = client.get(register_url)
    login_page = client.get(to_login["Location"])
    signup_url = next(
        href
        for href, _text in read(login_page).links
        if href.startswith(url("es", "account_signup") + "?next=")
    )
    carried = read(client.get(signup_url)).input_named("next")["value"]
    assert carried == register_url
    client.post(
        signup_url,
        {
            "email": "viene@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": carried,
        },
    )
    response = client.post(link_in(mail.outbox[0]))

    assert response.status_code == 302
    assert response["Location"] == register_url


def test_signing_in_and_out_leave_no_message_waiting_for_a_later_page(client):
    verified_user("ana@example.org")
    client.post(url("es", "account_login"), {"login": "ana@example.org", "password": PASSWORD})
    client.post(url("es", "account_logout"))
    client.post(url("es", "account_login"), {"login": "ana@example.org", "password": PASSWORD})

    page = client.get(url("es", "account_email"))

    assert list(page.context["messages"]) == []


# Links in account mails.

# Django matches ALLOWED_HOSTS without the port: a request saying "Host: localhost:9999" is served.
FOREIGN_HOST = "localhost:9999"
SITE_URL = "https://forum.example.org"


@pytest.mark.parametrize("language", LANGUAGES)
def test_account_mails_link_to_the_site_address_whatever_the_host_header(
    client, settings, language
):
    settings.SITE_URL = SITE_URL
    verified_user("ana@example.org")
    reset = url(language, "account_reset_password")
    client.post(reset, {"email": "ana@example.org"}, HTTP_HOST=FOREIGN_HOST)  # the reset link
    client.post(reset, {"email": "nadie@example.org"}, HTTP_HOST=FOREIGN_HOST)  # a sign-up link
    for email in ("ana@example.org", "otra@example.org"):  # both links, then the verification
        client.post(
            url(language, "account_signup"),
            {"email": email, "password1": PASSWORD, "password2": PASSWORD},
            HTTP_HOST=FOREIGN_HOST,
        )

    assert len(mail.outbox) == 4
    for message in mail.outbox:
        links = re.findall(r"[a-z]+://\S+", message.body)
        assert links, message.body
        assert all(link.startswith(SITE_URL + "/") for link in links), links
        assert "localhost" not in message.body
        assert "forum.example.org" in message.body.split("\n\n")[-1]  # the signature
    [reset_mail] = [message for message in mail.outbox if "nadie" not in message.to[0]][:1]
    assert re.search(rf"{SITE_URL}/{language}/\S+/password/reset/key/\S+", reset_mail.body)
