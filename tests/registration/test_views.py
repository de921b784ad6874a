"""The participant's pages, through the real views: register, my registration and what it offers."""

import datetime
import html
import json

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from registration import services
from registration.models import AttendanceMode, Consent, Registration
from tests.agenda.factories import SessionFactory, lima
from tests.languages import LANGUAGES

from .factories import (
    AudienceCategoryFactory,
    UserFactory,
    details,
    open_event,
    set_registration,
    verified_user,
)
from .page_reading import read

pytestmark = pytest.mark.django_db

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
Status = Registration.Status
JOIN_URL = "https://meet.example.org/j/secret-join-link-4242"


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(f"registration:{name}", kwargs=kwargs)


def register(event, category, mode=IN_PERSON, user=None, **extra):
    return services.register(
        event=event, user=user or verified_user(), details=details(category, mode), **extra
    )


def form_data(category, **overrides):
    data = {
        "attendance_mode": IN_PERSON,
        "category": category.pk,
        "honorific": "",
        "full_name": "María Pérez",
        "position": "Directora",
        "organisation": "Ministerio de Comercio Exterior",
        "country": "PE",
        "phone": "+51 (1) 710-6400",
        "preferred_language": "es",
        "dietary_needs": "",
        "accessibility_needs": "",
        "privacy_consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def event():
    event = open_event(in_person_places=2, virtual_places=None)
    SessionFactory(event=event, starts_at=lima(9), ends_at=lima(10))
    return event


# Registering ---------------------------------------------------------------------------------


def test_register_page_asks_anonymous_visitors_to_sign_in(client, event):
    response = client.get(url("register", event_slug=event.slug))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_register_page_asks_for_a_verified_email_before_the_form(client, event, category):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)
    response = client.get(url("register", event_slug=event.slug))
    assert "account/verified_email_required.html" in [t.name for t in response.templates]
    assert 'name="full_name"' not in response.content.decode()
    client.post(url("register", event_slug=event.slug), form_data(category))
    assert not Registration.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_registering_in_a_language_keeps_it_for_the_mails_and_the_consent_record(
    client, participant, event, category, language, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("register", language, event_slug=event.slug),
            form_data(category, preferred_language=language),
        )

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.preferred_language == language
    assert set(Consent.objects.values_list("language", flat=True)) == {language}
    [confirmation] = mail.outbox
    assert f"/{language}/events/{event.slug}/my-registration/" in confirmation.body


def test_register_page_says_how_many_in_person_places_remain(client, participant, event, category):
    register(event, category)
    response = client.get(url("register", event_slug=event.slug))
    page = response.content.decode()
    assert "1 in-person place remains." in page
    assert "Virtual places are not limited." in page
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_register_page_says_new_in_person_registrations_wait_when_the_room_is_full(
    client, participant, event, category
):
    register(event, category)
    register(event, category)
    page = client.get(url("register", event_slug=event.slug)).content.decode()
    assert "In-person places are taken: new in-person registrations go to the waiting list." in page
    assert 'name="attendance_mode"' in page


def test_register_page_lists_active_categories_in_order_with_their_modes_and_approval(
    client, participant, event
):
    AudienceCategoryFactory(event=event, name_en="Public sector", order=2)
    AudienceCategoryFactory(
        event=event,
        name_en="Private sector",
        allows_virtual=False,
        needs_approval=True,
        order=1,
    )
    AudienceCategoryFactory(event=event, name_en="Professionals", allows_in_person=False, order=3)
    AudienceCategoryFactory(event=event, name_en="Retired category", is_active=False, order=0)
    response = client.get(url("register", event_slug=event.slug))
    labels = [str(label) for _, label in response.context["form"].fields["category"].choices]
    assert labels == [
        "Private sector (in person in Lima only; the organisers approve each registration)",
        "Public sector (in person in Lima or online)",
        "Professionals (online only)",
    ]


