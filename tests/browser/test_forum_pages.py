"""
The forum's pages in Chromium: the home page's roundtables, the meetings list, a meeting's outcomes
and the convergence matrix meet WCAG 2.2 AA as axe-core checks them, and fit a phone.
"""

import pytest

from agenda.models import Organisation
from outcomes.models import Action, Outcome
from tests.languages import LANGUAGES, translated, url

from .helpers import VIEWPORTS, assert_accessible, assert_language_declared, save_screenshot, visit

PAGES = {
    "home": lambda language, event: url(language, "agenda:home"),
    "events": lambda language, event: url(language, "agenda:event-list"),
    "events-filtered": lambda language, event: (
        url(language, "agenda:event-list")
        + "?roundtable=cross-border-cooperation-and-infrastructure"
    ),
    "outcomes": lambda language, event: url(
        language, "outcomes:event-outcomes", event_slug=event.slug
    ),
    "matrix": lambda language, event: url(language, "outcomes:matrix"),
    "matrix-filtered": lambda language, event: (
        url(language, "outcomes:matrix") + "?status=agreed&horizon=nowhere"
    ),
}


@pytest.fixture
def published_outcomes(meeting):
    """The real meeting, with outcomes as organisers would publish them after it."""
    outcome = Outcome.objects.create(
        event=meeting,
        is_published=True,
        summary_es="<h2>Acuerdos</h2><p>Los organismos acordaron:</p><ul><li>Una hoja de ruta.</li></ul>"
        '<p><a href="https://www.comunidadandina.org/">Comunidad Andina</a></p>',
        summary_en="<h2>Agreements</h2><p>The organisations agreed:</p><ul><li>A roadmap.</li></ul>"
        '<p><a href="https://www.comunidadandina.org/">Andean Community</a></p>',
    )
    sgcan, caf = Organisation.objects.get(key="sgcan"), Organisation.objects.get(key="caf")
    intercom = meeting.sessions.get(title_en__contains="INTERCOM")
    first = Action.objects.create(
        outcome=outcome,
        description_es="Pasos de frontera interoperables",
        description_en="Interoperable border crossings",
        horizon=Action.Horizon.SHORT_TERM,
        status=Action.Status.AGREED,
        session=intercom,
    )
    first.lead_organisations.set([sgcan])
    first.participating_organisations.set([caf])
    second = Action.objects.create(
        outcome=outcome,
        description_es="Hoja de ruta regional de logística",
        description_en="Regional logistics roadmap",
        horizon=Action.Horizon.BY_DATE,
        horizon_date="2025-06-30",
        status=Action.Status.PROPOSED,
    )
    second.lead_organisations.set([caf])
    return meeting


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_forum_page_meets_wcag_aa(open_page, published_outcomes, language, name):
    page = open_page()
    visit(page, PAGES[name](language, published_outcomes))

    assert_language_declared(page, language)
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_matrix_reads_on_a_phone_and_meets_wcag_aa_there(
    open_page, published_outcomes, language
):
    page = open_page("phone")
    visit(page, PAGES["matrix"](language, published_outcomes))
    save_screenshot(page, f"matrix-{language}-phone")

    width = VIEWPORTS["phone"]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Each cell says which column it is, since the header row is out of sight.
    label = translated(language, "Lead organisations")
    assert (
        page.evaluate(
            "label => getComputedStyle(document.querySelector(`td[data-label='${label}']`), '::before')"
            ".content",
            label,
        )
        == f'"{label}: "'
    )
    assert_accessible(page)


def test_the_matrix_filters_with_the_form_alone(open_page, published_outcomes):
    page = open_page()
    visit(page, PAGES["matrix"]("en", published_outcomes))
    page.get_by_label("Horizon").select_option("by_date")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**horizon=by_date**")
    rows = page.locator("table tbody th[scope=row]")
    assert rows.all_inner_texts() == ["Regional logistics roadmap"]
