import datetime
import re

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from registration.models import AttendanceMode, Registration, StatusChange
from tests.agenda.factories import lima

from .factories import RegistrationFactory, UserFactory, open_event
from .page_reading import read
from .staff import sign_in, staff_member

pytestmark = pytest.mark.django_db

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
Status = Registration.Status
ARRIVAL = lima(8, 42)


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(f"registration:{name}", kwargs=kwargs)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def event():
    return open_event(in_person_places=50)


@pytest.fixture
def desk(client):
    """A member of the check-in staff, signed in: no admin rights at all."""
    return sign_in(client, staff_member("Check-in staff", is_staff=False))


@pytest.fixture
def maria(event):
    return RegistrationFactory(
        event=event,
        full_name="María José Pérez Ñáñez",
        honorific="Dra.",
        organisation="Ministerio de Comercio Exterior y Turismo",
        dietary_needs="Vegetarian, no nuts",
        accessibility_needs="Wheelchair access",
    )


def search(client, event, query):
    return client.get(url("check-in", event_slug=event.slug), {"q": query})


def mark(client, registration, action="check-in-arrived"):
    return client.post(
        url(action, event_slug=registration.event.slug, reference=registration.reference)
    )


# Who may use the desk --------------------------------------------------------------------------


def test_check_in_staff_group_holds_only_the_check_in_permission():
    group = Group.objects.get(name="Check-in staff")
    assert [
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.all()
    ] == ["registration.check_in_participants"]


@pytest.mark.parametrize(
    "path", ["/en/admin/", "/en/admin/registration/registration/", "/en/admin/agenda/event/"]
)
def test_check_in_staff_cannot_open_the_admin(client, desk, path):
    response = client.get(path, follow=True)
    assert response.status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client, event):
    response = search(client, event, "")
    assert response.status_code == 302
    with translation.override("en"):
        assert response["Location"].startswith(reverse("account_login"))


def test_participant_is_refused(client, event, maria):
    client.force_login(maria.user)
    assert search(client, event, "Pérez").status_code == 403
    assert mark(client, maria).status_code == 403
    maria.refresh_from_db()
    assert maria.checked_in_at is None


def test_staff_of_another_group_is_refused(client, event, maria):
    sign_in(client, UserFactory(is_staff=True))
    assert search(client, event, "Pérez").status_code == 403
    assert mark(client, maria).status_code == 403


def test_organisers_may_use_the_desk_too(client, event, maria):
    sign_in(client, staff_member("Organisers"))
    assert search(client, event, "Pérez").status_code == 200


# Finding people ---------------------------------------------------------------------------------


def test_check_in_staff_without_an_authenticator_app_are_led_to_set_one_up(client, event, maria):
    client.force_login(staff_member("Check-in staff", is_staff=False))
    response = search(client, event, "perez")
    assert response.status_code == 302
    with translation.override("en"):
        activate = reverse("mfa_activate_totp")
    assert response["Location"] == activate
    assert maria.full_name not in response.text
    assert mark(client, maria)["Location"] == activate
    maria.refresh_from_db()
    assert maria.checked_in_at is None


def test_after_setting_up_the_app_check_in_staff_are_offered_the_way_back_to_the_desk(
    client, event
):
    clerk = staff_member("Check-in staff", is_staff=False)
    client.force_login(clerk)
    search(client, event, "perez")  # sent to set up the app
    sign_in(client, clerk)  # the app is set up
    RecoveryCodes.activate(clerk)
    # allauth shows recovery codes only to a session confirmed a moment ago, as after activating.
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()
    with translation.override("en"):
        page = client.get(reverse("mfa_view_recovery_codes"))
    desk_path = url("check-in", event_slug=event.slug) + "?q=perez"
    assert f'href="{desk_path}"' in page.text
    assert "Continue to the check-in desk" in page.text


