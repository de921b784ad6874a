"""
Public pages and calendars come from the cache until organisers change the agenda, per language and
time zone, carry nothing about the visitor, and calendars answer 304 Not Modified to clients that
already have them.
"""

import contextlib
import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.messages import constants
from django.contrib.messages.storage import default_storage
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import MessageEncoder
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.csp import LazyNonce
from django.utils.http import http_date
from icalendar import Calendar

import pagecache
from agenda.models import Event, Session, SessionSpeaker
from agenda.timezones import COOKIE_NAME
from pagecache import PublicPageCacheMiddleware, mark_public_page
from registration.models import RegistrationSettings
from tests.languages import url as localised_url
from tests.registration.factories import UserFactory

from .factories import (
    EventFactory,
    OrganisationFactory,
    SessionFactory,
    SessionSpeakerFactory,
    SpeakerFactory,
    lima,
)

pytestmark = pytest.mark.django_db

PAGES = ["home", "event", "agenda", "speakers", "session"]


@pytest.fixture
def meeting():
    return small_meeting()


def small_meeting():
    """A published meeting of two sessions, one speaker and one organiser, in two languages."""
    sgcan = OrganisationFactory(name_es="Secretaría General", name_en="General Secretariat")
    event = EventFactory(title_es="Reunión de trabajo", title_en="Working meeting")
    event.organisers.set([sgcan])
    opening = SessionFactory(
        event=event, title_es="Apertura", title_en="Opening", starts_at=lima(9), ends_at=lima(9, 15)
    )
    SessionFactory(
        event=event,
        title_es="Conclusiones",
        title_en="Conclusions",
        starts_at=lima(12, 30),
        ends_at=lima(13),
    )
    speaker = SpeakerFactory(name="Gonzalo Gutiérrez", organisation=sgcan)
    SessionSpeakerFactory(session=opening, speaker=speaker)
    return event


def page_url(page_name, event, language="en", **query):
    with translation.override(language):
        if page_name == "home":
            path = reverse("agenda:home")
        elif page_name == "event":
            path = reverse("agenda:event-detail", kwargs={"slug": event.slug})
        elif page_name == "agenda":
            path = reverse("agenda:event-agenda", kwargs={"event_slug": event.slug})
        elif page_name == "speakers":
            path = reverse("agenda:speaker-list", kwargs={"event_slug": event.slug})
        else:
            session = event.sessions.order_by("starts_at").first()
            path = reverse(
                "agenda:session-detail", kwargs={"event_slug": event.slug, "pk": session.pk}
            )
    if query:
        path += "?" + "&".join(f"{name}={value}" for name, value in query.items())
    return path


def calendar_url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(f"agenda:{name}", kwargs=kwargs)


def get_html(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200
    return response.content.decode()


def agenda_url(event, language="en", **query):
    return page_url("agenda", event, language, **query)


# Served from the cache ---------------------------------------------------------------------------


@pytest.mark.parametrize("page_name", PAGES)
def test_a_page_seen_before_costs_no_query_and_is_the_same_page(
    client, meeting, page_name, django_assert_num_queries
):
    url = page_url(page_name, meeting)
    first = client.get(url)
    # The agenda's state was read a moment ago; the page itself comes from the cache.
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]


def test_the_agenda_state_is_read_again_once_it_is_older_than_the_limit(
    client, meeting, settings, django_assert_num_queries
):
    url = agenda_url(meeting)
    with time_machine.travel(datetime.datetime(2024, 7, 1, 12, tzinfo=datetime.UTC)) as clock:
        first = client.get(url)
        clock.shift(settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE)
        # One query tells that the agenda did not change; the page comes from the cache.
        with django_assert_num_queries(1):
            assert client.get(url).content == first.content


def test_a_cached_agenda_page_costs_no_query_however_big_the_agenda(
    client, django_assert_num_queries
):
    event = EventFactory()
    for index in range(12):
        session = SessionFactory(
            event=event, starts_at=lima(9, index * 4), ends_at=lima(9, index * 4 + 4)
        )
        SessionSpeakerFactory(session=session)
        SessionSpeakerFactory(session=session)
    client.get(agenda_url(event))
    with django_assert_num_queries(0):
        assert client.get(agenda_url(event)).status_code == 200


