"""
A meeting that has ended says so on its pages and in its calendars, by the clock; registration
still follows only the window organisers set in admin.
"""

import datetime

import pytest
import time_machine
from icalendar import Calendar

from tests.languages import LANGUAGES, translated, url
from tests.registration.factories import RegistrationSettingsFactory

from .factories import EventFactory, SessionFactory, lima

pytestmark = pytest.mark.django_db

BEFORE = datetime.datetime(2024, 8, 1, 12, tzinfo=datetime.UTC)
DURING = datetime.datetime(2024, 8, 15, 15, tzinfo=datetime.UTC)  # 10:00 in Lima
AFTER = datetime.datetime(2024, 8, 20, 12, tzinfo=datetime.UTC)
TOOK_PLACE = {
    "es": "Esta reunión tuvo lugar el 15 de agosto de 2024.",
    "en": "This meeting took place on Aug. 15, 2024.",
    "pt-br": "Esta reunião realizou-se em 15 de agosto de 2024.",
    "fr": "Cette réunion a eu lieu le 15 août 2024.",
}


@pytest.fixture
def meeting():
    event = EventFactory(slug="cross-border", title_en="Working meeting")
    SessionFactory(event=event, title_en="Opening", starts_at=lima(9), ends_at=lima(9, 15))
    SessionFactory(event=event, title_en="Closing", starts_at=lima(12, 45), ends_at=lima(13))
    return event


def pages(event):
    session = event.sessions.first()
    return {
        "event": lambda language: url(language, "agenda:event-detail", slug=event.slug),
        "agenda": lambda language: url(language, "agenda:event-agenda", event_slug=event.slug),
        "speakers": lambda language: url(language, "agenda:speaker-list", event_slug=event.slug),
        "session": lambda language: url(
            language, "agenda:session-detail", event_slug=event.slug, pk=session.pk
        ),
    }


def feed_descriptions(client, event, language):
    response = client.get(url(language, "agenda:event-feed", event_slug=event.slug))
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    return [str(component["DESCRIPTION"]) for component in calendar.walk("VEVENT")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", ["event", "agenda", "speakers", "session"])
def test_after_the_meeting_its_pages_say_it_took_place(client, meeting, language, page):
    with time_machine.travel(AFTER, tick=False):
        html = client.get(pages(meeting)[page](language)).content.decode()
    assert TOOK_PLACE[language] in html


@pytest.mark.parametrize("when", [BEFORE, DURING], ids=["before", "during"])
def test_before_it_ends_no_page_says_it_took_place(client, meeting, when):
    with time_machine.travel(when, tick=False):
        for page in pages(meeting).values():
            assert "took place" not in client.get(page("en")).content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_the_meeting_the_calendar_is_no_longer_the_call_to_action(client, meeting, language):
    event_page = pages(meeting)["event"](language)
    with time_machine.travel(BEFORE, tick=False):
        before = client.get(event_page).content.decode()
    with time_machine.travel(AFTER, tick=False):
        after = client.get(event_page).content.decode()
        session_page = client.get(pages(meeting)["session"](language)).content.decode()
    invitation = translated(language, "Add the meeting to your calendar")
    assert invitation in before
    assert invitation not in after
    assert translated(language, "Subscribe from your calendar application") not in after
    # The file stays, for the record.
    assert url(language, "agenda:event-calendar", event_slug=meeting.slug) in after
    assert 'class="btn btn-primary" href="' not in session_page.split("session-calendar")[0][-200:]
    assert "btn-outline-secondary" in session_page


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_feed_describes_a_past_meeting_as_having_taken_place(client, meeting, language):
    with time_machine.travel(BEFORE, tick=False):
        assert not any(
            "took place" in text or "tuvo lugar" in text
            for text in feed_descriptions(client, meeting, language)
        )
    with time_machine.travel(AFTER, tick=False):
        descriptions = feed_descriptions(client, meeting, language)
    assert len(descriptions) == 2
    assert all(text.startswith(TOOK_PLACE[language]) for text in descriptions)


def test_the_page_cache_moves_when_the_meeting_ends(client, meeting):
    """Nothing in the database changes: the meeting's end passing is enough (a pagecache moment)."""
    event_page = pages(meeting)["event"]("en")
    feed = url("en", "agenda:event-feed", event_slug=meeting.slug)
    with time_machine.travel(DURING, tick=False):
        assert "took place" not in client.get(event_page).content.decode()
        first_feed = client.get(feed)
    with time_machine.travel(AFTER, tick=False):
        assert TOOK_PLACE["en"] in client.get(event_page).content.decode()
        again = client.get(feed, headers={"If-None-Match": first_feed["ETag"]})
    # A subscribed calendar gets the new descriptions, not 304 Not Modified.
    assert again.status_code == 200
    assert again["ETag"] != first_feed["ETag"]


def test_registration_still_follows_only_the_window_organisers_set(client, meeting):
    """Organisers rehearse registration on a past meeting: an open window is open."""
    RegistrationSettingsFactory(event=meeting)
    with time_machine.travel(AFTER, tick=False):
        html = client.get(pages(meeting)["event"]("en")).content.decode()
    assert TOOK_PLACE["en"] in html
    assert url("en", "registration:register", event_slug=meeting.slug) in html
