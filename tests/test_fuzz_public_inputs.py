"""
Whatever anyone types or sends to the public site — any text, any Unicode (NUL, lone surrogates,
right-to-left marks, emoji), 100 kB of it, or nothing — it is answered without a server error, and
a registration is stored whole or not at all.

Values travel as a real client would send them: percent-encoded UTF-8 in addresses and form
bodies, raw bytes in the cookie header. Lone surrogates cannot be encoded as UTF-8, so they are
escaped to the (invalid) bytes a broken client would send.

Each property runs a bounded number of examples so that the whole file stays within about a minute;
each example starts with an empty cache, so rate limits never hide what follows them.
"""

from urllib.parse import quote, urlencode

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agenda.timezones import COOKIE_NAME, QUERY_PARAMETER
from registration.forms import DETAIL_FIELDS, NEEDS_FIELDS
from registration.models import AttendanceMode, Consent, Registration, StatusChange
from tests.agenda.factories import (
    SessionFactory,
    SessionSpeakerFactory,
    lima,
)
from tests.registration.factories import AudienceCategoryFactory, UserFactory, open_event

pytestmark = pytest.mark.django_db


def fuzz(max_examples=50):
    # The set-up (an event, a session, categories) is made once per test and only read by the
    # examples, so sharing the function-scoped fixtures between examples is what is meant.
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


