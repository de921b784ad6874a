import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from agenda.calendars import build_calendar, last_modified
from agenda.models import Event, Session, SessionSpeaker, Speaker
from tests.languages import LANGUAGES

from .factories import (
    EventFactory,
    OrganisationFactory,
    SessionFactory,
    SessionSpeakerFactory,
    SpeakerFactory,
    lima,
)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def utc(hour, minute=0):
    return datetime.datetime(2024, 8, 15, hour, minute, tzinfo=UTC)


def meeting_with_sessions(count, *, speakers_per_session=0, **event_fields):
    """An event with `count` back-to-back quarter-hour sessions from 09:00 Lima time."""
    event = EventFactory(**event_fields)
    for index in range(count):
        starts_at = lima(9) + datetime.timedelta(minutes=15 * index)
        session = SessionFactory(
            event=event, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(minutes=15)
        )
        for _ in range(speakers_per_session):
            SessionSpeakerFactory(session=session)
    return event


def calendar_url(name, language="es", **kwargs):
    with translation.override(language):
        return reverse(f"agenda:{name}", kwargs=kwargs)


def meeting_url(event, language="es"):
    return calendar_url("event-calendar", language, event_slug=event.slug)


def feed_url(event, language="es"):
    return calendar_url("event-feed", language, event_slug=event.slug)


def session_url(session, language="es"):
    return calendar_url("session-calendar", language, event_slug=session.event.slug, pk=session.pk)


def fetch_calendar(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def only_event(calendar):
    [event] = calendar.events
    return event


def test_meeting_calendar_has_one_event_per_session_at_the_right_utc_instants(client):
    event = meeting_with_sessions(2)

    calendar = fetch_calendar(client, meeting_url(event))

    first, second = calendar.events
    assert first.start.astimezone(UTC) == utc(14)
    assert first.end.astimezone(UTC) == utc(14, 15)
    assert second.start.astimezone(UTC) == utc(14, 15)
    assert second.end.astimezone(UTC) == utc(14, 30)


def test_calendar_times_carry_the_event_time_zone_with_its_vtimezone(client):
    event = meeting_with_sessions(1)

    calendar = fetch_calendar(client, meeting_url(event))

    vevent = only_event(calendar)
    assert vevent["DTSTART"].params["TZID"] == "America/Lima"
    assert vevent["DTEND"].params["TZID"] == "America/Lima"
    assert vevent.start.replace(tzinfo=None) == datetime.datetime(2024, 8, 15, 9, 0)
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Lima"]
    assert calendar.get_missing_tzids() == set()
    assert calendar.timezones[0].to_tz().utcoffset(datetime.datetime(2024, 8, 15, 9)) == (
        datetime.timedelta(hours=-5)
    )


@pytest.mark.parametrize("url_for", [meeting_url, feed_url])
def test_every_calendar_is_a_gregorian_publish_calendar(client, url_for):
    event = meeting_with_sessions(1)

    calendar = fetch_calendar(client, url_for(event))

    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"].startswith("-//SGCAN//")
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert only_event(calendar)["STATUS"] == "CONFIRMED"


def test_meeting_calendar_downloads_as_a_file_named_after_the_event(client):
    event = meeting_with_sessions(1, slug="cross-border-cooperation-2024")

    response = client.get(meeting_url(event))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="cross-border-cooperation-2024.ics"'
    )


def test_session_calendar_downloads_that_session_alone_with_the_meeting_uid(client):
    event = meeting_with_sessions(3, slug="cross-border-cooperation-2024")
    session = event.sessions.all()[1]

    response = client.get(session_url(session))
    meeting = fetch_calendar(client, meeting_url(event))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="cross-border-cooperation-2024-session-{session.pk}.ics"'
    )
    calendar = Calendar.from_ical(response.content)
    vevent = only_event(calendar)
    assert vevent.start.astimezone(UTC) == utc(14, 15)
    assert vevent["UID"] == meeting.events[1]["UID"]
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Lima"]
    assert calendar["METHOD"] == "PUBLISH"


def test_feed_is_served_inline_with_its_refresh_interval_name_and_time_zone(client):
    event = meeting_with_sessions(2, slug="cross-border-cooperation-2024", title_en="Meeting")

    response = client.get(feed_url(event, "en"))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="cross-border-cooperation-2024.ics"'
    calendar = Calendar.from_ical(response.content)
    assert len(calendar.events) == 2
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar.refresh_interval == datetime.timedelta(hours=1)
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    assert calendar["X-WR-CALNAME"] == "Meeting"
    assert calendar["X-WR-TIMEZONE"] == "America/Lima"