@pytest.mark.parametrize(
    ("opens", "closes", "label"),
    [
        (None, None, "Registration has not been opened yet."),
        (
            datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
            None,
            "Registration has not opened yet.",
        ),
        (
            datetime.datetime(2024, 7, 1, tzinfo=datetime.UTC),
            datetime.datetime(2024, 8, 10, tzinfo=datetime.UTC),
            "Registration is closed.",
        ),
    ],
)
def test_closed_registration_says_why_and_shows_no_form(
    client, participant, category, opens, closes, label
):
    event = category.event
    set_registration(event, opens_at=opens, closes_at=closes)
    with time_machine.travel(datetime.datetime(2024, 8, 12, 12, tzinfo=datetime.UTC)):
        response = client.get(url("register", event_slug=event.slug))
        page = response.content.decode()
        assert label in page
        assert 'name="full_name"' not in page
        response = client.post(url("register", event_slug=event.slug), form_data(category))
    assert label in response.content.decode()
    assert not Registration.objects.exists()


def test_registration_that_arrives_after_closing_keeps_what_was_typed(
    client, participant, event, category
):
    client.get(url("register", event_slug=event.slug))
    set_registration(event, closes_at=datetime.datetime(2024, 8, 1, tzinfo=datetime.UTC))
    response = client.post(
        url("register", event_slug=event.slug), form_data(category, full_name="Ana Quispe")
    )
    page = response.content.decode()
    assert "Registration is closed." in page
    assert 'value="Ana Quispe"' in page
    assert not Registration.objects.exists()


def test_registering_confirms_and_says_status_and_reference(client, participant, event, category):
    response = client.post(
        url("register", event_slug=event.slug),
        form_data(category, photography_consent="on", honorific="Dra."),
        follow=True,
    )
    registration = Registration.objects.get()
    assert response.redirect_chain == [(url("my-registration", event_slug=event.slug), 302)]
    assert (
        f"Your registration is confirmed. Your reference is {registration.reference}."
        in response.content.decode()
    )
    assert registration.user == participant
    assert registration.email == participant.email
    assert (registration.status, registration.attendance_mode) == (Status.CONFIRMED, IN_PERSON)
    assert (registration.honorific, registration.full_name, registration.country.code) == (
        "Dra.",
        "María Pérez",
        "PE",
    )
    assert registration.has_consent(Consent.Purpose.PRIVACY_NOTICE)
    assert registration.has_consent(Consent.Purpose.PHOTOGRAPHY)
    assert not registration.has_consent(Consent.Purpose.SENSITIVE_DATA)


def test_registering_sends_the_confirmation_after_commit(
    client, participant, event, category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("register", event_slug=event.slug), form_data(category))
    [message] = mail.outbox
    assert message.to == [participant.email]
    assert Registration.objects.get().reference in message.body


def test_registering_beyond_the_room_says_waiting_position(client, participant, event, category):
    register(event, category)
    register(event, category)
    response = client.post(url("register", event_slug=event.slug), form_data(category))
    registration = Registration.objects.get(user=participant)
    assert registration.status == Status.WAITING_LIST
    assert messages_of(response) == [
        "All places of this kind are taken: you are number 1 on the waiting list, and we will "
        "write to you as soon as a place is yours. Your reference is "
        f"{registration.reference}."
    ]


def test_category_needing_approval_says_it_waits_for_the_organisers(client, participant, event):
    invited = AudienceCategoryFactory(event=event, needs_approval=True, allows_virtual=False)
    response = client.post(url("register", event_slug=event.slug), form_data(invited))
    registration = Registration.objects.get()
    assert registration.status == Status.PENDING_APPROVAL
    assert "awaits the organisers' approval" in messages_of(response)[0]


def test_sensitive_needs_with_their_consent_are_kept(client, participant, event, category):
    client.post(
        url("register", event_slug=event.slug),
        form_data(
            category,
            dietary_needs="Vegetarian",
            accessibility_needs="Wheelchair access",
            sensitive_data_consent="on",
        ),
    )
    registration = Registration.objects.get()
    assert (registration.dietary_needs, registration.accessibility_needs) == (
        "Vegetarian",
        "Wheelchair access",
    )
    assert registration.has_consent(Consent.Purpose.SENSITIVE_DATA)


def test_registering_again_is_sent_to_my_registration(client, participant, event, category):
    register(event, category, user=participant)
    response = client.get(url("register", event_slug=event.slug))
    assert response["Location"] == url("my-registration", event_slug=event.slug)
    response = client.post(url("register", event_slug=event.slug), form_data(category))
    assert response["Location"] == url("my-registration", event_slug=event.slug)
    assert Registration.objects.count() == 1


