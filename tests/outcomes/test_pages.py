"""A meeting's outcomes page: its summary, cleaned, and its actions, once organisers publish them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from outcomes.models import Outcome
from tests.agenda.factories import EventFactory
from tests.languages import LANGUAGES, translated, url

from .factories import ActionFactory, OutcomeFactory

pytestmark = pytest.mark.django_db


def outcomes_url(event, language="en"):
    return url(language, "outcomes:event-outcomes", event_slug=event.slug)


@pytest.mark.parametrize("language", LANGUAGES)
def test_published_outcomes_show_the_summary_and_actions_in_the_visitors_language(
    client, matrix, language
):
    response = client.get(outcomes_url(matrix["meeting"], language))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert translated(language, "Outcomes of the meeting") in html
    # Written in Spanish and English only: the other languages fall back to Spanish.
    summary = "<h2>Agreements</h2>" if language == "en" else "<h2>Acuerdos</h2>"
    assert summary in html
    with translation.override(language):
        assert matrix["interoperability"].description in html
        assert matrix["roadmap"].description in html
        assert matrix["cross_border"].name in html
    assert matrix["grid"].description_en not in html
    # The session an action came from links to its page.
    session = url(
        language, "agenda:session-detail", event_slug="cross-border-2024", pk=matrix["session"].pk
    )
    assert f'href="{session}"' in html


def test_unpublished_outcomes_are_not_found(client, matrix):
    hidden_event = matrix["hidden"].outcome.event
    assert client.get(outcomes_url(hidden_event)).status_code == 404
    assert client.get(outcomes_url(EventFactory())).status_code == 404


def test_the_summary_is_cleaned_when_saved(db):
    outcome = OutcomeFactory(
        summary_en='<h2 onclick="x()">Agreed</h2><script>alert(1)</script><ul><li>One</li></ul>'
    )
    outcome.refresh_from_db()
    assert outcome.summary_en == "<h2>Agreed</h2><ul><li>One</li></ul>"


def test_a_summary_written_around_the_model_is_still_cleaned_when_shown(client, matrix):
    Outcome.objects.filter(pk=matrix["outcome"].pk).update(
        summary_en='<p>Fine</p><script>alert("stored by SQL")</script>'
    )
    html = client.get(outcomes_url(matrix["meeting"])).content.decode()
    assert "<p>Fine</p>" in html
    assert "stored by SQL" not in html


def test_the_event_page_leads_to_published_outcomes_only(client, matrix):
    link = outcomes_url(matrix["meeting"])
    html = client.get(url("en", "agenda:event-detail", slug="cross-border-2024")).content.decode()
    assert f'href="{link}"' in html
    assert "Read the meeting’s outcomes" in html

    hidden_event = matrix["hidden"].outcome.event
    html = client.get(url("en", "agenda:event-detail", slug=hidden_event.slug)).content.decode()
    assert outcomes_url(hidden_event) not in html


def test_an_action_dated_without_a_date_is_refused(db):
    from django.core.exceptions import ValidationError

    action = ActionFactory.build(outcome=OutcomeFactory(), horizon="by_date", horizon_date=None)
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "horizon_date" in error.value.message_dict


def test_an_action_from_another_meetings_session_is_refused(matrix):
    from django.core.exceptions import ValidationError

    action = matrix["grid"]
    action.session = matrix["session"]
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "session" in error.value.message_dict


def test_outcomes_page_queries_do_not_grow_with_the_number_of_actions(
    client, matrix, fingerprint_every_request
):
    page = outcomes_url(matrix["meeting"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        return len(queries)

    few = count()
    for number in range(5):
        ActionFactory(
            outcome=matrix["outcome"],
            description_en=f"Another action {number}",
            leads=[matrix["sgcan"], matrix["caf"]],
            participants=[matrix["sela"]],
            session=matrix["session"],
        )
    assert count() == few