def test_feed_shows_an_organisers_edit_at_the_same_address(client):
    event = meeting_with_sessions(1)
    url = feed_url(event, "en")
    assert only_event(fetch_calendar(client, url))["SUMMARY"] != "Moved to the afternoon"

    session = Session.objects.get(event=event)
    session.title_en = "Moved to the afternoon"
    session.save()
    SessionFactory(event=event, starts_at=lima(12), ends_at=lima(13), title_en="Closing")

    calendar = fetch_calendar(client, url)
    assert [vevent["SUMMARY"] for vevent in calendar.events] == [
        "Moved to the afternoon",
        "Closing",
    ]


@pytest.mark.parametrize(
    ("language", "title"), [("es", "Apertura de la reunión"), ("en", "Opening of the meeting")]
)
@pytest.mark.parametrize("url_for", [meeting_url, feed_url, session_url])
def test_summary_is_the_session_title_in_the_language_of_the_url(client, language, title, url_for):
    session = SessionFactory(title_es="Apertura de la reunión", title_en="Opening of the meeting")
    target = session if url_for is session_url else session.event

    calendar = fetch_calendar(client, url_for(target, language))

    assert only_event(calendar)["SUMMARY"] == title


def test_location_names_the_venue_in_lima_and_says_it_is_also_online(client):
    session = SessionFactory()

    english = only_event(fetch_calendar(client, session_url(session, "en")))
    spanish = only_event(fetch_calendar(client, session_url(session, "es")))

    assert english["LOCATION"] == (
        "Premises of the General Secretariat of the Andean Community, Lima, Peru · Also online"
    )
    assert spanish["LOCATION"].startswith(
        "Sede de la Secretaría General de la Comunidad Andina, Lima, Perú · "
    )


