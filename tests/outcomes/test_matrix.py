"""The convergence matrix: every roundtable's published actions, filtered without JavaScript."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.agenda.factories import OrganisationFactory
from tests.languages import LANGUAGES, translated, url

from .factories import ActionFactory

pytestmark = pytest.mark.django_db


def matrix_page(client, language="en", **filters):
    response = client.get(url(language, "outcomes:matrix"), filters)
    assert response.status_code == 200
    return response.content.decode()


def rows(html):
    """The action of each row, as its row header reads."""
    return [
        re.sub(r"<[^>]+>", "", text).strip()
        for text in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', html, re.S)
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_matrix_lists_every_published_action_in_the_visitors_language(client, matrix, language):
    html = matrix_page(client, language)
    with translation.override(language):
        expected = [
            matrix["interoperability"].description,
            matrix["roadmap"].description,
            matrix["grid"].description,
        ]
        assert matrix["cross_border"].name in html
        assert matrix["energy"].name in html
    assert rows(html) == expected
    assert f'<html lang="{language}">' in html
    assert translated(language, "Regional convergence matrix") in html


def test_actions_of_unpublished_outcomes_stay_out_of_the_matrix(client, matrix):
    html = matrix_page(client)
    assert "Not yet published" not in html


def test_table_has_a_caption_and_headers_with_their_scope(client, matrix):
    html = matrix_page(client)
    assert "<caption>3 actions</caption>" in html
    assert '<th scope="col">Lead organisations</th>' in html
    assert html.count('<th scope="row"') == 3
    # On a phone each cell is labelled by its column (site.css draws the label).
    assert 'data-label="Horizon"' in html


def test_a_dated_horizon_shows_its_date_and_the_others_their_term(client, matrix):
    html = matrix_page(client)
    assert '<time datetime="2025-06-30">June 30, 2025</time>' in html
    assert "Short term" in html and "Long term" in html


def test_filter_by_roundtable(client, matrix):
    html = matrix_page(client, roundtable="sustainable-energy")
    assert rows(html) == ["Connected electricity grids"]
    assert '<option value="sustainable-energy" selected>' in html


def test_filter_by_organisation_finds_actions_it_leads_or_joins(client, matrix):
    html = matrix_page(client, organisation=matrix["sgcan"].pk)
    assert rows(html) == ["Interoperable border crossings", "Connected electricity grids"]
    html = matrix_page(client, organisation=matrix["sela"].pk)
    assert rows(html) == ["A regional roadmap for logistics"]


def test_filter_by_horizon_and_by_status(client, matrix):
    assert rows(matrix_page(client, horizon="by_date")) == ["A regional roadmap for logistics"]
    assert rows(matrix_page(client, status="in_progress")) == ["Connected electricity grids"]


def test_filters_combine(client, matrix):
    html = matrix_page(
        client,
        roundtable="cross-border-cooperation-and-infrastructure",
        organisation=matrix["caf"].pk,
    )
    assert rows(html) == ["Interoperable border crossings"]
    html = matrix_page(client, roundtable="sustainable-energy", status="agreed")
    assert rows(html) == []
    assert "No published action matches these filters." in html


def test_the_filter_form_works_without_javascript(client, matrix):
    html = matrix_page(client)
    assert re.search(
        r'<form class="filter-form" method="get" action="/en/convergence-matrix/">', html
    )
    for name in ("roundtable", "organisation", "horizon", "status"):
        assert f'<select name="{name}"' in html
        assert f'<label class="form-label" for="id_{name}">' in html


def test_only_organisations_in_published_actions_are_offered(client, matrix):
    OrganisationFactory(acronym="NOBODY")
    html = matrix_page(client)
    organisation_options = re.search(r'<select name="organisation".*?</select>', html, re.S)[0]
    assert "SGCAN" in organisation_options and "CAF" in organisation_options
    assert "NOBODY" not in organisation_options
    assert organisation_options.count("<option") == 4  # "All organisations" and the three


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_filter_values_are_explained_and_the_rest_still_filter(client, matrix, language):
    html = matrix_page(
        client, language, roundtable="no-such-table", horizon="next-century", status="done"
    )
    assert translated(language, "There is no such roundtable; showing all.") in html
    assert 'role="alert"' in html
    assert rows(html) == []  # status=done still applies, and no action is done


def test_download_links_carry_the_filters(client, matrix):
    html = matrix_page(client, status="agreed", unknown="x")
    assert 'href="/en/convergence-matrix.xlsx?status=agreed"' in html
    assert 'href="/en/convergence-matrix.csv?status=agreed"' in html


def test_queries_do_not_grow_with_the_number_of_actions(client, matrix, fingerprint_every_request):
    def count():
        with CaptureQueriesContext(connection) as queries:
            matrix_page(client, roundtable="cross-border-cooperation-and-infrastructure")
        return len(queries)

    few = count()
    for number in range(6):
        ActionFactory(
            outcome=matrix["outcome"],
            leads=[matrix["sgcan"], matrix["sela"]],
            participants=[matrix["caf"]],
            session=matrix["session"],
            description_en=f"More {number}",
        )
    # Drawn again (the actions moved the page cache's key), at the same cost.
    many = count()
    assert many == few
    assert few <= 10