def test_registering_again_after_cancelling_finds_the_earlier_details(
    client, participant, event, category
):
    registration = register(event, category, user=participant)
    services.cancel(registration, by=participant)
    response = client.get(url("register", event_slug=event.slug))
    assert response.context["form"].initial["full_name"] == "María Pérez"
    client.post(url("register", event_slug=event.slug), form_data(category))
    registration.refresh_from_db()
    assert registration.status == Status.CONFIRMED


def test_declined_participant_is_told_instead_of_getting_a_form(
    client, participant, event, category
):
    registration = register(event, category, user=participant)
    services.decline(registration, by=None)
    page = client.get(url("register", event_slug=event.slug)).content.decode()
    assert "The organisers declined your registration." in page
    assert 'name="full_name"' not in page


# My registration ---------------------------------------------------------------------------


def test_my_registration_shows_status_reference_details_and_is_not_cached(
    client, participant, event, category
):
    registration = register(event, category, user=participant)
    response = client.get(url("my-registration", event_slug=event.slug))
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert registration.reference in page
    assert "Confirmed" in page
    assert "Ministerio de Comercio Exterior" in page
    assert url("personal-feed", token=registration.personal_token) in page
    assert f"webcal://testserver{url('personal-feed', token=registration.personal_token)}" in page


def test_my_registration_shows_the_waiting_position(client, participant, event, category):
    register(event, category)
    register(event, category)
    register(event, category)
    register(event, category, user=participant)
    page = client.get(url("my-registration", event_slug=event.slug)).content.decode()
    assert "On the waiting list" in page
    assert "number 2 in line" in page


def test_my_registration_without_one_offers_to_register(client, participant, event):
    response = client.get(url("my-registration", event_slug=event.slug))
    assert response["Location"] == url("register", event_slug=event.slug)


def test_confirmed_virtual_participant_sees_the_personal_join_link_not_the_room(
    client, participant, event, category
):
    registration = register(event, category, VIRTUAL, user=participant)
    page = client.get(url("my-registration", event_slug=event.slug)).content.decode()
    assert f"http://testserver{url('join', token=registration.personal_token)}" in page
    assert "SGCAN virtual platform" in page
    assert "Passcode: 987654" in page
    assert JOIN_URL not in page


@pytest.mark.parametrize("situation", ["in_person", "waiting_virtual", "pending_virtual"])
def test_only_confirmed_virtual_participants_see_join_details(
    client, participant, event, situation
):
    if situation == "in_person":
        register(event, AudienceCategoryFactory(event=event), IN_PERSON, user=participant)
    elif situation == "waiting_virtual":
        set_registration(event, virtual_places=0)
        register(event, AudienceCategoryFactory(event=event), VIRTUAL, user=participant)
    else:
        approval = AudienceCategoryFactory(event=event, needs_approval=True)
        register(event, approval, VIRTUAL, user=participant)
    page = client.get(url("my-registration", event_slug=event.slug)).content.decode()
    assert "/join/" not in page
    assert "Passcode: 987654" not in page
    assert JOIN_URL not in page


def test_my_registration_page_takes_a_fixed_number_of_queries(
    client, participant, event, category, django_assert_max_num_queries
):
    register(event, category, VIRTUAL, user=participant, photography_consent=True)
    # Session, user, registration with its event and category, consents.
    with django_assert_max_num_queries(5):
        response = client.get(url("my-registration", event_slug=event.slug))
    assert response.status_code == 200


def test_register_page_takes_a_fixed_number_of_queries(
    client, participant, event, category, django_assert_max_num_queries
):
    for _ in range(5):
        AudienceCategoryFactory(event=event)
    # The first page after a change to the agenda also reads its state, the event and its
    # registration settings, which the process then keeps until the next change.
    with django_assert_max_num_queries(9):
        response = client.get(url("register", event_slug=event.slug))
    assert response.status_code == 200
    # However many categories: session, user, verified address, earlier registration, places
    # taken, categories.
    with django_assert_max_num_queries(6):
        response = client.get(url("register", event_slug=event.slug))
    assert response.status_code == 200


def test_the_register_page_drawn_again_takes_no_more_queries(
    client, participant, event, category, django_assert_max_num_queries
):
    client.get(url("register", event_slug=event.slug))
    AudienceCategoryFactory(event=event, name_en="Academia")
    # The kept form is checked against the categories read for it, in the same query.
    with django_assert_max_num_queries(6):
        page = client.get(url("register", event_slug=event.slug)).content.decode()
    assert "Academia (in person in Lima or online)" in page


