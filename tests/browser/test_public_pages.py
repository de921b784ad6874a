"""
The public pages in Chromium: WCAG 2.2 AA as axe-core checks it, the keyboard, the declared
language, and how they fit a phone and a desktop (with screenshots to look at afterwards).
"""

import pytest
from modeltranslation.utils import build_localized_fieldname

from tests.languages import LANGUAGES, translated, url

from .helpers import (
    VIEWPORTS,
    assert_accessible,
    assert_language_declared,
    save_screenshot,
    visit,
)

# Each public page but the sessions' (one test walks them all), by how a test reaches it.
PAGES = {
    "home": lambda language, event: url(language, "agenda:home"),
    "event": lambda language, event: url(language, "agenda:event-detail", slug=event.slug),
    "agenda": lambda language, event: url(language, "agenda:event-agenda", event_slug=event.slug),
    "speakers": lambda language, event: url(language, "agenda:speaker-list", event_slug=event.slug),
    "every time zone": lambda language, event: (
        url(language, "agenda:time-zone-list", event_slug=event.slug)
        + "?next="
        + url(language, "agenda:event-agenda", event_slug=event.slug)
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_public_page_meets_wcag_aa(open_page, meeting, language, name):
    page = open_page()
    visit(page, PAGES[name](language, meeting))

    assert_language_declared(page, language)
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_session_page_meets_wcag_aa(open_page, meeting, language):
    page = open_page()
    sessions = list(meeting.sessions.order_by("starts_at"))
    assert len(sessions) >= 5, "the real meeting's agenda should be loaded"

    for session in sessions:
        visit(page, url(language, "agenda:session-detail", event_slug=meeting.slug, pk=session.pk))
        assert_language_declared(page, language)
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == getattr(session, build_localized_fieldname("title", language))
        assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_not_found_page_meets_wcag_aa(open_page, browser_problems, meeting, language):
    page = open_page()
    missing = f"/{language}/no-such-page/"
    browser_problems.expect(missing)

    visit(page, missing, status=404)

    assert_language_declared(page, language)
    assert page.get_by_role("heading", level=1).inner_text() == translated(
        language, "Page not found"
    )
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", ["home", "agenda"])
def test_page_fits_phone_and_desktop_widths(open_page, meeting, language, viewport, name):
    page = open_page(viewport)
    visit(page, PAGES[name](language, meeting))

    save_screenshot(page, f"{name}-{language}-{viewport}")

    # WCAG 1.4.10 (reflow): nothing makes a phone scroll sideways.
    width = VIEWPORTS[viewport]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_role("navigation", name=translated(language, "Main menu")).is_visible()
    # Target sizes and contrast depend on the layout, which changes with the width.
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_skip_link_is_the_first_stop_and_leads_to_the_main_content(
    open_page, meeting, language, viewport
):
    page = open_page(viewport)
    visit(page, url(language, "agenda:event-agenda", event_slug=meeting.slug))

    page.keyboard.press("Tab")
    skip_link = page.locator(":focus")
    assert skip_link.inner_text() == translated(language, "Skip to main content")
    assert skip_link.is_visible(), "the skip link must show itself once focused"
    page.keyboard.press("Enter")

    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab goes on from the main content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


FOCUS_RING = """() => {
    const focused = document.activeElement;
    const style = getComputedStyle(focused);
    return {
        tag: focused.tagName,
        html: focused.outerHTML.slice(0, 200),
        outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
        boxShadow: style.boxShadow,
    };
}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_keyboard_focus_is_visible_at_every_stop(open_page, meeting, language):
    page = open_page()
    visit(page, url(language, "agenda:event-agenda", event_slug=meeting.slug))
    stops = page.locator("a[href], button, select, input, textarea").count()

    seen = set()
    for _ in range(stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        seen.add(ring["tag"])
        assert ring["outline"] >= 2 or ring["boxShadow"] != "none", (
            f"no visible focus on {ring['html']}"
        )

    # The walk went through the links, the time zone selector and its button.
    assert {"A", "SELECT", "BUTTON"} <= seen
