"""
Page weight: visitors read the meeting on phones across the region, often on slow networks. Every
public page of the real meeting stays under 20 kB of HTML before compression, in every language,
with the region's time zones in the page and every other zone one link away.
"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command

from agenda.models import Event
from tests.languages import url

pytestmark = pytest.mark.django_db

MAX_HTML_BYTES = 20 * 1024
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def meeting():
    """The meeting as published: its data file, loaded as `manage.py load_meeting` does."""
    call_command("load_meeting", stdout=io.StringIO())
    return Event.objects.published().get()


def public_pages(event):
    session = event.sessions.order_by("starts_at").first()
    return {
        "home": ("agenda:home", {}),
        "event": ("agenda:event-detail", {"slug": event.slug}),
        "agenda": ("agenda:event-agenda", {"event_slug": event.slug}),
        "speakers": ("agenda:speaker-list", {"event_slug": event.slug}),
        "session": ("agenda:session-detail", {"event_slug": event.slug, "pk": session.pk}),
    }


@pytest.mark.parametrize("language", LANGUAGE_CODES)
@pytest.mark.parametrize("page", ["home", "event", "agenda", "speakers", "session"])
def test_public_page_html_stays_under_20_kb(client, meeting, language, page):
    name, kwargs = public_pages(meeting)[page]
    # In a zone the visitor chose, as in the meeting's own: the selector shows the choice as well.
    for query in ({}, {"tz": "Asia/Tokyo"}):
        response = client.get(url(language, name, **kwargs), query)
        assert response.status_code == 200
        assert "Content-Encoding" not in response
        assert len(response.content) <= MAX_HTML_BYTES, (page, language, len(response.content))


def test_the_agenda_carries_the_regions_zones_and_links_to_every_other(client, meeting):
    html = client.get(url("es", "agenda:event-agenda", event_slug=meeting.slug)).content.decode()
    assert html.count("<option ") < 50
    assert 'value="America/Lima" selected' in html
    assert url("es", "agenda:time-zone-list", event_slug=meeting.slug) + "?next=" in html