@pytest.mark.parametrize("taken", [0, 2])
def test_registering_takes_a_fixed_number_of_queries(
    client,
    participant,
    event,
    category,
    taken,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    for _ in range(taken):
        register(event, category)
    # As people do, the form first: the process reads the event and its settings with it.
    client.get(url("register", event_slug=event.slug))
    # Session, user, verified address, earlier registration, the chosen category; then,
    # in the transaction, its start, the event's lock with the places, the earlier registration
    # again under the lock, the places taken, the registration, its history line, its consents
    # (one INSERT) and the end; and the waiting position for the message. The mail is only queued
    # after the commit (one INSERT with the database's task queue): the callback counted below.
    with (
        django_assert_max_num_queries(14),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        response = client.post(
            url("register", event_slug=event.slug), form_data(category, preferred_language="en")
        )
    assert response.status_code == 302
    assert len(callbacks) == 1
    registration = Registration.objects.get(user=participant)
    expected = Status.WAITING_LIST if taken else Status.CONFIRMED
    assert registration.status == expected
    assert registration.consents.count() == 2


# Ownership -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("edit", "get"),
        ("switch-mode", "get"),
        ("switch-mode", "post"),
        ("cancel", "get"),
        ("cancel", "post"),
        ("personal-calendar", "get"),
        ("renew-token", "post"),
    ],
)
def test_another_participant_never_reaches_someone_elses_registration(
    client, event, category, name, method
):
    owner = verified_user()
    registration = register(event, category, user=owner)
    client.force_login(verified_user())
    response = getattr(client, method)(url(name, event_slug=event.slug), {"mode": VIRTUAL})
    assert response.status_code == 404
    registration.refresh_from_db()
    assert (registration.status, registration.attendance_mode) == (Status.CONFIRMED, IN_PERSON)


def test_another_participant_sees_only_their_own_registration(client, event, category):
    someone = register(event, category, user=verified_user())
    other = verified_user()
    client.force_login(other)
    response = client.get(url("my-registration", event_slug=event.slug))
    assert response["Location"] == url("register", event_slug=event.slug)
    mine = register(event, category, user=other)
    page = client.get(url("my-registration", event_slug=event.slug)).content.decode()
    assert mine.reference in page
    assert someone.reference not in page


def test_withdrawing_someone_elses_consent_is_impossible(client, event, category):
    owner = verified_user()
    registration = register(event, category, user=owner, photography_consent=True)
    client.force_login(verified_user())
    response = client.post(
        url("withdraw-consent", event_slug=event.slug, purpose=Consent.Purpose.PHOTOGRAPHY)
    )
    assert response.status_code == 404
    assert registration.has_consent(Consent.Purpose.PHOTOGRAPHY)


# Editing -------------------------------------------------------------------------------------


def test_editing_details_saves_them_and_keeps_mode_and_status(client, participant, event, category):
    registration = register(event, category, user=participant)
    response = client.post(
        url("edit", event_slug=event.slug),
        {
            "full_name": "María Pérez Quispe",
            "position": "Directora General",
            "organisation": "MINCETUR",
            "country": "PE",
            "phone": "",
            "preferred_language": "en",
            "attendance_mode": VIRTUAL,
            "status": Status.CANCELLED,
        },
    )
    assert response["Location"] == url("my-registration", event_slug=event.slug)
    registration.refresh_from_db()
    assert (registration.full_name, registration.organisation, registration.preferred_language) == (
        "María Pérez Quispe",
        "MINCETUR",
        "en",
    )
    assert (registration.status, registration.attendance_mode) == (Status.CONFIRMED, IN_PERSON)


