"""The forum's five roundtables: loaded from the meeting file, on the home page, and the events list."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation

from agenda.loader import load_meeting
from agenda.meeting_file import MeetingFileError
from agenda.models import Event, Roundtable
from tests.languages import LANGUAGES, translated, url

from .factories import EventFactory, RoundtableFactory, lima

pytestmark = pytest.mark.django_db

NOTE_ORDER_EN = [
    "Regional productive value chains",
    "Disaster risk reduction and climate change adaptation",
    "Cross-border cooperation and infrastructure",
    "Sustainable energy",
    "Food security",
]
CROSS_BORDER = "cross-border-cooperation-and-infrastructure"


def load(*args):
    call_command("load_meeting", *args, stdout=io.StringIO())


# Loading ------------------------------------------------------------------------------------------


def test_load_meeting_loads_the_five_roundtables_in_the_notes_order():
    load()
    assert [roundtable.name_en for roundtable in Roundtable.objects.all()] == NOTE_ORDER_EN
    assert Roundtable.objects.get(key="food-security").name_es == "Seguridad alimentaria"
    assert all(
        roundtable.description_es and roundtable.description_en
        for roundtable in Roundtable.objects.all()
    )


def test_the_meeting_belongs_to_the_cross_border_roundtable():
    load()
    assert Event.objects.get().roundtable.key == CROSS_BORDER


def test_loading_again_changes_no_roundtable_and_keeps_admin_edits():
    load()
    food = Roundtable.objects.get(key="food-security")
    food.name_en = "Food security and nutrition"
    food.save()
    before = list(Roundtable.objects.order_by("pk").values())
    load()
    assert list(Roundtable.objects.order_by("pk").values()) == before
    assert Roundtable.objects.count() == 5


def test_another_meeting_file_with_the_same_roundtables_makes_no_duplicate():
    load()
    summary = load_meeting(
        {
            "roundtables": [
                {
                    "key": "sustainable-energy",
                    "name": {"es": "Energía", "en": "Energy", "pt-br": "Energia", "fr": "Énergie"},
                },
            ],
            "event": {
                "slug": "energy-2025",
                "title": {
                    "es": "Reunión sobre energía",
                    "en": "Energy meeting",
                    "pt-br": "Reunião sobre energia",
                    "fr": "Réunion sur l'énergie",
                },
                "starts_at": datetime.datetime(2025, 3, 10, 9, tzinfo=datetime.UTC),
                "ends_at": datetime.datetime(2025, 3, 10, 13, tzinfo=datetime.UTC),
                "roundtable": "sustainable-energy",
            },
        }
    )
    assert str(summary["roundtables"]) == "0 created, 0 updated, 1 unchanged"
    assert Roundtable.objects.count() == 5
    assert Event.objects.get(slug="energy-2025").roundtable.name_en == "Sustainable energy"


def test_an_event_naming_a_roundtable_the_file_lacks_is_refused():
    with pytest.raises(
        MeetingFileError, match=r'"water" is not in the file\'s \[\[roundtables\]\]'
    ):
        load_meeting(
            {
                "event": {
                    "slug": "x",
                    "title": dict.fromkeys(LANGUAGES, "X"),
                    "starts_at": datetime.datetime(2025, 3, 10, 9, tzinfo=datetime.UTC),
                    "ends_at": datetime.datetime(2025, 3, 10, 13, tzinfo=datetime.UTC),
                    "roundtable": "water",
                }
            }
        )
    assert not Event.objects.exists()


# The home page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_page_presents_the_five_roundtables_in_order_with_their_meetings(client, language):
    load()
    html = client.get(url(language, "agenda:home")).content.decode()
    names = re.findall(r'<h3 class="roundtable__name">(.*?)</h3>', html)
    with translation.override(language):
        assert names == [roundtable.name for roundtable in Roundtable.objects.all()]
        meeting = Event.objects.get()
        assert (
            f'<a href="{url(language, "agenda:event-detail", slug=meeting.slug)}">{meeting.title}</a>'
            in html
        )
    assert html.count(translated(language, "Meeting to be announced.")) == 4
    assert translated(language, "The forum and its five working roundtables") in html


def test_home_page_lists_the_roundtables_even_before_any_meeting_is_published(client):
    RoundtableFactory(name_en="Food security")
    html = client.get(url("en", "agenda:home")).content.decode()
    assert "No meeting published yet" in html
    assert "Food security" in html


# The events page ---------------------------------------------------------------------------------


@pytest.fixture
def meetings():
    energy = RoundtableFactory(key="sustainable-energy", name_en="Sustainable energy")
    cross_border = RoundtableFactory(key=CROSS_BORDER, name_en="Cross-border cooperation")
    return {
        "cross_border_2024": EventFactory(title_en="Cross-border 2024", roundtable=cross_border),
        "energy_2025": EventFactory(
            title_en="Energy 2025",
            roundtable=energy,
            starts_at=lima(9, day=datetime.date(2025, 3, 10)),
            ends_at=lima(13, day=datetime.date(2025, 3, 10)),
            venue_name_en="",
            venue_name_es="",
        ),
        "energy_2024": EventFactory(
            title_en="Energy 2024",
            roundtable=energy,
            starts_at=lima(9, day=datetime.date(2024, 11, 5)),
            ends_at=lima(13, day=datetime.date(2024, 11, 5)),
            virtual_platform_name_en="",
            virtual_platform_name_es="",
        ),
        "draft": EventFactory(title_en="Draft", roundtable=energy, is_published=False),
    }


def titles(html, section):
    part = html.split(f'id="{section}-heading"')[1].split("</section>")[0]
    return re.findall(r'<h3 class="event-list__title"><a href="[^"]+">(.*?)</a></h3>', part)


def events_page(client, language="en", **filters):
    response = client.get(url(language, "agenda:event-list"), filters)
    assert response.status_code == 200
    return response.content.decode()


@time_machine.travel(datetime.datetime(2024, 12, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_events_page_lists_upcoming_and_past_meetings_newest_first(client, meetings):
    html = events_page(client)
    assert titles(html, "upcoming") == ["Energy 2025"]
    assert titles(html, "past") == ["Energy 2024", "Cross-border 2024"]
    assert "Draft" not in html


@time_machine.travel(datetime.datetime(2024, 12, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_events_page_gives_each_meetings_date_and_format(client, meetings):
    html = events_page(client)
    assert '<time datetime="2025-03-10">March 10, 2025</time>' in html
    assert "Took place on Nov. 5, 2024" in html
    assert "<dd>Online</dd>" in html  # Energy 2025: no venue
    assert "<dd>In person</dd>" in html  # Energy 2024: no platform
    assert "<dd>In person and online</dd>" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_events_page_filters_by_roundtable_without_javascript(client, meetings, language):
    html = events_page(client, language, roundtable="sustainable-energy")
    assert (
        f'<form class="filter-form" method="get" action="{url(language, "agenda:event-list")}">'
        in html
    )
    assert '<select name="roundtable" class="form-select" id="id_roundtable">' in html
    assert '<option value="sustainable-energy" selected>' in html
    with translation.override(language):
        listed = titles(html, "upcoming") + titles(html, "past")
        assert sorted(listed) == sorted(
            meetings[name].title for name in ("energy_2025", "energy_2024")
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_roundtable_is_explained_and_every_meeting_shown(client, meetings, language):
    html = events_page(client, language, roundtable="no-such-table")
    assert translated(language, "There is no such roundtable; showing all.") in html
    assert len(titles(html, "upcoming") + titles(html, "past")) == 3


def test_the_language_links_keep_the_valid_filter_and_drop_the_rest(client, meetings):
    html = events_page(client, "es", roundtable="sustainable-energy", utm_source="x")
    for language in LANGUAGES:
        address = f"{url(language, 'agenda:event-list')}?roundtable=sustainable-energy"
        # The alternate for search engines, and the switch's link for the other languages.
        assert f'href="http://testserver{address}"' in html
        assert language == "es" or f'href="{address}"' in html
    assert "utm_source" not in html
    # A filter that does not validate is not carried into the other languages.
    html = events_page(client, "es", roundtable="no-such-table")
    assert "no-such-table" not in html.split("<main")[0]


def test_each_roundtable_filter_is_cached_as_a_page_of_its_own(client, meetings):
    everything = events_page(client)
    energy = events_page(client, roundtable="sustainable-energy")
    assert "Cross-border 2024" in everything
    assert "Cross-border 2024" not in energy
    assert events_page(client, roundtable="sustainable-energy", utm_source="x") == energy


def test_a_roundtable_edited_in_admin_shows_at_once(client, meetings):
    events_page(client)
    roundtable = meetings["energy_2025"].roundtable
    roundtable.name_en = "Sustainable and renewable energy"
    roundtable.save()
    assert "Sustainable and renewable energy" in events_page(client)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_event_page_names_its_roundtable_and_links_to_its_meetings(client, language):
    load()
    meeting = Event.objects.get()
    html = client.get(url(language, "agenda:event-detail", slug=meeting.slug)).content.decode()
    with translation.override(language):
        name = meeting.roundtable.name
    events = url(language, "agenda:event-list")
    assert f'<a href="{events}?roundtable={CROSS_BORDER}">{name}</a>' in html
    assert translated(language, "Working roundtable of the forum:") in html


def test_the_home_page_presents_the_forum_before_the_meetings_details(client):
    load()
    html = client.get(url("en", "agenda:home")).content.decode()
    assert html.index('id="forum-heading"') < html.index('id="general-objective-heading"')
