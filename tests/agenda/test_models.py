import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from agenda.models import Event, Session, Speaker

from .factories import (
    EventFactory,
    OrganisationFactory,
    SessionFactory,
    SessionSpeakerFactory,
    SpeakerFactory,
    lima,
)

pytestmark = pytest.mark.django_db


def test_event_times_are_stored_as_utc_instants_of_lima_time():
    event = EventFactory()
    event.refresh_from_db()
    assert event.starts_at == datetime.datetime(2024, 8, 15, 14, 0, tzinfo=datetime.UTC)
    assert event.local_starts_at.hour == 9
    assert event.local_ends_at.hour == 13


def test_event_end_must_be_after_start():
    event = EventFactory.build(starts_at=lima(13), ends_at=lima(9))
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "ends_at" in error.value.message_dict


def test_event_rejects_unknown_time_zone_with_a_clear_message():
    event = EventFactory.build(time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert "Mars/Olympus_Mons" in error.value.message_dict["time_zone"][0]


def test_event_titles_follow_the_active_language():
    event = EventFactory(title_es="Reunión de trabajo", title_en="Working meeting")
    with translation.override("es"):
        assert event.title == "Reunión de trabajo"
    with translation.override("en"):
        assert event.title == "Working meeting"


def test_featured_event_is_the_published_one_that_starts_last():
    EventFactory(starts_at=lima(9, day=datetime.date(2024, 8, 15)))
    later = EventFactory(
        starts_at=lima(9, day=datetime.date(2024, 9, 20)),
        ends_at=lima(13, day=datetime.date(2024, 9, 20)),
    )
    EventFactory(
        is_published=False,
        starts_at=lima(9, day=datetime.date(2024, 10, 1)),
        ends_at=lima(13, day=datetime.date(2024, 10, 1)),
    )
    assert Event.objects.featured() == later


def test_session_end_must_be_after_start():
    session = SessionFactory.build(event=EventFactory(), starts_at=lima(10), ends_at=lima(10))
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    assert "ends_at" in error.value.message_dict


def test_database_refuses_a_session_that_ends_before_it_starts():
    event = EventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionFactory(event=event, starts_at=lima(11), ends_at=lima(10))


def test_session_must_fit_within_the_event_hours():
    session = SessionFactory.build(
        event=EventFactory(), starts_at=lima(12, 45), ends_at=lima(13, 15)
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            session.full_clean()
        assert "within the event's hours, 09:00 to 13:00 (America/Lima)" in error.value.messages[0]


def test_sessions_of_one_event_may_not_overlap():
    event = EventFactory()
    SessionFactory(event=event, title_en="Opening", starts_at=lima(9), ends_at=lima(9, 15))
    clashing = SessionFactory.build(event=event, starts_at=lima(9, 10), ends_at=lima(9, 30))
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            clashing.full_clean()
        assert "overlaps “Opening” (09:00–09:15)" in error.value.messages[0]


def test_back_to_back_sessions_do_not_overlap():
    event = EventFactory()
    SessionFactory(event=event, starts_at=lima(9), ends_at=lima(9, 15))
    SessionFactory.build(event=event, starts_at=lima(9, 15), ends_at=lima(9, 45)).full_clean()


def test_sessions_of_different_events_may_share_hours():
    SessionFactory(event=EventFactory(), starts_at=lima(9), ends_at=lima(10))
    SessionFactory.build(event=EventFactory(), starts_at=lima(9), ends_at=lima(10)).full_clean()


def test_moving_a_session_bumps_its_calendar_sequence():
    session = SessionFactory(starts_at=lima(9), ends_at=lima(9, 30))
    session = Session.objects.get(pk=session.pk)
    session.starts_at, session.ends_at = lima(10), lima(10, 30)
    session.save()
    session.refresh_from_db()
    assert session.sequence == 1


def test_changing_a_session_room_bumps_its_calendar_sequence():
    session = Session.objects.get(pk=SessionFactory().pk)
    session.location = "Sala Bolívar"
    session.save()
    assert Session.objects.get(pk=session.pk).sequence == 1


def test_retitling_a_session_keeps_its_calendar_sequence():
    session = Session.objects.get(pk=SessionFactory().pk)
    session.title_en = "A better title"
    session.save()
    assert Session.objects.get(pk=session.pk).sequence == 0


def test_changing_the_venue_bumps_every_session_of_the_event():
    event = EventFactory()
    first = SessionFactory(event=event, starts_at=lima(9), ends_at=lima(9, 30))
    second = SessionFactory(event=event, starts_at=lima(10), ends_at=lima(10, 30))
    event = Event.objects.get(pk=event.pk)
    event.venue_name_en = "Another building"
    event.save()
    assert [Session.objects.get(pk=s.pk).sequence for s in (first, second)] == [1, 1]


def test_session_is_to_be_confirmed_when_flagged_or_a_speaker_is_not_confirmed():
    flagged = SessionFactory(speakers_to_be_confirmed=True)
    unconfirmed = SessionSpeakerFactory(
        speaker=SpeakerFactory(confirmation_status=Speaker.ConfirmationStatus.TO_BE_CONFIRMED)
    ).session
    confirmed = SessionSpeakerFactory().session
    sessions = {s.pk: s for s in Session.objects.with_speakers()}
    assert sessions[flagged.pk].is_to_be_confirmed
    assert sessions[unconfirmed.pk].is_to_be_confirmed
    assert not sessions[confirmed.pk].is_to_be_confirmed


def test_session_speakers_keep_their_order():
    session = SessionFactory()
    second = SessionSpeakerFactory(session=session, order=2, speaker__name="Second")
    first = SessionSpeakerFactory(session=session, order=1, speaker__name="First")
    loaded = Session.objects.with_speakers().get(pk=session.pk)
    assert loaded.ordered_speakers == [first, second]


def test_speaker_display_name_carries_the_honorific_in_each_language():
    speaker = SpeakerFactory(
        name="Gonzalo Gutiérrez", honorific_es="Embajador", honorific_en="Ambassador"
    )
    with translation.override("es"):
        assert speaker.display_name == "Embajador Gonzalo Gutiérrez"
    with translation.override("en"):
        assert speaker.display_name == "Ambassador Gonzalo Gutiérrez"


def test_organisation_short_name_prefers_the_acronym():
    assert OrganisationFactory(acronym="CAF").short_name == "CAF"
    with translation.override("en"):
        assert OrganisationFactory(acronym="", name_en="Some body").short_name == "Some body"


def test_organisers_group_can_edit_the_agenda_but_is_not_superuser():
    group = Group.objects.get(name="Organisers")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_event", "add_session", "change_session", "delete_session"} <= codenames
    assert "change_user" not in codenames