def test_editing_needs_without_their_consent_asks_to_tick_or_empty(
    client, participant, event, category
):
    registration = register(event, category, user=participant)
    response = client.post(
        url("edit", event_slug=event.slug),
        {**form_data(category), "dietary_needs": "Halal"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["sensitive_data_consent"] == [
        "You wrote dietary or accessibility needs: tick this box so that we may keep them, or "
        "empty those fields."
    ]
    assert "Halal" in response.content.decode()
    registration.refresh_from_db()
    assert registration.dietary_needs == ""


def test_editing_can_grant_and_then_withdraw_consents(client, participant, event, category):
    registration = register(event, category, user=participant)
    client.post(
        url("edit", event_slug=event.slug),
        {
            **form_data(category),
            "dietary_needs": "Halal",
            "sensitive_data_consent": "on",
            "photography_consent": "on",
        },
    )
    registration.refresh_from_db()
    assert registration.dietary_needs == "Halal"
    assert registration.has_consent(Consent.Purpose.SENSITIVE_DATA)
    assert registration.has_consent(Consent.Purpose.PHOTOGRAPHY)
    client.post(url("edit", event_slug=event.slug), form_data(category))
    registration.refresh_from_db()
    assert not registration.has_consent(Consent.Purpose.SENSITIVE_DATA)
    assert not registration.has_consent(Consent.Purpose.PHOTOGRAPHY)
    # Append-only: the grant stays on record next to the withdrawal.
    assert registration.consents.filter(purpose=Consent.Purpose.SENSITIVE_DATA).count() == 2


def test_editing_a_virtual_registration_does_not_ask_for_needs(
    client, participant, event, category
):
    register(event, category, VIRTUAL, user=participant)
    form = client.get(url("edit", event_slug=event.slug)).context["form"]
    assert "dietary_needs" not in form.fields
    assert "sensitive_data_consent" not in form.fields


# Consents ------------------------------------------------------------------------------------


def test_withdrawing_photography_consent_is_one_click_and_adds_a_row(
    client, participant, event, category
):
    registration = register(event, category, user=participant, photography_consent=True)
    response = client.post(
        url("withdraw-consent", event_slug=event.slug, purpose=Consent.Purpose.PHOTOGRAPHY)
    )
    assert response["Location"] == url("my-registration", event_slug=event.slug)
    assert messages_of(response) == ["Your consent to photographs and recording is withdrawn."]
    latest = registration.consents.filter(purpose=Consent.Purpose.PHOTOGRAPHY).last()
    assert (latest.is_granted, latest.user, latest.language) == (False, participant, "en")
    assert registration.consents.filter(purpose=Consent.Purpose.PHOTOGRAPHY).count() == 2


def test_withdrawing_sensitive_data_consent_erases_the_needs(client, participant, event, category):
    registration = services.register(
        event=event,
        user=participant,
        details=details(category, dietary_needs="Vegan", accessibility_needs="Ramp"),
        sensitive_data_consent=True,
    )
    client.post(
        url("withdraw-consent", event_slug=event.slug, purpose=Consent.Purpose.SENSITIVE_DATA)
    )
    registration.refresh_from_db()
    assert (registration.dietary_needs, registration.accessibility_needs) == ("", "")
    assert not registration.has_consent(Consent.Purpose.SENSITIVE_DATA)


def test_privacy_consent_is_not_withdrawn_by_the_one_click_button(
    client, participant, event, category
):
    registration = register(event, category, user=participant)
    client.post(
        url("withdraw-consent", event_slug=event.slug, purpose=Consent.Purpose.PRIVACY_NOTICE)
    )
    client.post(url("withdraw-consent", event_slug=event.slug, purpose="anything"))
    assert registration.consents.count() == 2
    assert registration.has_consent(Consent.Purpose.PRIVACY_NOTICE)


def test_withdraw_buttons_only_for_consents_in_force(client, participant, event, category):
    register(event, category, user=participant, photography_consent=True)
    page = client.get(url("my-registration", event_slug=event.slug)).content.decode()
    photography = url("withdraw-consent", event_slug=event.slug, purpose="photography")
    sensitive = url("withdraw-consent", event_slug=event.slug, purpose="sensitive_data")
    assert f'action="{photography}"' in page
    assert f'action="{sensitive}"' not in page


# Switching mode ------------------------------------------------------------------------------


def test_switching_to_a_full_room_warns_of_the_waiting_list_before_confirming(
    client, participant, event, category
):
    register(event, category)
    register(event, category)
    registration = register(event, category, VIRTUAL, user=participant)
    page = client.get(url("switch-mode", event_slug=event.slug)).content.decode()
    assert (
        "There is no free place for “In person in Lima”: if you switch, you join the end of its "
        "waiting list." in page
    )
    assert "Your current confirmed place will be given to someone else" in page
    registration.refresh_from_db()
    assert registration.attendance_mode == VIRTUAL


def test_switching_to_a_full_room_puts_on_the_waiting_list_and_frees_the_place(
    client, participant, django_capture_on_commit_callbacks
):
    event = open_event(in_person_places=1, virtual_places=1)
    category = AudienceCategoryFactory(event=event)
    register(event, category)
    registration = register(event, category, VIRTUAL, user=participant)
    waiting_virtual = register(event, category, VIRTUAL)
    assert waiting_virtual.status == Status.WAITING_LIST
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("switch-mode", event_slug=event.slug), {"mode": IN_PERSON})
    registration.refresh_from_db()
    waiting_virtual.refresh_from_db()
    assert (registration.attendance_mode, registration.status) == (IN_PERSON, Status.WAITING_LIST)
    assert waiting_virtual.status == Status.CONFIRMED
    assert messages_of(response)[0].startswith("You now take part: In person in Lima.")
    assert {tuple(message.to) for message in mail.outbox} == {
        (participant.email,),
        (waiting_virtual.email,),
    }


def test_switching_with_a_free_place_confirms_there(client, participant, event, category):
    registration = register(event, category, VIRTUAL, user=participant)
    page = client.get(url("switch-mode", event_slug=event.slug)).content.decode()
    assert "A place is free for “In person in Lima”" in page
    client.post(url("switch-mode", event_slug=event.slug), {"mode": IN_PERSON})
    registration.refresh_from_db()
    assert (registration.attendance_mode, registration.status) == (IN_PERSON, Status.CONFIRMED)


def test_switching_to_a_mode_the_category_excludes_is_refused_clearly(client, participant, event):
    in_person_only = AudienceCategoryFactory(event=event, name_en="Private", allows_virtual=False)
    registration = register(event, in_person_only, user=participant)
    page = client.get(url("switch-mode", event_slug=event.slug)).content.decode()
    assert "People taking part as “Private” cannot choose “Virtual”." in page
    assert 'name="mode"' not in page
    response = client.post(url("switch-mode", event_slug=event.slug), {"mode": VIRTUAL})
    assert messages_of(response) == ["Your audience category cannot attend in this way."]
    registration.refresh_from_db()
    assert registration.attendance_mode == IN_PERSON


def test_switch_form_with_a_made_up_mode_changes_nothing(client, participant, event, category):
    registration = register(event, category, user=participant)
    response = client.post(url("switch-mode", event_slug=event.slug), {"mode": "teleport"})
    assert messages_of(response) == ["Choose how you want to take part."]
    registration.refresh_from_db()
    assert registration.attendance_mode == IN_PERSON


# Cancelling ----------------------------------------------------------------------------------


def test_cancel_asks_for_confirmation_first(client, participant, event, category):
    registration = register(event, category, user=participant)
    page = client.get(url("cancel", event_slug=event.slug)).content.decode()
    assert "Yes, cancel my registration" in page
    registration.refresh_from_db()
    assert registration.status == Status.CONFIRMED


def test_cancelling_frees_the_place_for_the_first_waiting(
    client, participant, event, category, django_capture_on_commit_callbacks
):
    registration = register(event, category, user=participant)
    register(event, category)
    waiting = register(event, category)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("cancel", event_slug=event.slug))
    assert response["Location"] == url("my-registration", event_slug=event.slug)
    registration.refresh_from_db()
    waiting.refresh_from_db()
    assert registration.status == Status.CANCELLED
    assert waiting.status == Status.CONFIRMED
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [participant.email, waiting.email]
    )


