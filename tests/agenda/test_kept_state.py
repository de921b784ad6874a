"""
What the public pages are drawn from (the published event, its sessions) is read once per state of
the agenda and kept by the process (agenda/drawing.py, pagecache.KeptWhileUnchanged). With the page
cache off, nothing but that store stands between an edit and the next page: every change the page
cache must show at once, the store must show at once too.
"""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda.models import Session

from .factories import SessionFactory, lima

# The page cache's own change tests, collected again here with the page cache off: each then runs
# against the kept event and sessions alone.
from .test_caching import (  # noqa: F401 (collected by pytest)
    agenda_url,
    calendar_url,
    get_html,
    page_url,
    small_meeting,
    test_a_deleted_event_leaves_the_home_page_at_once,
    test_a_deleted_session_disappears_at_once,
    test_a_deleted_speaker_disappears_at_once,
    test_a_session_edited_through_the_model_shows_at_once_in_both_languages,
    test_a_speaker_edited_through_the_model_shows_at_once,
    test_a_speaker_taken_off_a_session_disappears_at_once,
    test_an_edit_made_by_another_process_shows_once_this_one_reads_the_agenda_again,
    test_an_organisation_renamed_shows_at_once_as_organiser_and_beside_its_speaker,
    test_an_organiser_added_to_the_event_shows_at_once,
    test_an_unpublished_event_is_gone_at_once_and_home_presents_the_next,
    test_every_change_to_the_agenda_gives_subscribed_calendars_the_new_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return small_meeting()


@pytest.fixture(autouse=True)
def _page_cache_off(settings):
    settings.CACHES = {
        **settings.CACHES,
        settings.PAGE_CACHE_ALIAS: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }


def tables_read(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries]


def test_the_agenda_in_another_time_zone_reads_neither_the_event_nor_its_sessions(client, meeting):
    tables_read(client, agenda_url(meeting))
    # The page is drawn again (no page cache): only the zone differs, and the entries are drawn.
    assert tables_read(client, agenda_url(meeting, tz="Europe/Madrid")) == []
    assert tables_read(client, calendar_url("event-calendar", event_slug=meeting.slug)) == []


def test_another_language_reads_only_what_is_drawn_in_it(client, meeting):
    tables_read(client, agenda_url(meeting))
    read = " ".join(tables_read(client, agenda_url(meeting, "es")))
    # The speakers of the entries drawn in Spanish for the first time; the event and its sessions
    # are kept.
    assert '"agenda_event"."slug"' not in read
    assert 'FROM "agenda_session"' not in read


def test_a_session_added_by_another_process_shows_once_the_state_is_read_again(
    client, meeting, settings
):
    with time_machine.travel(datetime.datetime(2024, 7, 1, 12, tzinfo=datetime.UTC)) as clock:
        assert "Coffee" not in get_html(client, agenda_url(meeting))
        # Saved by another gunicorn worker: no signal reaches this process.
        Session.objects.bulk_create(
            [
                SessionFactory.build(
                    event=meeting, title_en="Coffee", starts_at=lima(11), ends_at=lima(11, 15)
                )
            ]
        )
        clock.shift(settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE)
        assert "Coffee" in get_html(client, agenda_url(meeting))
        assert (
            b"Coffee" in client.get(calendar_url("event-calendar", event_slug=meeting.slug)).content
        )


def test_a_new_session_shows_in_the_agenda_and_the_calendar_at_once(client, meeting):
    get_html(client, agenda_url(meeting))
    client.get(calendar_url("event-calendar", event_slug=meeting.slug))
    SessionFactory(event=meeting, title_en="Coffee", starts_at=lima(11), ends_at=lima(11, 15))
    assert "Coffee" in get_html(client, agenda_url(meeting))
    assert b"Coffee" in client.get(calendar_url("event-calendar", event_slug=meeting.slug)).content


def test_an_event_retitled_shows_on_every_page_at_once(client, meeting):
    for page_name in ("event", "agenda", "speakers", "session"):
        assert "Working meeting" in get_html(client, page_url(page_name, meeting))
    meeting.title_en = "Cross-border meeting"
    meeting.save()
    for page_name in ("event", "agenda", "speakers", "session"):
        assert "Cross-border meeting" in get_html(client, page_url(page_name, meeting))
