"""
The header's account links. Public pages are cached and shared by every visitor, so they show
everyone the way in (their not reading the session is tested in tests/agenda/test_caching.py);
pages that are personal anyway show a signed-in person their registration and the way out.
"""

from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from tests.languages import LANGUAGES, translated, url

from .factories import RegistrationFactory, UserFactory
from .staff import sign_in, staff_member

pytestmark = pytest.mark.django_db


class _MenuReader(HTMLParser):
    """The main menu's entries as a person meets them: a link, or a button of a form."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.entries = []
        self.csrf_token = None
        self._in_menu = False
        self._form_action = None
        self._entry = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "site-nav" in attrs.get("class", "").split():
            self._in_menu = True
        elif not self._in_menu:
            return
        elif tag == "form":
            self._form_action = (attrs.get("method"), attrs.get("action"))
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            self.csrf_token = attrs["value"]
        elif tag == "a":
            self._entry = ["link", attrs.get("href"), ""]
        elif tag == "button":
            self._entry = ["button", self._form_action, ""]

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_menu = False
        elif tag in {"a", "button"} and self._entry:
            self.entries.append((self._entry[0], self._entry[1], " ".join(self._entry[2].split())))
            self._entry = None

    def handle_data(self, data):
        if self._entry:
            self._entry[2] += data


def menu_of(response):
    assert response.status_code == 200
    reader = _MenuReader()
    reader.feed(response.content.decode())
    return reader


def way_in(language):
    return [
        ("link", url(language, "account_login"), translated(language, "Sign in")),
        ("link", url(language, "account_signup"), translated(language, "Sign up")),
    ]


def way_out(language):
    logout = ("post", url(language, "account_logout"))
    return [("button", logout, translated(language, "Sign out"))]


def my_registration(language, event):
    target = url(language, "registration:my-registration", event_slug=event.slug)
    return ("link", target, translated(language, "My registration"))


@pytest.fixture
def participant(client, event):
    registration = RegistrationFactory(event=event)
    EmailAddress.objects.create(
        user=registration.user, email=registration.email, verified=True, primary=True
    )
    client.force_login(registration.user)
    return registration.user


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("name", "needs_event"),
    [("registration:my-registration", True), ("account_email", False)],
)
def test_a_signed_in_participant_sees_sign_out_instead_of_sign_in_on_personal_pages(
    client, participant, event, language, name, needs_event
):
    kwargs = {"event_slug": event.slug} if needs_event else {}

    entries = menu_of(client.get(url(language, name, **kwargs))).entries

    assert entries[-2:] == [my_registration(language, event), *way_out(language)]
    assert not set(way_in(language)) & set(entries)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_check_in_desk_offers_its_staff_the_same_way_out(client, event, language):
    sign_in(client, staff_member("Check-in staff", is_staff=False))

    menu = menu_of(client.get(url(language, "registration:check-in", event_slug=event.slug)))

    assert menu.entries[-1:] == way_out(language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ["agenda:home", "account_login", "account_signup"])
def test_an_anonymous_visitor_sees_sign_in_and_sign_up(client, event, language, name):
    entries = menu_of(client.get(url(language, name))).entries

    assert entries[-3:] == [my_registration(language, event), *way_in(language)]
    assert not set(way_out(language)) & set(entries)


def test_signing_out_from_the_menu_ends_the_session():
    # CSRF is checked, as in a browser: the menu's form carries its own token.
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    menu = menu_of(client.get(url("es", "account_email")))
    [(_kind, (_method, action), _text)] = [entry for entry in menu.entries if entry[0] == "button"]

    response = client.post(action, {"csrfmiddlewaretoken": menu.csrf_token})

    assert response.status_code == 302
    assert response["Location"] == url("es", "agenda:home")
    assert "_auth_user_id" not in client.session