def test_cancelling_twice_is_harmless(client, participant, event, category):
    registration = register(event, category, user=participant)
    client.post(url("cancel", event_slug=event.slug))
    response = client.post(url("cancel", event_slug=event.slug))
    assert messages_of(response)[-1] == "This registration is already cancelled."
    assert registration.status_changes.filter(to_status=Status.CANCELLED).count() == 1


# Calendars and links -------------------------------------------------------------------------


def _descriptions(calendar):
    return " ".join(str(component.get("description", "")) for component in calendar.walk("VEVENT"))


def test_personal_calendar_download_is_an_attachment_with_the_join_link_for_virtual(
    client, participant, event, category
):
    registration = register(event, category, VIRTUAL, user=participant)
    response = client.get(url("personal-calendar", event_slug=event.slug))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    [session] = calendar.walk("VEVENT")
    assert session.decoded("dtstart") == lima(9)
    join = f"http://testserver{url('join', token=registration.personal_token)}"
    assert join in _descriptions(calendar)
    assert JOIN_URL not in response.content.decode()


def test_personal_calendar_of_an_in_person_participant_has_no_join_link(
    client, participant, event, category
):
    register(event, category, IN_PERSON, user=participant)
    response = client.get(url("personal-calendar", event_slug=event.slug))
    calendar = Calendar.from_ical(response.content)
    assert len(calendar.walk("VEVENT")) == 1
    assert "/join/" not in _descriptions(calendar)


