import pytest
from django.urls import reverse

from agenda.models import Session
from tests.registration.factories import UserFactory

from .factories import EventFactory, OrganisationFactory, SessionFactory, SpeakerFactory, lima

pytestmark = pytest.mark.django_db


def session_form(session, **changes):
    """The session change form's POST data, as the browser sends it, with `changes` applied."""
    local = {
        "starts_at": session.starts_at.astimezone(session.event.zone),
        "ends_at": session.ends_at.astimezone(session.event.zone),
    }
    data = {
        "event": session.event.pk,
        "kind": session.kind,
        "starts_at_0": local["starts_at"].strftime("%Y-%m-%d"),
        "starts_at_1": local["starts_at"].strftime("%H:%M:%S"),
        "ends_at_0": local["ends_at"].strftime("%Y-%m-%d"),
        "ends_at_1": local["ends_at"].strftime("%H:%M:%S"),
        "location": session.location,
        "title_es": session.title_es,
        "title_en": session.title_en,
        "topics_es": "",
        "topics_en": "",
        "participants_note_es": "",
        "participants_note_en": "",
        "session_speakers-TOTAL_FORMS": "0",
        "session_speakers-INITIAL_FORMS": "0",
        "session_speakers-MIN_NUM_FORMS": "0",
        "session_speakers-MAX_NUM_FORMS": "1000",
        # The session's materials (none here).
        "materials-TOTAL_FORMS": "0",
        "materials-INITIAL_FORMS": "0",
        "materials-MIN_NUM_FORMS": "0",
        "materials-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_organiser_moves_a_session_and_its_calendar_sequence_grows(client, organiser):
    session = SessionFactory(starts_at=lima(9), ends_at=lima(9, 30))
    url = reverse("admin:agenda_session_change", args=[session.pk])
    response = client.post(url, session_form(session, starts_at_1="10:00:00", ends_at_1="10:30:00"))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.starts_at == lima(10) and session.sequence == 1


def test_admin_shows_a_clear_error_for_a_session_outside_the_event_hours(client, organiser):
    session = SessionFactory(starts_at=lima(9), ends_at=lima(9, 30))
    url = "/en" + reverse("admin:agenda_session_change", args=[session.pk])[3:]
    response = client.post(url, session_form(session, ends_at_1="13:30:00"))
    assert response.status_code == 200
    assert "within the event&#x27;s hours, 09:00 to 13:00 (America/Lima)" in response.text
    assert Session.objects.get(pk=session.pk).ends_at == lima(9, 30)


def test_admin_refuses_overlapping_sessions(client, organiser):
    event = EventFactory()
    SessionFactory(event=event, title_en="Opening", starts_at=lima(9), ends_at=lima(9, 15))
    later = SessionFactory(event=event, starts_at=lima(9, 15), ends_at=lima(9, 45))
    url = "/en" + reverse("admin:agenda_session_change", args=[later.pk])[3:]
    response = client.post(url, session_form(later, starts_at_1="09:10:00"))
    assert response.status_code == 200
    assert "overlaps “Opening” (09:00–09:15)" in response.text


def test_admin_refuses_a_session_ending_before_it_starts(client, organiser):
    session = SessionFactory(starts_at=lima(10), ends_at=lima(10, 30))
    url = "/en" + reverse("admin:agenda_session_change", args=[session.pk])[3:]
    response = client.post(url, session_form(session, ends_at_1="09:30:00"))
    assert response.status_code == 200
    assert "The end must be after the start." in response.text


def test_event_change_page_lists_sessions_inline_in_time_order(client, organiser):
    event = EventFactory()
    SessionFactory(event=event, title_en="Late", starts_at=lima(12), ends_at=lima(12, 30))
    SessionFactory(event=event, title_en="Early", starts_at=lima(9), ends_at=lima(9, 30))
    response = client.get("/en" + reverse("admin:agenda_event_change", args=[event.pk])[3:])
    assert response.status_code == 200
    assert response.text.index('value="Early"') < response.text.index('value="Late"')
    # Both languages' fields are on the same page.
    assert 'name="title_es"' in response.text and 'name="title_en"' in response.text


def test_speaker_admin_offers_organisation_autocomplete(client, organiser):
    OrganisationFactory(acronym="CAF", name_en="Development Bank of Latin America")
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "agenda",
            "model_name": "speaker",
            "field_name": "organisation",
            "term": "CAF",
        },
    )
    assert response.status_code == 200
    texts = [result["text"] for result in response.json()["results"]]
    assert len(texts) == 1 and texts[0].endswith("(CAF)")


def test_admin_search_and_view_on_site(client, organiser):
    session = SessionFactory(title_en="Interoperability in the Andes")
    response = client.get(reverse("admin:agenda_session_changelist"), {"q": "Interoperability"})
    assert response.status_code == 200 and "Interoperability in the Andes" in response.text
    speaker = SpeakerFactory()
    session.session_speakers.create(speaker=speaker)
    change = client.get(reverse("admin:agenda_speaker_change", args=[speaker.pk]))
    assert change.status_code == 200
    speakers_page = reverse("agenda:speaker-list", kwargs={"event_slug": session.event.slug})
    assert f'href="{speakers_page}"' in change.text


def test_a_participant_without_staff_rights_cannot_enter_admin(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:agenda_session_changelist"))
    assert response.status_code == 302