def test_each_language_has_its_own_cached_page(client, meeting):
    spanish = get_html(client, agenda_url(meeting, "es"))
    english = get_html(client, agenda_url(meeting, "en"))
    assert "Apertura" in spanish and "Opening" not in spanish
    assert "Opening" in english and "Apertura" not in english
    assert get_html(client, agenda_url(meeting, "es")) == spanish


def test_each_time_zone_has_its_own_cached_page(client, meeting):
    lima_times = get_html(client, agenda_url(meeting))
    santiago_times = get_html(client, agenda_url(meeting, tz="America/Santiago"))
    # 09:00 in Lima is 10:00 in Santiago on 15 August 2024.
    assert "10:00" in santiago_times and "Santiago" in santiago_times
    assert "Santiago time" not in lima_times
    # The zone remembered in the cookie is served its own page too, not the Lima one.
    client.cookies[COOKIE_NAME] = "America/Mexico_City"
    mexico_times = get_html(client, agenda_url(meeting))
    assert "08:00" in mexico_times and "Mexico City time" in mexico_times
    del client.cookies[COOKIE_NAME]
    assert get_html(client, agenda_url(meeting)) == lima_times


def test_an_unknown_zone_is_its_own_page_and_does_not_leak_into_the_others(client, meeting):
    warned = get_html(client, agenda_url(meeting, tz="Mars/Olympus_Mons"))
    assert "“Mars/Olympus_Mons” is not a time zone we know" in warned
    assert "Mars/Olympus_Mons" not in get_html(client, agenda_url(meeting))
    assert "Mars/Olympus_Mons" not in get_html(client, agenda_url(meeting, tz="America/Lima"))
    assert get_html(client, agenda_url(meeting, tz="Mars/Olympus_Mons")) == warned


def test_a_shared_link_sets_the_cookie_even_when_its_page_comes_from_the_cache(
    client, meeting, django_assert_num_queries
):
    client.get(agenda_url(meeting, tz="America/Santiago"))
    other = type(client)()
    with django_assert_num_queries(0):
        response = other.get(agenda_url(meeting, tz="America/Santiago"))
    assert response.cookies[COOKIE_NAME].value == "America/Santiago"
    assert response.cookies[COOKIE_NAME]["httponly"]
    # The cookie is not stored with the page: a link without ?tz= sets none.
    assert COOKIE_NAME not in type(client)().get(agenda_url(meeting)).cookies


def test_made_up_query_parameters_find_the_stored_page_and_add_nothing(client, meeting):
    stored = client.get(agenda_url(meeting, tz="America/Bogota")).content
    for made_up in ["utm_source=newsletter", "made_up_parameter=" + "y" * 300, "zzqq=1&wwvv=2"]:
        url = agenda_url(meeting, tz="America/Bogota") + "&" + made_up
        with CaptureQueriesContext(connection) as queries:
            response = type(client)().get(url)
        assert response.status_code == 200 and len(queries) == 0
        # The same bytes: nothing of the made-up address was drawn into the shared page.
        assert response.content == stored
        assert made_up.split("=")[0] + "=" not in response.content.decode()


def test_a_post_to_a_public_page_is_refused_not_answered_from_the_cache(client, meeting):
    client.get(agenda_url(meeting))
    assert client.post(agenda_url(meeting)).status_code == 405


def test_pages_and_calendars_are_still_served_when_the_cache_cannot_be_reached(client, meeting):
    unreachable_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=unreachable_redis):
        assert "Opening" in get_html(client, agenda_url(meeting))
        feed = client.get(calendar_url("event-feed", event_slug=meeting.slug))
        assert feed.status_code == 200
        assert (
            client.get(
                calendar_url("event-feed", event_slug=meeting.slug),
                headers={"If-None-Match": feed["ETag"]},
            ).status_code
            == 304
        )