def test_personal_feed_is_reached_by_token_without_signing_in(client, event, category):
    registration = register(event, category, VIRTUAL)
    response = client.get(url("personal-feed", token=registration.personal_token))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert "no-store" in response["Cache-Control"]
    calendar = Calendar.from_ical(response.content)
    assert "/join/" in _descriptions(calendar)


def test_personal_feed_of_a_cancelled_registration_is_empty(client, event, category):
    registration = register(event, category)
    services.cancel(registration, by=registration.user)
    response = client.get(url("personal-feed", token=registration.personal_token))
    assert Calendar.from_ical(response.content).walk("VEVENT") == []


def test_personal_feed_with_an_unknown_token_is_not_found(client):
    assert client.get(url("personal-feed", token="not-a-token")).status_code == 404


def test_renewing_the_token_makes_the_old_links_stop_working(client, participant, event, category):
    registration = register(event, category, VIRTUAL, user=participant)
    old_token = registration.personal_token
    assert client.get(url("renew-token", event_slug=event.slug)).status_code == 405
    response = client.post(url("renew-token", event_slug=event.slug))
    assert "old calendar subscription and join links no longer work" in messages_of(response)[0]
    registration.refresh_from_db()
    assert registration.personal_token != old_token
    assert client.get(url("personal-feed", token=old_token)).status_code == 404
    assert client.get(url("join", token=old_token)).status_code == 404
    assert client.get(url("personal-feed", token=registration.personal_token)).status_code == 200
    page = client.get(url("my-registration", event_slug=event.slug)).content.decode()
    assert registration.personal_token in page
    assert old_token not in page


def test_join_link_sends_a_confirmed_virtual_participant_to_the_room(client, event, category):
    registration = register(event, category, VIRTUAL)
    response = client.get(url("join", token=registration.personal_token))
    assert response.status_code == 302
    assert response["Location"] == JOIN_URL
    assert "no-store" in response["Cache-Control"]


def test_join_link_follows_the_room_the_organisers_set_now(client, event, category):
    registration = register(event, category, VIRTUAL)
    event.virtual_join_url = "https://meet.example.org/j/new-room"
    event.save()
    response = client.get(url("join", token=registration.personal_token))
    assert response["Location"] == "https://meet.example.org/j/new-room"


@pytest.mark.parametrize(
    ("situation", "status_code", "reason"),
    [
        ("in_person", 403, "Your registration is for attending in person in Lima."),
        ("waiting", 403, "You are on the waiting list for virtual places."),
        ("pending", 403, "Your registration awaits the organisers' approval."),
        ("cancelled", 403, "Your registration is no longer active"),
        ("no_room_yet", 404, "The organisers have not published the link to the virtual room yet."),
    ],
)
def test_join_link_is_refused_with_a_reason_unless_confirmed_virtual(
    client, event, situation, status_code, reason
):
    category = AudienceCategoryFactory(event=event, needs_approval=situation == "pending")
    if situation == "waiting":
        set_registration(event, virtual_places=0)
    mode = IN_PERSON if situation == "in_person" else VIRTUAL
    registration = register(event, category, mode)
    if situation == "cancelled":
        services.cancel(registration, by=registration.user)
    if situation == "no_room_yet":
        event.virtual_join_url = ""
        event.save()
    response = client.get(url("join", token=registration.personal_token))
    assert response.status_code == status_code
    page = html.unescape(response.content.decode())
    assert reason in page
    assert JOIN_URL not in page
    assert "no-store" in response["Cache-Control"]


