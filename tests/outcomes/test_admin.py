"""Organisers write, publish and withdraw outcomes and roundtables in admin, with their actions inline."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from outcomes.models import Action, Outcome
from tests.agenda.factories import EventFactory, OrganisationFactory, SessionFactory, lima
from tests.languages import url
from tests.registration.factories import UserFactory
from tests.registration.staff import sign_in

from .factories import OutcomeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Organisers"))
    return sign_in(client, user)


@pytest.mark.parametrize(
    "codename",
    [
        f"{app}.{action}_{model}"
        for app, model in [
            ("agenda", "roundtable"),
            ("outcomes", "outcome"),
            ("outcomes", "action"),
        ]
        for action in ("add", "change", "delete", "view")
    ],
)
def test_organisers_may_edit_roundtables_outcomes_and_actions(organiser, codename):
    assert organiser.has_perm(codename)


@pytest.mark.parametrize(
    "name",
    [
        "admin:agenda_roundtable_changelist",
        "admin:outcomes_outcome_changelist",
        "admin:outcomes_action_changelist",
        "admin:outcomes_outcome_add",
    ],
)
def test_admin_lists_and_forms_open_for_organisers(client, organiser, matrix, name):
    assert client.get(reverse(name)).status_code == 200


def test_organiser_writes_outcomes_with_an_action_and_publishes_them(client, organiser):
    event = EventFactory(slug="cross-border")
    session = SessionFactory(event=event, starts_at=lima(10), ends_at=lima(10, 30))
    sgcan, caf = OrganisationFactory(acronym="SGCAN"), OrganisationFactory(acronym="CAF")
    prefix = "actions"
    response = client.post(
        reverse("admin:outcomes_outcome_add"),
        {
            "event": event.pk,
            "is_published": "",
            "summary_es": "<h2>Acuerdos</h2><script>x()</script>",
            "summary_en": "<h2>Agreements</h2><ul><li>One</li></ul>",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-description_es": "Ventanilla única",
            f"{prefix}-0-description_en": "Single window",
            f"{prefix}-0-lead_organisations": [sgcan.pk],
            f"{prefix}-0-participating_organisations": [caf.pk],
            f"{prefix}-0-horizon": "by_date",
            f"{prefix}-0-horizon_date": "2025-12-31",
            f"{prefix}-0-status": "agreed",
            f"{prefix}-0-session": session.pk,
            f"{prefix}-0-order": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    outcome = Outcome.objects.get(event=event)
    assert outcome.summary_es == "<h2>Acuerdos</h2>"
    assert not outcome.is_published
    action = Action.objects.get()
    assert list(action.lead_organisations.all()) == [sgcan]
    assert action.session == session
    outcomes_page = url("en", "outcomes:event-outcomes", event_slug="cross-border")
    assert client.get(outcomes_page).status_code == 404

    response = client.post(
        reverse("admin:outcomes_outcome_changelist"),
        {"action": "publish", "_selected_action": [outcome.pk]},
    )
    assert response.status_code == 302
    assert "Single window" in client.get(outcomes_page).content.decode()

    client.post(
        reverse("admin:outcomes_outcome_changelist"),
        {"action": "unpublish", "_selected_action": [outcome.pk]},
    )
    assert client.get(outcomes_page).status_code == 404


def test_admin_says_clearly_when_a_dated_horizon_has_no_date(client, organiser):
    outcome = OutcomeFactory()
    response = client.post(
        reverse("admin:outcomes_action_add"),
        {
            "outcome": outcome.pk,
            "description_es": "Acción",
            "description_en": "Action",
            "horizon": "by_date",
            "horizon_date": "",
            "status": "proposed",
            "order": "0",
        },
    )
    assert response.status_code == 200
    assert "Give the date the action is due by." in response.content.decode()
    assert not Action.objects.exists()