@contextlib.contextmanager
def database_down():
    """Every query fails, as while PostgreSQL restarts."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


def test_while_the_database_is_down_pages_already_drawn_are_still_served(
    client, meeting, fingerprint_every_request
):
    agenda = client.get(agenda_url(meeting))
    feed = client.get(calendar_url("event-feed", event_slug=meeting.slug))

    with database_down():
        assert client.get(agenda_url(meeting)).content == agenda.content
        assert client.get(calendar_url("event-feed", event_slug=meeting.slug)).content == (
            feed.content
        )


def test_while_the_database_is_down_a_page_never_drawn_asks_to_try_again(
    client, meeting, fingerprint_every_request
):
    client.get(agenda_url(meeting))
    client.raise_request_exception = False

    with database_down():
        response = client.get(page_url("speakers", meeting))

    assert response.status_code == 503


def test_other_pages_do_not_pay_for_the_agenda_fingerprint(client, meeting):
    client.get(agenda_url(meeting))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("account_login")).status_code == 200
    assert not [query for query in queries if "agenda_session" in query["sql"]]


# Nothing about the visitor ----------------------------------------------------------------------


def signed_in_participant(client):
    user = UserFactory(email="ana@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.force_login(user)
    return user


def leave_a_message_for(client, text):
    """A message waiting in the visitor's session for the next page that shows messages."""
    session = client.session
    session["_messages"] = MessageEncoder().encode([Message(constants.SUCCESS, text)])
    session.save()


@pytest.mark.parametrize("page_name", PAGES)
def test_a_signed_in_visitor_gets_the_same_cached_page_as_anyone(
    client, meeting, page_name, django_assert_num_queries
):
    url = page_url(page_name, meeting, tz="America/Bogota")
    anonymous = type(client)().get(url)
    signed_in_participant(client)
    leave_a_message_for(client, "Only for Ana")
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.content == anonymous.content
    # Served before the session middleware even ran: no `Vary: Cookie`, no cookie but the zone's.
    assert not hasattr(response.wsgi_request, "session")
    assert "Cookie" not in response.get("Vary", "")
    assert set(response.cookies) == {COOKIE_NAME}


@pytest.mark.parametrize("page_name", PAGES)
def test_a_page_first_drawn_for_a_signed_in_visitor_holds_nothing_of_theirs(
    client, meeting, page_name
):
    user = signed_in_participant(client)
    leave_a_message_for(client, "Only for Ana")
    drawn = client.get(page_url(page_name, meeting))
    html = drawn.content.decode()
    assert user.email not in html
    assert "Only for Ana" not in html
    assert "csrfmiddlewaretoken" not in html
    assert not drawn.wsgi_request.session.accessed
    assert not drawn.cookies
    # The message still waits for a page meant to show it.
    assert "Only for Ana" in client.session["_messages"]
    # An anonymous visitor is then served the very same bytes.
    assert type(client)().get(page_url(page_name, meeting)).content == drawn.content


def visitor_request(path="/en/somewhere/"):
    """A request as the middleware leaves it: a session, message storage and a CSP nonce."""
    request = RequestFactory().get(path)
    request.session = SessionStore()
    request._messages = default_storage(request)
    request._csp_nonce = LazyNonce()
    return request


def public_page_middleware(view):
    """The cache middleware in front of `view`, a public page."""

    def public_view(request):
        mark_public_page(request)
        return view(request)

    return PublicPageCacheMiddleware(public_view)


PERSONAL_TOUCHES = {
    "reads the session": lambda request: request.session.get("anything"),
    "shows the messages": lambda request: list(request._messages),
    "puts a CSRF token": get_token,
    "uses a CSP nonce": lambda request: str(request._csp_nonce),
}


@pytest.mark.parametrize("touch", PERSONAL_TOUCHES)
def test_a_page_that_touches_the_visitors_own_state_is_never_stored(touch):
    drawn = []

    def view(request):
        drawn.append(PERSONAL_TOUCHES[touch](request))
        return HttpResponse("page")

    serve = public_page_middleware(view)
    for _ in range(2):
        assert serve(visitor_request()).content == b"page"
    assert len(drawn) == 2