def test_location_names_the_room_when_the_session_has_one(client):
    session = SessionFactory(
        location="Room 3", event__virtual_platform_name_es="", event__virtual_platform_name_en=""
    )

    vevent = only_event(fetch_calendar(client, session_url(session, "en")))

    assert vevent["LOCATION"] == (
        "Room 3, Premises of the General Secretariat of the Andean Community, Lima, Peru"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_url_is_the_absolute_address_of_the_session_page_in_the_same_language(client, language):
    session = SessionFactory()

    vevent = only_event(fetch_calendar(client, meeting_url(session.event, language)))

    assert vevent["URL"] == (
        f"http://testserver/{language}/events/{session.event.slug}/sessions/{session.pk}/"
    )


def test_description_gives_kind_speakers_participants_confirmation_and_topics(
    before_the_meeting, client
):
    session = SessionFactory(
        kind=Session.Kind.DISCUSSION,
        participants_note_en="Secretaries General",
        topics_en="Interoperability\nDigital initiatives",
    )
    andean_community = OrganisationFactory(name_en="Andean Community", acronym="CAN")
    SessionSpeakerFactory(
        session=session,
        order=1,
        speaker=SpeakerFactory(
            honorific_en="Ambassador",
            name="Ana Pérez",
            position_en="Secretary General",
            organisation=andean_community,
        ),
    )
    SessionSpeakerFactory(
        session=session,
        order=2,
        role=SessionSpeaker.Role.MODERATOR,
        speaker=SpeakerFactory(
            name="Luis Soto",
            position_en="Director",
            organisation=andean_community,
            confirmation_status=Speaker.ConfirmationStatus.TO_BE_CONFIRMED,
        ),
    )

    vevent = only_event(fetch_calendar(client, session_url(session, "en")))

    assert vevent["DESCRIPTION"] == (
        "Discussion round\n\n"
        "Speakers:\n"
        "- Ambassador Ana Pérez, Secretary General, Andean Community (CAN)\n"
        "- Luis Soto, Director, Andean Community (CAN) (moderator) (to be confirmed)\n\n"
        "Participants: Secretaries General\n\n"
        "Participation to be confirmed.\n\n"
        "Topics:\n"
        "- Interoperability\n"
        "- Digital initiatives"
    )
    assert vevent.categories == ["Discussion round"]


def test_description_of_a_confirmed_break_is_just_its_kind(before_the_meeting, client):
    session = SessionFactory(kind=Session.Kind.BREAK)

    vevent = only_event(fetch_calendar(client, session_url(session, "en")))

    assert vevent["DESCRIPTION"] == "Break"


def test_private_join_link_and_access_details_never_appear_in_public_calendars(client):
    event = meeting_with_sessions(2, speakers_per_session=1)
    secrets = [event.virtual_join_url, event.virtual_access_details]
    assert all(secrets)  # the factory sets both, or this test would prove nothing
    session = event.sessions.first()

    for url in (meeting_url(event), feed_url(event), session_url(session, "en")):
        content = client.get(url).content
        # Long lines are folded at 75 octets; unfold before searching.
        unfolded = content.replace(b"\r\n ", b"").decode()
        for secret in secrets:
            assert secret not in unfolded
        calendar = Calendar.from_ical(content)
        for vevent in calendar.events:
            for value in vevent.values():
                assert all(secret not in str(value) for secret in secrets)


def test_uids_stay_the_same_when_a_session_is_edited(client):
    event = meeting_with_sessions(2)
    before = [vevent["UID"] for vevent in fetch_calendar(client, meeting_url(event)).events]

    session = Session.objects.filter(event=event).first()
    session.title_es = "Otro título"
    session.starts_at, session.ends_at = lima(12), lima(12, 30)
    session.save()

    after = {vevent["UID"] for vevent in fetch_calendar(client, meeting_url(event)).events}
    assert len(set(before)) == 2
    assert after == set(before)


def test_sequence_grows_when_the_time_changes_and_not_when_only_the_title_does(client):
    session = SessionFactory()
    url = session_url(session)
    assert only_event(fetch_calendar(client, url))["SEQUENCE"] == 0

    retitled = Session.objects.get(pk=session.pk)
    retitled.title_es = "Nuevo título"
    retitled.save()
    assert only_event(fetch_calendar(client, url))["SEQUENCE"] == 0

    moved = Session.objects.get(pk=session.pk)
    moved.starts_at, moved.ends_at = lima(10), lima(10, 30)
    moved.save()
    vevent = only_event(fetch_calendar(client, url))
    assert vevent["SEQUENCE"] == 1
    assert vevent.start.astimezone(UTC) == utc(15)


def test_sequence_grows_when_the_venue_changes(client):
    session = SessionFactory()

    event = Event.objects.get(pk=session.event_id)
    event.venue_name_en = "Another building"
    event.save()

    vevent = only_event(fetch_calendar(client, session_url(session, "en")))
    assert vevent["SEQUENCE"] == 1
    assert vevent["LOCATION"].startswith("Another building, Lima, Peru")


def test_dtstamp_is_when_the_file_was_made_and_last_modified_is_the_sessions_edit(
    client, time_machine
):
    time_machine.move_to(datetime.datetime(2024, 7, 1, 12, tzinfo=UTC), tick=False)
    session = SessionFactory()
    time_machine.move_to(datetime.datetime(2024, 7, 20, 8, 30, tzinfo=UTC), tick=False)

    vevent = only_event(fetch_calendar(client, session_url(session)))

    assert vevent.stamp == datetime.datetime(2024, 7, 20, 8, 30, tzinfo=UTC)
    assert vevent.last_modified == datetime.datetime(2024, 7, 1, 12, tzinfo=UTC)


def test_last_modified_is_the_latest_edit_of_the_event_or_its_sessions(time_machine):
    time_machine.move_to(datetime.datetime(2024, 7, 1, 12, tzinfo=UTC), tick=False)
    event = meeting_with_sessions(2)
    assert last_modified(event) == datetime.datetime(2024, 7, 1, 12, tzinfo=UTC)

    time_machine.move_to(datetime.datetime(2024, 7, 2, 12, tzinfo=UTC), tick=False)
    session = Session.objects.filter(event=event).last()
    session.title_en = "Edited"
    session.save()
    assert last_modified(event) == datetime.datetime(2024, 7, 2, 12, tzinfo=UTC)

    time_machine.move_to(datetime.datetime(2024, 7, 3, 12, tzinfo=UTC), tick=False)
    event.title_en = "Edited too"
    event.save()
    assert last_modified(Event.objects.get(pk=event.pk)) == (
        datetime.datetime(2024, 7, 3, 12, tzinfo=UTC)
    )


def test_build_calendar_adds_a_personal_note_to_every_session_for_reuse(
    before_the_meeting,
    django_assert_num_queries,
):
    event = meeting_with_sessions(2, speakers_per_session=1)
    note = f"Join online: {event.virtual_join_url}"

    # The sessions, then their speakers: no query per session for its page's URL.
    with translation.override("en"), django_assert_num_queries(2):
        calendar = build_calendar(
            event,
            Session.objects.filter(event=event).with_speakers(),
            base_url="https://forum.example.org",
            extra_description=note,
            method="REQUEST",
        )

    assert calendar["METHOD"] == "REQUEST"
    assert "REFRESH-INTERVAL" not in calendar
    for vevent, session in zip(calendar.events, event.sessions.all(), strict=True):
        assert vevent["DESCRIPTION"].startswith("Presentation\n\nSpeakers:\n- Speaker ")
        assert vevent["DESCRIPTION"].endswith(f"\n\n{note}")
        assert vevent["URL"] == (
            f"https://forum.example.org/en/events/{event.slug}/sessions/{session.pk}/"
        )


def test_an_event_without_sessions_still_gives_a_valid_calendar(client):
    event = EventFactory()

    calendar = fetch_calendar(client, feed_url(event))

    assert calendar.events == []
    assert [zone.tz_name for zone in calendar.timezones] == ["America/Lima"]


def test_meeting_calendar_queries_do_not_grow_with_the_number_of_sessions(
    client, django_assert_num_queries, fingerprint_every_request
):
    small = meeting_with_sessions(2, speakers_per_session=2)
    large = meeting_with_sessions(12, speakers_per_session=2)

    with CaptureQueriesContext(connection) as small_queries:
        assert len(fetch_calendar(client, meeting_url(small)).events) == 2
    with django_assert_num_queries(len(small_queries)):
        assert len(fetch_calendar(client, meeting_url(large)).events) == 12
    # The agenda's fingerprint (the cache key), the event, its sessions, and their speakers with
    # organisations.
    assert len(small_queries) == 4


def test_session_calendar_queries_are_a_fixed_few(
    client, django_assert_num_queries, fingerprint_every_request
):
    session = SessionFactory()
    for _ in range(5):
        SessionSpeakerFactory(session=session)

    # The agenda's fingerprint (the cache key), the session with its event, then its speakers with
    # their organisations.
    with django_assert_num_queries(3):
        fetch_calendar(client, session_url(session))


def test_unknown_event_gives_404(client):
    for url in (
        calendar_url("event-calendar", event_slug="no-such-event"),
        calendar_url("event-feed", event_slug="no-such-event"),
        calendar_url("session-calendar", event_slug="no-such-event", pk=1),
    ):
        assert client.get(url).status_code == 404


def test_unknown_session_or_a_session_of_another_event_gives_404(client):
    session = SessionFactory()
    other_event = EventFactory()

    assert (
        client.get(
            calendar_url("session-calendar", event_slug=session.event.slug, pk=session.pk + 1000)
        ).status_code
        == 404
    )
    assert (
        client.get(
            calendar_url("session-calendar", event_slug=other_event.slug, pk=session.pk)
        ).status_code
        == 404
    )


def test_unpublished_event_has_no_public_calendars(client):
    session = SessionFactory(event__is_published=False)
    event = session.event

    for url in (meeting_url(event), feed_url(event), session_url(session)):
        assert client.get(url).status_code == 404


def test_calendars_accept_only_reading(client):
    session = SessionFactory()

    assert client.head(meeting_url(session.event)).status_code == 200
    assert client.post(meeting_url(session.event)).status_code == 405
    assert client.post(session_url(session)).status_code == 405


@pytest.mark.parametrize("name", ["event-calendar", "event-feed", "session-calendar"])
def test_calendars_use_the_site_address_whatever_the_host_header(client, settings, name):
    # Django matches ALLOWED_HOSTS without the port: "Host: localhost:9999" is served.
    settings.SITE_URL = "https://forum.example.org"
    session = SessionFactory()
    keys = {"event_slug": session.event.slug}
    if name == "session-calendar":
        keys["pk"] = session.pk

    response = client.get(calendar_url(name, "en", **keys), HTTP_HOST="localhost:9999")

    assert only_event(Calendar.from_ical(response.content))["URL"] == (
        f"https://forum.example.org/en/events/{session.event.slug}/sessions/{session.pk}/"
    )