HUGE = 100_000
SPECIAL_VALUES = [
    "",
    " ",
    "\x00",
    "America/Lima\x00",
    "\ud800",  # a lone surrogate
    "America/\udfffLima",
    "\u202eamiL/aciremA",  # right-to-left override
    "مرحبا بالعالم",
    "שלום",
    "🇵🇪👩🏽‍💻🙂",
    "\r\nSet-Cookie: injected=1",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00%ff%fe",
    "America/Lima",
    "america/santiago",
    "Etc/GMT+5",
    "localtime",
    "//evil.example.org/",
    "https://evil.example.org/",
    "javascript:alert(1)",
    "9" * 40,
    "a" * HUGE,
    "é" * (HUGE // 2),
    "🙂" * (HUGE // 4),
]


def any_text(max_size=300):
    """Any text at all: the special values above, or drawn from every Unicode category."""
    return st.one_of(
        st.sampled_from(SPECIAL_VALUES),
        st.text(max_size=max_size),
        # Surrogates (category Cs) are left out of st.text() by default: add them on purpose.
        st.text(st.characters(codec=None, categories=["Cs", "Cc", "Zs", "Lo", "So", "Mn"])),
    )


def escaped(value):
    """Percent-encoded UTF-8, lone surrogates as the invalid bytes they would make."""
    return quote(value, safe="", errors="surrogatepass")


def form_body(data):
    return urlencode(data, doseq=True, errors="surrogatepass")


def post_form(client, url, data):
    return client.post(url, form_body(data), content_type="application/x-www-form-urlencoded")


def wire_header(value):
    """A header value as a WSGI server hands it over: the raw bytes, read as Latin-1."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


def url(name, language="es", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def assert_no_server_error(response):
    assert response.status_code < 500, (response.status_code, response.content[:500])


@pytest.fixture
def meeting():
    event = open_event(slug="cooperacion-transfronteriza")
    session = SessionFactory(event=event, starts_at=lima(9), ends_at=lima(9, 30))
    SessionSpeakerFactory(session=session)
    return event


# Query parameters and addresses ----------------------------------------------------------------


def public_pages(event):
    session = event.sessions.get()
    return [
        url("agenda:home"),
        url("agenda:event-detail", slug=event.slug),
        url("agenda:event-agenda", "en", event_slug=event.slug),
        url("agenda:speaker-list", event_slug=event.slug),
        url("agenda:session-detail", "en", event_slug=event.slug, pk=session.pk),
        url("agenda:event-calendar", event_slug=event.slug),
        url("agenda:event-feed", event_slug=event.slug),
        url("registration:privacy-notice"),
        url("account_login"),
        url("account_signup"),
    ]


@fuzz()
@given(zone=any_text(), page=st.integers(min_value=0, max_value=9), in_cookie=st.booleans())
@example(zone="a" * HUGE, page=2, in_cookie=False)
@example(zone="\ud800\x00", page=4, in_cookie=True)
def test_any_time_zone_in_the_link_or_the_cookie_is_answered(meeting, zone, page, in_cookie):
    cache.clear()
    address = public_pages(meeting)[page]
    if in_cookie:
        response = Client(HTTP_COOKIE=f"{COOKIE_NAME}={wire_header(zone)}").get(address)
    else:
        response = Client().get(f"{address}?{QUERY_PARAMETER}={escaped(zone)}")
    assert_no_server_error(response)
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        # Whatever was asked for, nothing is echoed unescaped into the page.
        assert "<script>alert(1)</script>" not in response.content.decode()


ADDRESS_TEMPLATES = [
    "/{text}/",
    "/{text}/events/{slug}/agenda/",
    "/es/events/{text}/",
    "/en/events/{text}/agenda/",
    "/es/events/{text}/speakers/",
    "/es/events/{slug}/sessions/{number}/",
    "/en/events/{slug}/sessions/{text}/",
    "/es/events/{text}/sessions/{number}/calendar.ics",
    "/es/events/{text}/calendar.ics",
    "/es/events/{text}/feed.ics",
    "/es/events/{text}/register/",
    "/es/events/{text}/my-registration/",
    "/es/calendar/{text}.ics",
    "/es/join/{text}/",
    "/es/certificates/{text}/",
    "/es/accounts/confirm-email/{text}/",
    "/es/accounts/password/reset/key/{text}-{text}/",
    "/{text}",
]


@fuzz()
@given(
    template=st.sampled_from(ADDRESS_TEMPLATES),
    text=any_text(),
    number=st.one_of(st.integers(min_value=0), st.integers(min_value=2**31, max_value=10**40)),
)
@example(template="/es/events/{slug}/sessions/{number}/", text="", number=2**63)
@example(template="/es/events/{slug}/sessions/{number}/", text="", number=10**30)
@example(template="/es/events/{text}/sessions/{number}/calendar.ics", text="x", number=2**64)
# PostgreSQL refuses a NUL byte in a text parameter: a token with one must never reach a query.
@example(template="/es/calendar/{text}.ics", text="\x00", number=0)
@example(template="/es/join/{text}/", text="\x00", number=0)
@example(template="/es/certificates/{text}/", text="\x00", number=0)
def test_any_language_prefix_slug_number_or_token_in_an_address_is_answered(
    meeting, template, text, number
):
    cache.clear()
    address = template.format(text=escaped(text), slug=meeting.slug, number=number)
    assert_no_server_error(Client().get(address))


# The account forms (the language switch is plain links: the addresses above) ----------------


ACCOUNT_FORMS = {
    "account_login": ["login", "password", "next"],
    "account_signup": ["email", "password1", "password2", "website", "next"],
    "account_reset_password": ["email"],
}


@fuzz()
@given(
    form=st.sampled_from(sorted(ACCOUNT_FORMS)),
    values=st.lists(st.one_of(any_text(), st.emails()), min_size=5, max_size=5),
    method=st.sampled_from(["GET", "POST"]),
)
@example(form="account_login", values=["//evil.example.org/"] * 5, method="GET")
@example(form="account_login", values=["a@example.org", "\ud800", "\x00", "", ""], method="POST")
@example(
    form="account_signup",
    values=["nueva@example.org", "a-long-Secret-42", "a-long-Secret-42", "", "/es/"],
    method="POST",
)
def test_the_account_forms_take_any_input(meeting, form, values, method):
    cache.clear()
    address = url(form)
    data = dict(zip(ACCOUNT_FORMS[form], values, strict=False))
    client = Client()
    if method == "GET":
        response = client.get(f"{address}?next={escaped(data.get('next', values[0]))}")
    else:
        response = post_form(client, address, data)
    assert_no_server_error(response)
    if response.status_code in (301, 302):
        # Never sent off the site, whatever `next` said.
        assert not response["Location"].startswith(("//", "http:", "https:", "javascript:"))


# The registration form -------------------------------------------------------------------------


def valid_registration(category):
    return {
        "attendance_mode": AttendanceMode.VIRTUAL,
        "category": str(category.pk),
        "honorific": "Dra.",
        "full_name": "Ana Quispe Mamani",
        "position": "Directora de Integración",
        "organisation": "Ministerio de Comercio Exterior",
        "country": "PE",
        "phone": "+51 1 710 6400",
        "preferred_language": "es",
        "dietary_needs": "",
        "accessibility_needs": "",
        "privacy_consent": "on",
        "website": "",
    }


REGISTRATION_FIELDS = [
    "attendance_mode",
    "category",
    *DETAIL_FIELDS,
    *NEEDS_FIELDS,
    "sensitive_data_consent",
    "privacy_consent",
    "photography_consent",
    "website",
]


def signed_in_verified_participant():
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def registration_form(meeting):
    category = AudienceCategoryFactory(event=meeting)
    return url("registration:register", event_slug=meeting.slug), category


def stored_counts():
    return (Registration.objects.count(), Consent.objects.count(), StatusChange.objects.count())


# Fewer examples: each refused one draws the whole form again, the slowest page of the site.
@fuzz(max_examples=30)
@given(
    changes=st.dictionaries(
        keys=st.sampled_from(REGISTRATION_FIELDS),
        values=st.one_of(any_text(), st.none()),
        max_size=4,
    )
)
@example(changes={})
@example(changes={"full_name": "a" * HUGE})
@example(changes={"full_name": "Ana\x00Quispe"})
@example(changes={"category": "9" * 40})
@example(changes={"country": "\ud800"})
@example(changes={"privacy_consent": None})
@example(changes={"website": "http://spam.example.org"})
@example(changes={"attendance_mode": AttendanceMode.IN_PERSON, "dietary_needs": "🙂" * 300})
def test_a_registration_is_stored_whole_or_not_at_all(registration_form, changes):
    cache.clear()
    address, category = registration_form
    client, user = signed_in_verified_participant()
    data = valid_registration(category)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)  # the field left out of the form altogether
        else:
            data[name] = value
    before = stored_counts()

    response = post_form(client, address, data)

    assert_no_server_error(response)
    registrations, consents, status_changes = stored_counts()
    stored = Registration.objects.filter(user=user).first()
    if stored is None:
        # Refused: nothing at all was kept, not a consent, not a line of history.
        assert (registrations, consents, status_changes) == before
        assert response.status_code in (200, 429)
        return
    # Accepted: one registration, whole, with its consents and history, and the person sent to it.
    assert registrations == before[0] + 1
    assert response.status_code == 302 and response["Location"] == stored.get_absolute_url()
    assert stored.full_name and stored.position and stored.organisation and stored.country
    assert stored.email == user.email
    assert stored.full_name == data["full_name"].strip()
    assert stored.consents.filter(purpose=Consent.Purpose.PRIVACY_NOTICE, is_granted=True).exists()
    assert stored.status_changes.exists()
    assert consents > before[1] and status_changes > before[2]


def test_the_unchanged_valid_registration_is_stored_exactly_once(registration_form):
    # The property above needs at least one accepted example to mean anything.
    address, category = registration_form
    client, user = signed_in_verified_participant()
    before = Registration.objects.count()
    response = post_form(client, address, valid_registration(category))
    assert response.status_code == 302
    assert Registration.objects.count() == before + 1
    # Sent again (a double click), it is not stored twice.
    assert post_form(client, address, valid_registration(category)).status_code == 302
    assert Registration.objects.count() == before + 1