def test_a_page_that_touches_nothing_of_the_visitor_is_drawn_once():
    drawn = []

    def view(request):
        drawn.append(request.path)
        return HttpResponse("page")

    serve = public_page_middleware(view)
    for _ in range(2):
        assert serve(visitor_request()).content == b"page"
    assert len(drawn) == 1


# A change shows at once ------------------------------------------------------------------------


def test_a_session_edited_through_the_model_shows_at_once_in_both_languages(client, meeting):
    assert "Opening" in get_html(client, agenda_url(meeting))
    assert "Apertura" in get_html(client, agenda_url(meeting, "es"))
    opening = meeting.sessions.get(title_en="Opening")
    opening.title_en, opening.title_es = "Welcome", "Bienvenida"
    opening.save()
    assert "Welcome" in get_html(client, agenda_url(meeting))
    assert "Bienvenida" in get_html(client, agenda_url(meeting, "es"))
    assert "Welcome" in get_html(client, page_url("session", meeting))


def test_a_speaker_edited_through_the_model_shows_at_once(client, meeting):
    for page_name in ("agenda", "speakers", "session"):
        assert "Gonzalo Gutiérrez" in get_html(client, page_url(page_name, meeting))
    speaker = SessionSpeaker.objects.get(session__event=meeting).speaker
    speaker.name = "Gonzalo Gutiérrez Reinel"
    speaker.save()
    for page_name in ("agenda", "speakers", "session"):
        assert "Gonzalo Gutiérrez Reinel" in get_html(client, page_url(page_name, meeting))


def test_an_organisation_renamed_shows_at_once_as_organiser_and_beside_its_speaker(client, meeting):
    assert "General Secretariat" in get_html(client, page_url("event", meeting))
    get_html(client, page_url("speakers", meeting))
    organisation = meeting.organisers.get()
    organisation.name_en = "Andean Community General Secretariat"
    organisation.save()
    assert "Andean Community General Secretariat" in get_html(client, page_url("event", meeting))
    assert "Andean Community General Secretariat" in get_html(client, page_url("speakers", meeting))


def test_an_organiser_added_to_the_event_shows_at_once(client, meeting):
    get_html(client, page_url("event", meeting))
    meeting.organisers.add(OrganisationFactory(name_en="Latin American Economic System"))
    assert "Latin American Economic System" in get_html(client, page_url("event", meeting))


def test_a_speaker_taken_off_a_session_disappears_at_once(client, meeting):
    assert "Gonzalo Gutiérrez" in get_html(client, agenda_url(meeting))
    SessionSpeaker.objects.filter(session__event=meeting).delete()
    assert "Gonzalo Gutiérrez" not in get_html(client, agenda_url(meeting))
    assert "Gonzalo Gutiérrez" not in get_html(client, page_url("speakers", meeting))


def test_a_deleted_speaker_disappears_at_once(client, meeting):
    get_html(client, agenda_url(meeting))
    SessionSpeaker.objects.get(session__event=meeting).speaker.delete()
    assert "Gonzalo Gutiérrez" not in get_html(client, agenda_url(meeting))


def test_a_deleted_session_disappears_at_once(client, meeting):
    assert "Conclusions" in get_html(client, agenda_url(meeting))
    meeting.sessions.get(title_en="Conclusions").delete()
    assert "Conclusions" not in get_html(client, agenda_url(meeting))


def test_an_unpublished_event_is_gone_at_once_and_home_presents_the_next(client, meeting):
    EventFactory(title_en="An earlier meeting", starts_at=lima(9, day=datetime.date(2024, 5, 2)))
    assert "Working meeting" in get_html(client, page_url("home", meeting))
    get_html(client, agenda_url(meeting))
    meeting.is_published = False
    meeting.save()
    assert client.get(agenda_url(meeting)).status_code == 404
    assert "An earlier meeting" in get_html(client, page_url("home", meeting))


