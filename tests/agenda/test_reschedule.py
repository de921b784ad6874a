import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from agenda.models import Event, Session
from registration.models import AttendanceMode, Registration
from tests.registration.factories import RegistrationFactory, UserFactory
from tests.registration.staff import sign_in, staff_member

from .factories import EventFactory, SessionFactory, lima

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
CHANGELIST = "/en/admin/agenda/event/"
COMPOSE = "/en/admin/registration/message/add/"
NEW_DAY = datetime.date(2024, 8, 22)


def utc(day, hour, minute=0):
    return datetime.datetime(2024, 8, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def event():
    event = EventFactory(title_en="Working meeting", title_es="Reunión de trabajo")
    for title_es, title_en, starts_at, ends_at in [
        ("Apertura", "Opening", lima(9), lima(9, 30)),
        ("Panel", "Panel", lima(9, 30), lima(11)),
        ("Clausura", "Closing", lima(11, 15), lima(13)),
    ]:
        SessionFactory(
            event=event, title_es=title_es, title_en=title_en, starts_at=starts_at, ends_at=ends_at
        )
    return event


def reschedule(client, event, **fields):
    data = {"action": "reschedule", "_selected_action": [event.pk]}
    if fields:
        data |= {"apply": "yes", **fields}
    return client.post(CHANGELIST, data)


def public_calendar(client, event):
    with translation.override("es"):
        path = reverse("agenda:event-calendar", kwargs={"event_slug": event.slug})
    response = client.get(path)
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def schedule(calendar):
    """{title: (start UTC, end UTC, SEQUENCE)} of every VEVENT, with the UIDs."""
    return {
        str(vevent["SUMMARY"]): (
            vevent.start.astimezone(UTC),
            vevent.end.astimezone(UTC),
            vevent["SEQUENCE"],
            str(vevent["UID"]),
        )
        for vevent in calendar.events
    }


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_reschedule_asks_for_the_new_start_in_the_events_time_zone(client, organiser, event):
    response = reschedule(client, event)
    assert response.status_code == 200
    assert "Reschedule “Working meeting”" in response.text
    assert 'name="date" value="2024-08-15"' in response.text
    assert 'name="time" value="09:00"' in response.text
    assert "In the event&#x27;s time zone, America/Lima." in response.text
    for title in ("Opening", "Panel", "Closing"):
        assert title in response.text


def test_rescheduling_moves_every_session_keeping_durations_order_and_uids(
    client, organiser, event
):
    before = schedule(public_calendar(client, event))
    assert {sequence for _start, _end, sequence, _uid in before.values()} == {0}

    response = reschedule(client, event, date="2024-08-22", time="10:30")

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.starts_at, event.ends_at) == (utc(22, 15, 30), utc(22, 19, 30))
    after = schedule(public_calendar(client, event))
    # Lima is UTC−5: 10:30 there is 15:30 UTC. Same UIDs, so calendars update the same entries.
    assert after == {
        "Apertura": (utc(22, 15, 30), utc(22, 16), 1, before["Apertura"][3]),
        "Panel": (utc(22, 16), utc(22, 17, 30), 1, before["Panel"][3]),
        "Clausura": (utc(22, 17, 45), utc(22, 19, 30), 1, before["Clausura"][3]),
    }
    assert (
        "Working meeting: Moved to Aug. 22, 2024 at 10:30 (America/Lima), with its 3 sessions."
        in messages_of(response)
    )


def test_rescheduling_leads_on_to_the_agenda_change_notice(client, organiser, event):
    response = reschedule(client, event, date="2024-08-22", time="10:30")
    location = urlsplit(response["Location"])
    assert location.path == "/en/admin/registration/message/add/"
    assert parse_qs(location.query) == {"event": [str(event.pk)], "kind": ["agenda_changed"]}


def test_rescheduling_to_the_same_start_says_so_and_changes_nothing(client, organiser, event):
    response = reschedule(client, event, date="2024-08-15", time="09:00")
    assert response.status_code == 200
    assert "The event already starts on Aug. 15, 2024 at 09:00." in response.text
    assert set(Session.objects.values_list("sequence", flat=True)) == {0}


def test_an_invalid_date_is_refused_with_a_clear_message(client, organiser, event):
    response = reschedule(client, event, date="22/08/2024x", time="25:00")
    assert response.status_code == 200
    assert "Enter a valid date." in response.text
    assert "Enter a valid time." in response.text
    event.refresh_from_db()
    assert event.starts_at == lima(9)


