"""
Every page that shows personal data, tried by people it does not belong to: an anonymous visitor,
another participant of the same meeting, a member of the check-in staff and a staff member with no
rights over registrations. Each is sent to sign in (302), refused (403) or told there is nothing
(404) — or shown their own page — and no response carries anything of Ana's: her name, address,
phone, organisation, needs, reference or personal token. Nothing they post changes her
registration. Organisers and Ana herself do see her data: the markers are real.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from registration import services
from registration.models import AttendanceMode, Consent, Registration

from .factories import AudienceCategoryFactory, UserFactory, details, open_event, verified_user
from .staff import sign_in

pytestmark = pytest.mark.django_db

ANA = {
    "full_name": "Ana Quispe Mamani",
    "organisation": "Viceministerio de Transportes de Bolivia",
    "phone": "+591 2 215 5555",
    "dietary_needs": "Sin gluten por celiaquía",
    "accessibility_needs": "Intérprete de lengua de señas",
}
ANA_EMAIL = "ana.quispe@example.org"
CHECK_IN_STAFF = "Check-in staff"


def url(name, **kwargs):
    with translation.override("es"):
        return reverse(name, kwargs=kwargs)


@pytest.fixture
def event():
    return open_event(in_person_places=5, virtual_places=None)


@pytest.fixture
def ana(event):
    category = AudienceCategoryFactory(event=event)
    registration = services.register(
        event=event,
        user=verified_user(ANA_EMAIL),
        details=details(category, AttendanceMode.IN_PERSON, **ANA),
        photography_consent=True,
        sensitive_data_consent=True,
    )
    assert registration.is_confirmed
    return registration


@pytest.fixture
def luis(event, ana):
    """Another participant of the same meeting, with his own registration."""
    user = verified_user("luis@example.org")
    return services.register(
        event=event,
        user=user,
        details=details(ana.category, AttendanceMode.IN_PERSON, full_name="Luis Rojas"),
    )


def anas_data(registration):
    return [
        *ANA.values(),
        ANA_EMAIL,
        registration.reference,
        registration.personal_token,
    ]


def participant_requests(event, ana):
    """(method, path, data) of every participant page and form: they act on the signed-in person."""
    slug = {"event_slug": event.slug}
    withdraw = {**slug, "purpose": Consent.Purpose.SENSITIVE_DATA}
    return [
        ("get", url("registration:register", **slug), None),
        ("post", url("registration:register", **slug), {"full_name": "x"}),
        ("get", url("registration:my-registration", **slug), None),
        ("get", url("registration:edit", **slug), None),
        ("post", url("registration:edit", **slug), {"full_name": "Changed"}),
        ("get", url("registration:switch-mode", **slug), None),
        ("post", url("registration:switch-mode", **slug), {"mode": AttendanceMode.VIRTUAL}),
        ("get", url("registration:cancel", **slug), None),
        ("post", url("registration:cancel", **slug), {}),
        ("get", url("registration:personal-calendar", **slug), None),
        ("post", url("registration:renew-token", **slug), {}),
        ("post", url("registration:withdraw-consent", **withdraw), {}),
        ("get", url("registration:export-data"), None),
        ("get", url("registration:delete-account"), None),
    ]


def token_requests(ana):
    wrong = ana.personal_token[:-1] + ("A" if ana.personal_token[-1] != "A" else "B")
    return [
        ("get", url("registration:personal-feed", token=wrong), None),
        ("get", url("registration:join", token=wrong), None),
        ("get", url("registration:join", token="not-a-token"), None),
    ]


def admin_requests(event, ana):
    pdf = {"event_id": event.pk}
    return [
        ("get", url("admin:registration_registration_changelist"), None),
        ("get", url("admin:registration_registration_changelist") + "?q=Quispe", None),
        ("get", url("admin:registration_registration_change", object_id=ana.pk), None),
        ("get", url("admin:registration_registration_history", object_id=ana.pk), None),
        ("get", url("admin:registration_registration_export"), None),
        ("get", url("admin:registration_registration_dashboard", **pdf), None),
        ("get", url("admin:registration_registration_attendance_sheet", **pdf), None),
        ("get", url("admin:registration_registration_badges", **pdf, layout="sheet"), None),
        ("get", url("admin:auth_user_changelist"), None),
        ("get", url("admin:auth_user_change", object_id=ana.user_id), None),
        ("get", url("admin:account_emailaddress_changelist"), None),
        ("get", url("admin:registration_message_changelist"), None),
        ("get", url("admin:registration_undeliveredmail_changelist"), None),
    ]


def check_in_requests(event, ana):
    slug = {"event_slug": event.slug}
    reference = {**slug, "reference": ana.reference}
    return [
        ("get", url("registration:check-in", **slug) + "?q=Quispe", None),
        ("get", url("registration:check-in", **slug) + f"?q={ana.reference}", None),
        ("get", url("registration:check-in", **slug) + f"?shown={ana.reference}", None),
        ("post", url("registration:check-in-arrived", **reference), {}),
        ("post", url("registration:check-in-undo", **reference), {}),
    ]


def send(client, method, path, data):
    return client.post(path, data) if method == "post" else client.get(path)


def leaks(response, secrets):
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    return [secret for secret in secrets if secret in text]


def state(registration):
    """What a stranger's request must never change."""
    registration.refresh_from_db()
    return (
        registration.status,
        registration.attendance_mode,
        registration.full_name,
        registration.personal_token,
        registration.checked_in_at,
        registration.has_consent(Consent.Purpose.SENSITIVE_DATA),
        registration.user_id,
    )


