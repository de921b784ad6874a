"""
The outcomes pages and the matrix come from the public page cache, and its key moves the moment an
organiser publishes, withdraws or edits outcomes and actions.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outcomes.models import Action
from tests.agenda.factories import OrganisationFactory
from tests.languages import url

from .factories import ActionFactory

pytestmark = pytest.mark.django_db


def matrix_html(client, **filters):
    return client.get(url("en", "outcomes:matrix"), filters).content.decode()


def test_the_matrix_is_served_from_the_cache_until_something_changes(client, matrix):
    matrix_html(client)
    with CaptureQueriesContext(connection) as queries:
        matrix_html(client)
    assert len(queries) == 0


def test_each_filter_is_a_page_of_its_own_in_the_cache(client, matrix):
    everything = matrix_html(client)
    energy = matrix_html(client, roundtable="sustainable-energy")
    assert "Interoperable border crossings" in everything
    assert "Interoperable border crossings" not in energy
    # Other parameters find the same stored pages; the filters, written another way, too.
    assert matrix_html(client, utm_source="mail") == everything
    assert matrix_html(client, roundtable="sustainable-energy", status="") == energy


def test_a_filter_that_does_not_validate_is_never_stored(client, matrix):
    matrix_html(client, status="someday")
    assert not any(
        "someday" in str(value)
        for value in caches["pages"]._cache.values()  # locmem's own store
    )


def test_publishing_outcomes_shows_their_actions_at_once(client, matrix):
    hidden = matrix["hidden"]
    assert "Not yet published" not in matrix_html(client)
    outcome = hidden.outcome
    outcome.is_published = True
    outcome.save()
    assert "Not yet published" in matrix_html(client)
    outcome.is_published = False
    outcome.save()
    assert "Not yet published" not in matrix_html(client)


def test_a_new_edited_or_deleted_action_shows_at_once(client, matrix):
    matrix_html(client)
    action = ActionFactory(outcome=matrix["outcome"], description_en="Brand new action")
    assert "Brand new action" in matrix_html(client)
    action.status = Action.Status.DONE
    action.save()
    assert "Done" in matrix_html(client, status="done")
    action.delete()
    assert "Brand new action" not in matrix_html(client)


def test_giving_an_action_another_organisation_shows_at_once(client, matrix):
    matrix_html(client)
    newcomer = OrganisationFactory(acronym="ALADI")
    matrix["roadmap"].participating_organisations.add(newcomer)
    assert ">ALADI</abbr>" in matrix_html(client)


def test_renaming_an_organisation_shows_at_once_in_the_matrix(client, matrix):
    matrix_html(client)
    caf = matrix["caf"]
    caf.acronym = "CAF-BDLAC"
    caf.save()
    assert ">CAF-BDLAC</abbr>" in matrix_html(client)


def test_the_outcomes_page_follows_a_summary_edit(client, matrix):
    page = url("en", "outcomes:event-outcomes", event_slug="cross-border-2024")
    client.get(page)
    outcome = matrix["outcome"]
    outcome.summary_en = "<p>Revised summary</p>"
    outcome.save()
    assert "Revised summary" in client.get(page).content.decode()