def test_a_time_skipped_by_a_clock_change_is_refused(client, organiser):
    # Chile moved its clocks forward at midnight on 8 September 2024: 00:30 never happened.
    event = EventFactory(
        time_zone="America/Santiago",
        starts_at=datetime.datetime(2024, 8, 15, 13, tzinfo=UTC),
        ends_at=datetime.datetime(2024, 8, 15, 17, tzinfo=UTC),
    )
    response = reschedule(client, event, date="2024-09-08", time="00:30")
    assert response.status_code == 200
    assert "00:30 does not exist on that day in America/Santiago: the clocks change then." in (
        response.text
    )


def test_reschedule_takes_one_event_at_a_time(client, organiser, event):
    other = EventFactory()
    data = {"action": "reschedule", "_selected_action": [event.pk, other.pk]}
    response = client.post(
        CHANGELIST, data | {"apply": "yes", "date": "2024-08-22", "time": "10:30"}
    )
    assert messages_of(response) == ["Select one event to reschedule."]
    assert Event.objects.get(pk=event.pk).starts_at == lima(9)


@pytest.mark.parametrize("group", ["Check-in staff", None])
def test_staff_outside_the_organisers_cannot_reschedule(client, event, group):
    user = staff_member(group) if group else UserFactory(is_staff=True)
    sign_in(client, user)
    response = reschedule(client, event, date="2024-08-22", time="10:30")
    assert response.status_code == 403
    assert Event.objects.get(pk=event.pk).starts_at == lima(9)


def test_notify_action_opens_the_agenda_change_notice(client, organiser, event):
    response = client.post(
        CHANGELIST, {"action": "notify_registrants", "_selected_action": [event.pk]}
    )
    assert response["Location"] == f"{COMPOSE}?event={event.pk}&kind=agenda_changed"


def test_registrants_receive_the_change_notice_with_their_updated_calendar(
    client, organiser, event, django_capture_on_commit_callbacks, mailoutbox
):
    ana = RegistrationFactory(event=event, full_name="Ana", preferred_language="es")
    john = RegistrationFactory(
        event=event,
        full_name="John",
        preferred_language="en",
        attendance_mode=AttendanceMode.VIRTUAL,
    )
    RegistrationFactory(event=event, status=Registration.Status.WAITING_LIST, full_name="Waiting")
    reschedule(client, event, date="2024-08-22", time="10:30")

    compose = client.get(f"{COMPOSE}?event={event.pk}&kind=agenda_changed")
    assert compose.status_code == 200
    assert re.search(r'value="agenda_changed"[^>]*checked', compose.text)
    data = {
        "event": event.pk,
        "kind": "agenda_changed",
        "statuses": ["confirmed"],
        "modes": ["in_person", "virtual"],
        "subject_es": "",
        "subject_en": "",
        "body_es": "La reunión pasa al jueves 22.",
        "body_en": "The meeting moves to Thursday the 22nd.",
        "body_pt_br": "A reunião passa para quinta-feira, dia 22.",
        "body_fr": "La réunion est reportée au jeudi 22.",
        "submission_key": "6a1f0c2e-8d1b-4c4e-9f1d-2b7d9c0e5a11",
    }
    preview = client.post(COMPOSE, data | {"_preview": "1"})
    assert preview.status_code == 200
    assert "This message goes to <strong>2 people</strong>" in preview.text

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(COMPOSE, data | {"_send": "1"})
    assert sent.status_code == 302

    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert set(by_recipient) == {ana.email, john.email}
    spanish, english = by_recipient[ana.email], by_recipient[john.email]
    assert spanish.subject.endswith(" – Reunión de trabajo")
    assert english.subject == "The agenda has changed – Working meeting"
    assert "The meeting moves to Thursday the 22nd." in english.body
    assert "La reunión pasa al jueves 22." in spanish.body
    assert "10:30–14:30" in english.body
    assert "10:30–11:00 · Opening" in english.body
    for message in (spanish, english):
        [calendar] = [
            Calendar.from_ical(attachment.content)
            for attachment in message.attachments
            if attachment.mimetype.startswith("text/calendar")
        ]
        starts = sorted(vevent.start.astimezone(UTC) for vevent in calendar.events)
        assert starts == [utc(22, 15, 30), utc(22, 16), utc(22, 17, 45)]
        assert {vevent["SEQUENCE"] for vevent in calendar.events} == {1}