def try_all(client, requests, allowed, secrets, ana):
    """Each request's answer must be in `allowed` and carry none of `secrets`; Ana stays as she was."""
    before = state(ana)
    problems = []
    for method, path, data in requests:
        response = send(client, method, path, data)
        if response.status_code not in allowed:
            problems.append(f"{method.upper()} {path}: {response.status_code}")
        if leaked := leaks(response, secrets):
            problems.append(f"{method.upper()} {path} shows {leaked}")
    assert problems == []
    assert state(ana) == before
    assert get_user_model().objects.filter(pk=ana.user_id).exists()


def is_sign_in_redirect(response, *login_urls):
    return response.status_code == 302 and response["Location"].startswith(login_urls)


# Anonymous visitors ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_from_every_personal_page(client, event, ana):
    for method, path, data in participant_requests(event, ana) + check_in_requests(event, ana):
        response = send(client, method, path, data)
        assert is_sign_in_redirect(response, url("account_login")), (method, path)
        assert leaks(response, anas_data(ana)) == []
    assert state(ana)[0] == Registration.Status.CONFIRMED


def test_anonymous_visitors_are_sent_to_sign_in_from_every_admin_page(client, event, ana):
    for method, path, data in admin_requests(event, ana):
        response = send(client, method, path, data)
        assert is_sign_in_redirect(response, url("admin-login")), (method, path)


def test_wrong_personal_tokens_find_nothing_for_anyone(client, event, ana):
    try_all(client, token_requests(ana), {404}, [*anas_data(ana), event.virtual_join_url], ana)
    client.force_login(verified_user())
    try_all(client, token_requests(ana), {404}, [*anas_data(ana), event.virtual_join_url], ana)


# Another participant ----------------------------------------------------------------------------


def test_another_participant_only_ever_sees_their_own_registration(client, event, ana, luis):
    client.force_login(luis.user)
    # Participant pages answer about Luis (his page, his form, or nothing): never about Ana.
    try_all(client, participant_requests(event, ana), {200, 302, 404}, anas_data(ana), ana)
    try_all(client, token_requests(ana), {404}, anas_data(ana), ana)
    try_all(client, check_in_requests(event, ana), {403}, anas_data(ana), ana)
    for method, path, data in admin_requests(event, ana):
        response = send(client, method, path, data)
        assert is_sign_in_redirect(response, url("admin-login")), (method, path)
        assert leaks(response, anas_data(ana)) == []


def test_another_participants_data_export_holds_only_their_own(client, event, ana, luis):
    client.force_login(luis.user)
    exported = client.get(url("registration:export-data")).json()
    assert exported["account"]["email"] == "luis@example.org"
    assert [row["full_name"] for row in exported["registrations"]] == ["Luis Rojas"]


# Check-in staff and staff without rights over registrations ----------------------------------


@pytest.fixture
def check_in_desk(client):
    group, _ = Group.objects.get_or_create(name=CHECK_IN_STAFF)
    clerk = UserFactory(is_staff=False)
    clerk.groups.add(group)
    return sign_in(client, clerk)


def test_check_in_staff_reach_no_participant_page_and_no_admin_page(
    client, event, ana, check_in_desk
):
    try_all(client, participant_requests(event, ana), {200, 302, 404}, anas_data(ana), ana)
    try_all(client, token_requests(ana), {404}, anas_data(ana), ana)
    for method, path, data in admin_requests(event, ana):
        response = send(client, method, path, data)
        assert is_sign_in_redirect(response, url("admin-login")), (method, path)
        assert leaks(response, anas_data(ana)) == []


def test_check_in_staff_see_at_the_desk_only_what_the_desk_needs(client, event, ana, check_in_desk):
    # The desk's one permission comes from a migration: without it this test must fail, not pass.
    assert check_in_desk.has_perm("registration.check_in_participants")
    page = client.get(url("registration:check-in", event_slug=event.slug) + "?q=Quispe")
    assert page.status_code == 200
    assert ANA["full_name"] in page.text
    # The desk never needs the personal token, the calendar and join links' only key, nor her
    # address or phone; nor her needs, unless the organisers tick that it must provide for them.
    assert leaks(page, anas_data(ana)) == [ANA["full_name"], ANA["organisation"], ana.reference]
    assert client.get(page.wsgi_request.path + f"?q={ANA_EMAIL}").text.count("Quispe") == 0


def test_check_in_staff_without_two_factor_see_nothing_at_the_desk(client, event, ana):
    clerk = UserFactory(is_staff=False)
    clerk.groups.add(Group.objects.get(name=CHECK_IN_STAFF))
    client.force_login(clerk)
    try_all(client, check_in_requests(event, ana), {302}, anas_data(ana), ana)


def test_staff_without_rights_over_registrations_are_refused(client, event, ana):
    sign_in(client, UserFactory(is_staff=True))
    try_all(client, admin_requests(event, ana), {403}, anas_data(ana), ana)
    try_all(client, check_in_requests(event, ana), {403}, anas_data(ana), ana)


# The markers are real --------------------------------------------------------------------------


def test_ana_herself_sees_her_data(client, event, ana):
    client.force_login(ana.user)
    page = client.get(url("registration:my-registration", event_slug=event.slug))
    assert {ANA["full_name"], ana.reference} <= set(anas_data(ana))
    assert leaks(page, [ANA["full_name"], ana.reference]) == [ANA["full_name"], ana.reference]


def test_organisers_see_her_registration_in_admin(client, event, ana):
    organiser = UserFactory(is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    sign_in(client, organiser)
    for path in [
        url("admin:registration_registration_changelist"),
        url("admin:registration_registration_change", object_id=ana.pk),
    ]:
        response = client.get(path)
        assert response.status_code == 200
        assert ANA["full_name"] in response.text