def test_check_in_staff_whose_session_began_without_a_code_are_asked_for_one(client, event, maria):
    clerk = staff_member("Check-in staff", is_staff=False)
    Authenticator.objects.create(user=clerk, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(clerk)
    response = search(client, event, "perez")
    assert response.status_code == 302
    with translation.override("en"):
        assert response["Location"].startswith(reverse("mfa_reauthenticate") + "?next=")
    assert messages_of(response) == [
        "Type a code from your authenticator app to open the check-in desk."
    ]


def test_desk_page_is_never_cached_and_fits_a_phone(client, desk, event):
    response = search(client, event, "")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = read(response)
    assert page.h1() == ["Check-in"]
    assert page.fields_without_label() == []
    assert page.inline_styles == [] and page.inline_scripts == 0
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text


def test_search_ignores_accents_and_case_in_names_and_organisations(client, desk, event, maria):
    RegistrationFactory(event=event, full_name="Pedro Gómez", organisation="CAF")
    for query in ("perez nanez", "MARÍA JOSÉ", "comercio exterior", "maria turismo"):
        response = search(client, event, query)
        assert maria.full_name in response.text, query
        assert "Pedro Gómez" not in response.text, query


def test_a_scanned_reference_finds_exactly_that_participant(client, desk, event, maria):
    RegistrationFactory(event=event, full_name="Pedro Gómez", organisation=maria.organisation)
    scanned = f" {maria.reference[:4].lower()}-{maria.reference[4:]} "
    response = search(client, event, scanned)
    assert maria.full_name in response.text
    assert "Pedro Gómez" not in response.text
    assert "1 registration matches" in response.text


def test_results_show_who_the_desk_checks_in_but_not_their_needs(client, desk, event, maria):
    response = search(client, event, maria.reference)
    for text in (
        "Dra. María José Pérez Ñáñez",
        "Ministerio de Comercio Exterior y Turismo",
        "In person in Lima",
        "Confirmed",
        "Mark arrived",
    ):
        assert text in response.text
    # Sensitive data (Law 29733): the desk has no use for them unless the organisers say so.
    assert "Vegetarian, no nuts" not in response.text
    assert "Wheelchair access" not in response.text
    assert "Dietary needs" not in response.text


def test_needs_are_shown_where_the_organisers_ticked_that_the_desk_must_see_them(
    client, desk, event, maria
):
    maria.needs_shown_at_check_in = True
    maria.save()
    response = search(client, event, "perez")
    assert "Vegetarian, no nuts" in response.text
    assert "Wheelchair access" in response.text


def test_organisers_tick_in_the_admin_that_the_desk_must_see_the_needs(client, event, maria):
    assert not maria.needs_shown_at_check_in
    sign_in(client, staff_member("Organisers"))
    path = reverse("admin:registration_registration_change", args=[maria.pk])
    form = client.get(path).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name != "needs_shown_at_check_in"
    }
    for prefix in ("status_changes", "consents"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(path, {**data, "needs_shown_at_check_in": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    maria.refresh_from_db()
    assert maria.needs_shown_at_check_in


@pytest.mark.parametrize("query", ["a", "pé", "a b c", "M J P N"])
def test_a_search_too_short_to_name_anyone_lists_nobody(client, desk, event, maria, query):
    response = search(client, event, query)
    assert maria.full_name not in response.text
    assert "Type at least 3 letters of the name or the organisation" in response.text


def test_one_letter_searches_do_not_list_the_meeting(client, desk, event, maria):
    RegistrationFactory.create_batch(5, event=event)
    listed = set()
    for letter in "abcdefghijklmnopqrstuvwxyz0123456789":
        listed |= set(re.findall(r'id="participant-(\w+)"', search(client, event, letter).text))
    assert listed == set()


def test_an_email_address_finds_nobody(client, desk, event, maria):
    response = search(client, event, maria.email)
    assert maria.full_name not in response.text
    assert "Nobody matches" in response.text


def test_results_come_twenty_to_a_page(client, desk, event):
    for number in range(25):
        RegistrationFactory(event=event, full_name=f"Delegate {number:02}")
    first = search(client, event, "delegate")
    assert "25 registrations match" in first.text
    assert len(re.findall(r"<article ", first.text)) == 20
    assert "Page 1 of 2" in first.text
    second = client.get(url("check-in", event_slug=event.slug), {"q": "delegate", "page": 2})
    assert len(re.findall(r"<article ", second.text)) == 5
    assert "Delegate 24" in second.text and "Delegate 00" not in second.text


def test_another_events_participants_are_not_found(client, desk, event, maria):
    other = open_event()
    assert maria.full_name not in search(client, other, maria.reference).text
    assert mark(client, Registration(event=other, reference=maria.reference)).status_code == 404


def test_an_unknown_event_is_not_found(client, desk):
    response = client.get(url("check-in", event_slug="no-such-event"))
    assert response.status_code == 404


# Marking arrivals ---------------------------------------------------------------------------


@time_machine.travel(ARRIVAL, tick=False)
def test_marking_arrived_records_the_time_and_who_and_the_history(client, desk, event, maria):
    response = mark(client, maria)
    assert response.status_code == 302
    maria.refresh_from_db()
    assert maria.checked_in_at == ARRIVAL
    assert maria.checked_in_by == desk
    assert messages_of(response) == ["María José Pérez Ñáñez is marked as arrived at 08:42."]
    change = maria.status_changes.get(action=StatusChange.Action.CHECKED_IN)
    assert change.changed_by == desk and change.to_status == Status.CONFIRMED

    page = client.get(response["Location"])
    assert "Arrived at 08:42, checked in by" in page.text
    assert desk.email in page.text
    assert "Arrived: <strong>1</strong> of 1 confirmed in person" in page.text
    assert read(page).input_named("q").get("value") is None


@time_machine.travel(ARRIVAL, tick=False)
def test_the_outcome_describes_the_search_field_that_waits_for_the_next_person(
    client, desk, event, maria
):
    before = read(search(client, event, "")).input_named("q")
    assert before["aria-describedby"] == "id_q_help"

    page = client.get(mark(client, maria)["Location"])

    # The focus stays where the next name or scan goes; a screen reader reads the outcome there.
    field = read(page).input_named("q")
    assert "autofocus" in field
    assert field["aria-describedby"].split() == ["site-messages", "id_q_help"]
    outcome = re.search(r'id="site-messages">\s*<div [^>]*>([^<]*)</div>', page.text).group(1)
    assert outcome == "María José Pérez Ñáñez is marked as arrived at 08:42."


def test_marking_twice_keeps_the_first_arrival(client, desk, event, maria):
    with time_machine.travel(ARRIVAL, tick=False):
        mark(client, maria)
    with time_machine.travel(ARRIVAL + datetime.timedelta(minutes=5), tick=False):
        response = mark(client, maria)
    maria.refresh_from_db()
    assert maria.checked_in_at == ARRIVAL
    assert messages_of(response)[-1] == (
        "María José Pérez Ñáñez was already marked as arrived at 08:42."
    )
    assert maria.status_changes.filter(action=StatusChange.Action.CHECKED_IN).count() == 1


def test_undo_takes_back_a_mistaken_arrival(client, desk, event, maria):
    mark(client, maria)
    response = mark(client, maria, "check-in-undo")
    maria.refresh_from_db()
    assert maria.checked_in_at is None and maria.checked_in_by is None
    assert messages_of(response)[-1] == "The arrival of María José Pérez Ñáñez was undone."
    assert list(maria.status_changes.values_list("action", flat=True)) == [
        StatusChange.Action.CHECKED_IN,
        StatusChange.Action.CHECK_IN_UNDONE,
    ]
    assert "Mark arrived" in client.get(response["Location"]).text


def test_undo_of_someone_not_marked_says_so(client, desk, event, maria):
    response = mark(client, maria, "check-in-undo")
    assert messages_of(response) == ["This person is not marked as arrived."]


def test_marking_needs_a_post(client, desk, event, maria):
    with translation.override("en"):
        path = reverse(
            "registration:check-in-arrived",
            kwargs={"event_slug": event.slug, "reference": maria.reference},
        )
    assert client.get(path).status_code == 405
    maria.refresh_from_db()
    assert maria.checked_in_at is None


@pytest.mark.parametrize(
    ("status", "mode"),
    [
        (Status.CONFIRMED, VIRTUAL),
        (Status.WAITING_LIST, IN_PERSON),
        (Status.PENDING_APPROVAL, IN_PERSON),
        (Status.CANCELLED, IN_PERSON),
        (Status.DECLINED, IN_PERSON),
        (Status.WAITING_LIST, VIRTUAL),
    ],
)
def test_someone_not_expected_in_person_is_not_shown_and_their_reference_says_only_that(
    client, desk, event, status, mode
):
    registration = RegistrationFactory(
        event=event,
        status=status,
        attendance_mode=mode,
        full_name="Lucía Fernández",
        organisation="Cancillería de Colombia",
    )
    not_expected = (
        f"The registration {registration.reference} is not confirmed for attending in person. "
        "The organisers can help this person."
    )
    for query in ("Lucia", "Fernández", "Cancillería de Colombia"):
        page = search(client, event, query)
        assert "Nobody matches" in page.text
        assert "Lucía" not in page.text

    page = search(client, event, registration.reference.lower())
    assert not_expected in page.text
    assert "Lucía" not in page.text and "Cancillería" not in page.text
    assert registration.get_status_display() not in page.text

    response = mark(client, registration)
    registration.refresh_from_db()
    assert registration.checked_in_at is None
    assert messages_of(response) == [not_expected]
    assert not registration.status_changes.exists()
    assert "Lucía" not in client.get(response["Location"]).text


def test_the_desk_speaks_spanish_under_es(client, desk, event, maria):
    response = client.get(url("check-in", language="es", event_slug=event.slug), {"q": "perez"})
    assert response.status_code == 200
    assert '<html lang="es">' in response.text


def test_searching_costs_the_same_queries_however_many_match(client, desk, event):
    def queries_for_search():
        with CaptureQueriesContext(connection) as queries:
            assert search(client, event, "ministry").status_code == 200
        return len(queries)

    RegistrationFactory.create_batch(2, event=event, organisation="Ministry of Transport")
    few = queries_for_search()
    RegistrationFactory.create_batch(20, event=event, organisation="Ministry of Transport")
    assert queries_for_search() == few