def test_a_deleted_event_leaves_the_home_page_at_once(client, meeting):
    EventFactory(title_en="An earlier meeting", starts_at=lima(9, day=datetime.date(2024, 5, 2)))
    assert "Working meeting" in get_html(client, page_url("home", meeting))
    meeting.delete()
    assert "An earlier meeting" in get_html(client, page_url("home", meeting))


def test_an_edit_made_by_another_process_shows_once_this_one_reads_the_agenda_again(
    client, meeting, settings
):
    """
    Another gunicorn worker saved it: no signal reaches this process and its local cache, so the
    change shows when this process next reads the agenda's state from the database.
    """
    with time_machine.travel(datetime.datetime(2024, 7, 1, 12, tzinfo=datetime.UTC)) as clock:
        assert "Opening" in get_html(client, agenda_url(meeting))
        # What the other process's save wrote, without this process's signals.
        Session.objects.filter(event=meeting, title_en="Opening").update(
            title_en="Welcome", updated_at=timezone.now()
        )
        clock.shift(settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE / 2)
        assert "Opening" in get_html(client, agenda_url(meeting))
        clock.shift(settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE / 2)
        assert "Welcome" in get_html(client, agenda_url(meeting))


def test_registration_opening_shows_on_the_event_page_without_any_edit(client):
    opens = datetime.datetime(2030, 3, 1, 12, tzinfo=datetime.UTC)
    event = EventFactory()
    RegistrationSettings.objects.create(
        event=event, opens_at=opens, closes_at=opens + datetime.timedelta(days=30)
    )
    with translation.override("en"):
        register = reverse("registration:register", kwargs={"event_slug": event.slug})
    with time_machine.travel(opens - datetime.timedelta(minutes=1)):
        html = get_html(client, page_url("event", event))
        assert "Registration has not opened yet." in html and register not in html
    with time_machine.travel(opens + datetime.timedelta(minutes=1)):
        assert f'href="{register}"' in get_html(client, page_url("event", event))
    with time_machine.travel(opens + datetime.timedelta(days=31)):
        assert "Registration is closed." in get_html(client, page_url("home", event))


# Through the admin -------------------------------------------------------------------------------


def session_change_form(session, **changes):
    local_start = session.starts_at.astimezone(session.event.zone)
    local_end = session.ends_at.astimezone(session.event.zone)
    links = list(session.session_speakers.all())
    data = {
        "event": session.event.pk,
        "kind": session.kind,
        "starts_at_0": local_start.strftime("%Y-%m-%d"),
        "starts_at_1": local_start.strftime("%H:%M:%S"),
        "ends_at_0": local_end.strftime("%Y-%m-%d"),
        "ends_at_1": local_end.strftime("%H:%M:%S"),
        "location": session.location,
        "title_es": session.title_es,
        "title_en": session.title_en,
        "topics_es": "",
        "topics_en": "",
        "participants_note_es": "",
        "participants_note_en": "",
        "session_speakers-TOTAL_FORMS": str(len(links)),
        "session_speakers-INITIAL_FORMS": str(len(links)),
        "session_speakers-MIN_NUM_FORMS": "0",
        "session_speakers-MAX_NUM_FORMS": "1000",
        # The session's materials (none here).
        "materials-TOTAL_FORMS": "0",
        "materials-INITIAL_FORMS": "0",
        "materials-MIN_NUM_FORMS": "0",
        "materials-MAX_NUM_FORMS": "1000",
    }
    for index, link in enumerate(links):
        prefix = f"session_speakers-{index}-"
        data |= {
            f"{prefix}id": link.pk,
            f"{prefix}session": session.pk,
            f"{prefix}speaker": link.speaker_id,
            f"{prefix}role": link.role,
            f"{prefix}order": link.order,
        }
    data.update(changes)
    return data