def test_join_link_with_an_unknown_token_is_not_found(client):
    response = client.get(url("join", token="guessed"))
    assert response.status_code == 404
    assert "This link to join is not valid." in response.content.decode()


# My data -------------------------------------------------------------------------------------


def test_export_gives_the_account_registrations_history_and_consents_as_json(
    client, participant, event, category
):
    registration = register(event, category, user=participant, photography_consent=True)
    services.cancel(registration, by=participant)
    response = client.get(url("export-data"))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["email"] == participant.email
    [exported] = data["registrations"]
    assert exported["reference"] == registration.reference
    assert exported["full_name"] == "María Pérez"
    assert exported["country"] == "PE"
    assert exported["status"] == Status.CANCELLED
    assert exported["event"]["slug"] == event.slug
    assert [(row["from"], row["to"]) for row in exported["status_history"]] == [
        ("", Status.CONFIRMED),
        (Status.CONFIRMED, Status.CANCELLED),
    ]
    assert {(row["purpose"], row["granted"]) for row in exported["consents"]} == {
        ("privacy_notice", True),
        ("photography", True),
    }
    assert "personal_token" not in exported
    assert registration.personal_token not in response.content.decode()


def test_export_needs_signing_in(client):
    assert client.get(url("export-data")).status_code == 302


def test_deleting_the_account_asks_for_confirmation(client, participant, event, category):
    register(event, category, user=participant)
    response = client.post(url("delete-account"), {})
    assert response.context["form"].errors["confirm"] == [
        "Tick the box to confirm that you want to delete your account."
    ]
    assert get_user_model().objects.filter(pk=participant.pk).exists()


def test_deleting_the_account_frees_the_place_and_promotes_the_waiting_list(
    client, participant, event, category, django_capture_on_commit_callbacks
):
    register(event, category, user=participant)
    register(event, category)
    waiting = register(event, category)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("delete-account"), {"confirm": "on"})
    assert response.status_code == 200
    assert "Your account and your registrations are deleted." in response.content.decode()
    assert not get_user_model().objects.filter(pk=participant.pk).exists()
    assert not Registration.objects.filter(email=participant.email).exists()
    waiting.refresh_from_db()
    assert waiting.status == Status.CONFIRMED
    assert [message.to for message in mail.outbox] == [[waiting.email]]
    # Signed out: personal pages ask to sign in again.
    assert client.get(url("export-data")).status_code == 302


# Every page readable --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_participant_pages_label_every_field_keep_heading_order_and_use_no_inline_code(
    client, participant, event, category, language
):
    register(event, category, VIRTUAL, user=participant, photography_consent=True)
    paths = [
        url(name, language, event_slug=event.slug)
        for name in ("my-registration", "edit", "switch-mode", "cancel")
    ] + [url("delete-account", language)]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = read(response)
        assert page.fields_without_label() == [], path
        assert page.skipped_heading_levels() == [], path
        assert (page.inline_styles, page.inline_scripts) == ([], 0), path
        assert "no-store" in response["Cache-Control"], path


# Addresses ------------------------------------------------------------------------------------

# Django matches ALLOWED_HOSTS without the port: a request saying "Host: localhost:9999" is served.
FOREIGN_HOST = "localhost:9999"


def test_personal_links_and_calendars_use_the_site_address_whatever_the_host_header(
    client, settings, participant, event, category
):
    settings.SITE_URL = "https://forum.example.org"
    registration = register(event, category, VIRTUAL, user=participant)
    feed = url("personal-feed", token=registration.personal_token)
    join = f"https://forum.example.org{url('join', token=registration.personal_token)}"

    page = client.get(url("my-registration", event_slug=event.slug), HTTP_HOST=FOREIGN_HOST)
    page = page.content.decode()
    assert f"webcal://forum.example.org{feed}" in page
    assert f"https://forum.example.org{feed}" in page
    assert join in page
    assert "localhost" not in page

    for address in (url("personal-calendar", event_slug=event.slug), feed):
        response = client.get(address, HTTP_HOST=FOREIGN_HOST)
        calendar = Calendar.from_ical(response.content)
        assert join in _descriptions(calendar)
        for session in calendar.walk("VEVENT"):
            assert str(session["URL"]).startswith("https://forum.example.org/en/events/")
        assert b"localhost" not in response.content.replace(b"\r\n ", b"")
