"""
A visitor outside Peru reads the agenda in their own time zone, with Lima's time still beside each
session, and shares the page's address with a colleague who then sees the same times.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation
from django.utils.translation import gettext

from agenda.timezones import zone_city
from tests.languages import LANGUAGES, translated, url

from .helpers import (
    assert_language_declared,
    each_language_once,
    visit,
    wall_clock,
)

LIMA = "America/Lima"
SANTIAGO = "America/Santiago"

# Every <time> carrying an instant, except the table of start times across the region, which shows
# each country's own clock whatever the visitor chose.
VISITOR_TIMES = "main time[datetime$='Z']:not(.region-times time)"


def times_on_page(page):
    """[(UTC instant, text shown)] for every time the visitor's choice governs."""
    return page.locator(VISITOR_TIMES).evaluate_all(
        "times => times.map(time => [time.dateTime, time.textContent.trim()])"
    )


def agenda_rows(page):
    """For each session: its instants and what its time line reads, Lima's bracket included."""
    return page.locator(".agenda-item__time").evaluate_all(
        """rows => rows.map(row => ({
            instants: [...row.querySelectorAll("time")].map(time => time.dateTime),
            lima: row.querySelector(".event-time")?.textContent ?? null,
        }))"""
    )


def in_lima(language, times):
    """“09:00–09:15 Lima time”, as the page words it in that language."""
    with translation.override(language):
        return gettext("%(time)s %(city)s time") % {"time": times, "city": zone_city(LIMA)}


def choose_time_zone_with_keyboard(page, language, city):
    selector = page.get_by_label(translated(language, "Show times in the time zone of"))
    selector.focus()
    # A closed <select> jumps to the first option starting with what is typed, as for any user.
    page.keyboard.type(city)
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def choose_time_zone_by_touch(page, language, zone_name):
    page.get_by_label(translated(language, "Show times in the time zone of")).select_option(
        zone_name
    )
    with page.expect_navigation():
        page.get_by_role("button", name=translated(language, "Show times")).tap()


@pytest.mark.parametrize(("language", "viewport"), each_language_once())
def test_visitor_reads_the_agenda_in_their_time_zone_and_shares_the_link(
    open_page, meeting, language, viewport
):
    page = open_page(viewport)
    visit(page, url(language, "agenda:event-agenda", event_slug=meeting.slug))

    # Before any choice: Lima's clock, and nothing in brackets.
    before = times_on_page(page)
    assert len(before) >= 2 * meeting.sessions.count()
    assert all(text == wall_clock(instant, LIMA) for instant, text in before)
    assert page.locator("main .event-time").count() == 0

    if viewport == "phone":
        choose_time_zone_by_touch(page, language, SANTIAGO)
    else:
        choose_time_zone_with_keyboard(page, language, "Santiago")

    assert parse_qs(urlsplit(page.url).query) == {"tz": [SANTIAGO]}
    after = times_on_page(page)
    assert [instant for instant, _text in after] == [instant for instant, _text in before]
    assert all(text == wall_clock(instant, SANTIAGO) for instant, text in after), after
    # The concept note's 09:00 start in Lima is 10:00 in Santiago (Chile's winter, UTC−4).
    assert page.locator(".agenda-item__time time").first.inner_text() == "10:00"
    rows = agenda_rows(page)
    assert rows[0]["lima"].startswith("(09:00–")
    for row in rows:
        start, end = (wall_clock(instant, LIMA) for instant in row["instants"])
        assert row["lima"] == f"({in_lima(language, f'{start}–{end}')})"

    # The address alone carries the choice: a colleague's fresh browser, without the cookie.
    colleague = open_page(viewport)
    assert colleague.context.cookies() == []
    visit(colleague, page.url)

    assert times_on_page(colleague) == after
    assert agenda_rows(colleague) == agenda_rows(page)
    selector = colleague.get_by_label(translated(language, "Show times in the time zone of"))
    assert selector.input_value() == SANTIAGO
    assert_language_declared(colleague, language)


# Outside the region and the audience's few: only on the list of every zone. The meeting day is
# the same day there, so each time reads as a plain clock.
PARIS = "Europe/Paris"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_zone_outside_the_region_is_one_link_away_without_javascript(
    open_page, meeting, language
):
    page = open_page(java_script_enabled=False)
    agenda = url(language, "agenda:event-agenda", event_slug=meeting.slug)
    visit(page, agenda)
    assert f'value="{PARIS}"' not in page.content()

    with page.expect_navigation():
        page.get_by_role(
            "link", name=translated(language, "Another time zone? Choose it from the full list.")
        ).click()
    page.get_by_label(translated(language, "Show times in the time zone of")).select_option(PARIS)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(language, "Show times")).click()

    # Back on the agenda, with the choice in its address: its times are Paris's, and its own
    # selector now shows Paris.
    assert urlsplit(page.url).path == agenda
    assert parse_qs(urlsplit(page.url).query) == {"tz": [PARIS]}
    reader = open_page()
    visit(reader, page.url)
    assert all(text == wall_clock(instant, PARIS) for instant, text in times_on_page(reader))
    selector = reader.get_by_label(translated(language, "Show times in the time zone of"))
    assert selector.input_value() == PARIS