def test_a_session_edited_in_the_admin_shows_at_once(client, meeting, organiser):
    visitor = type(client)()
    assert "Opening" in get_html(visitor, agenda_url(meeting))
    opening = meeting.sessions.get(title_en="Opening")
    response = client.post(
        reverse("admin:agenda_session_change", args=[opening.pk]),
        session_change_form(opening, title_en="Welcome words"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Welcome words" in get_html(visitor, agenda_url(meeting))


def test_a_speaker_removed_from_a_session_in_the_admin_disappears_at_once(
    client, meeting, organiser
):
    visitor = type(client)()
    assert "Gonzalo Gutiérrez" in get_html(visitor, agenda_url(meeting))
    opening = meeting.sessions.get(title_en="Opening")
    response = client.post(
        reverse("admin:agenda_session_change", args=[opening.pk]),
        session_change_form(opening, **{"session_speakers-0-DELETE": "on"}),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not opening.session_speakers.exists()
    assert "Gonzalo Gutiérrez" not in get_html(visitor, agenda_url(meeting))


def test_a_speaker_edited_in_the_admin_shows_at_once(client, meeting, organiser):
    visitor = type(client)()
    assert "Gonzalo Gutiérrez" in get_html(visitor, page_url("speakers", meeting))
    speaker = SessionSpeaker.objects.get(session__event=meeting).speaker
    response = client.post(
        reverse("admin:agenda_speaker_change", args=[speaker.pk]),
        {
            "honorific_es": "Embajador",
            "honorific_en": "Ambassador",
            "name": speaker.name,
            "position_es": speaker.position_es,
            "position_en": speaker.position_en,
            "organisation": speaker.organisation_id,
            "bio_es": "",
            "bio_en": "",
            "confirmation_status": speaker.confirmation_status,
            "confirmation_note_es": "",
            "confirmation_note_en": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Ambassador Gonzalo Gutiérrez" in get_html(visitor, page_url("speakers", meeting))


def test_sessions_deleted_with_the_admin_action_disappear_at_once(client, meeting, organiser):
    visitor = type(client)()
    assert "Conclusions" in get_html(visitor, agenda_url(meeting))
    conclusions = meeting.sessions.get(title_en="Conclusions")
    response = client.post(
        reverse("admin:agenda_session_changelist"),
        {"action": "delete_selected", "_selected_action": [conclusions.pk], "post": "yes"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Session.objects.filter(pk=conclusions.pk).exists()
    assert "Conclusions" not in get_html(visitor, agenda_url(meeting))


# Calendars: cached, and conditional GET ---------------------------------------------------------


def meeting_calendar_urls(event):
    opening = event.sessions.get(title_en="Opening")
    return [
        calendar_url("event-calendar", event_slug=event.slug),
        calendar_url("event-feed", event_slug=event.slug),
        calendar_url("session-calendar", event_slug=event.slug, pk=opening.pk),
    ]


@pytest.mark.parametrize("which", range(3))
def test_a_calendar_asked_again_with_its_etag_is_not_modified(client, meeting, which):
    url = meeting_calendar_urls(meeting)[which]
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"].startswith('W/"')
    assert "no-cache" in first["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("which", range(3))
def test_a_calendar_asked_again_with_its_date_is_not_modified(client, meeting, which):
    url = meeting_calendar_urls(meeting)[which]
    first = client.get(url)
    again = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
    assert again.status_code == 304


def test_a_not_modified_answer_costs_no_query(client, meeting, django_assert_num_queries):
    url = calendar_url("event-feed", event_slug=meeting.slug)
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(0):
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    # A client without the file is served the cached one at the same cost.
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def modified_since(response):
    return {"If-Modified-Since": response["Last-Modified"]}


@pytest.mark.parametrize(
    "change",
    [
        "edit_session",
        "rename_speaker",
        "rename_organisation",
        "remove_speaker",
        "delete_session",
        "move_venue",
    ],
)
def test_every_change_to_the_agenda_gives_subscribed_calendars_the_new_file(
    client, meeting, change
):
    url = calendar_url("event-feed", event_slug=meeting.slug)
    with time_machine.travel(datetime.datetime(2024, 8, 1, 12, tzinfo=datetime.UTC), tick=False):
        # Nothing changed yet: the clock stands still, and both validators still hold.
        Event.objects.filter(pk=meeting.pk).update(updated_at=datetime.datetime.now(datetime.UTC))
        Session.objects.filter(event=meeting).update(updated_at=datetime.datetime.now(datetime.UTC))
        first = client.get(url)
    # A day later, still before the meeting: only the change below may give a new file (the
    # meeting's end passing gives one too, test_calendars.py).
    later = time_machine.travel(datetime.datetime(2024, 8, 2, 12, tzinfo=datetime.UTC), tick=False)
    later.start()
    validators = {"If-None-Match": first["ETag"], **modified_since(first)}
    assert client.get(url, headers=validators).status_code == 304
    opening = meeting.sessions.get(title_en="Opening")
    speaker = SessionSpeaker.objects.get(session=opening).speaker
    if change == "edit_session":
        opening.title_en = "Welcome"
        opening.save()
    elif change == "rename_speaker":
        speaker.name = "G. Gutiérrez"
        speaker.save()
    elif change == "rename_organisation":
        speaker.organisation.name_en = "Andean Community"
        speaker.organisation.save()
    elif change == "remove_speaker":
        SessionSpeaker.objects.filter(session=opening).delete()
    elif change == "delete_session":
        opening.delete()
    else:
        meeting.venue_name_en = "Another building"
        meeting.save()

    for headers in ({"If-None-Match": first["ETag"]}, modified_since(first)):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert response["ETag"] != first["ETag"]
        assert response["Last-Modified"] != first["Last-Modified"]
    later.stop()
    assert Calendar.from_ical(response.content) != Calendar.from_ical(first.content)


def test_a_calendar_is_cached_per_language(client, meeting):
    def summaries(language):
        url = calendar_url("event-calendar", language, event_slug=meeting.slug)
        return sorted(
            str(event["SUMMARY"]) for event in Calendar.from_ical(client.get(url).content).events
        )

    assert summaries("es") == ["Apertura", "Conclusiones"]
    assert summaries("en") == ["Conclusions", "Opening"]
    assert summaries("es") == ["Apertura", "Conclusiones"]


def test_a_calendars_etag_differs_per_language(client, meeting):
    spanish = client.get(calendar_url("event-feed", "es", event_slug=meeting.slug))
    english = client.get(calendar_url("event-feed", "en", event_slug=meeting.slug))
    assert spanish["ETag"] != english["ETag"]
    assert (
        client.get(
            calendar_url("event-feed", "en", event_slug=meeting.slug),
            headers={"If-None-Match": spanish["ETag"]},
        ).status_code
        == 200
    )


def test_a_calendars_last_modified_is_the_latest_change(client, meeting):
    opening = meeting.sessions.get(title_en="Opening")
    opening.title_en = "Welcome"
    opening.save()
    opening.refresh_from_db()
    response = client.get(calendar_url("event-feed", event_slug=meeting.slug))
    assert response["Last-Modified"] == http_date(opening.updated_at.timestamp())


def test_an_unknown_calendar_is_not_found_whatever_the_validators(client, meeting):
    for url in (
        calendar_url("event-feed", event_slug="no-such-meeting"),
        calendar_url("session-calendar", event_slug=meeting.slug, pk=987654),
    ):
        response = client.get(url, headers={"If-None-Match": "*"})
        assert response.status_code == 404


def test_one_process_remembers_a_bounded_number_of_public_addresses(client, meeting, settings):

    pagecache._public_paths.clear()
    settings.PUBLIC_PAGE_PATHS_MAX = 2
    sessions = list(meeting.sessions.order_by("starts_at"))[:4]
    for session in sessions:
        address = localised_url(
            "en", "agenda:session-detail", event_slug=meeting.slug, pk=session.pk
        )
        assert client.get(address).status_code == 200
    assert len(pagecache._public_paths) == 2
    # An address past the bound is still served, drawn each time.
    assert client.get(address).status_code == 200
