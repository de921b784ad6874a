import datetime

import pytest
import time_machine
from django.utils import translation

from registration import services
from registration.models import (
    AttendanceMode,
    Consent,
    Registration,
    RegistrationError,
    RegistrationSettings,
    StatusChange,
)
from registration.privacy import PRIVACY_NOTICE_VERSION

from .factories import (
    AudienceCategoryFactory,
    UserFactory,
    details,
    open_event,
    set_registration,
)

pytestmark = pytest.mark.django_db


def places_left(event, mode):
    return RegistrationSettings.objects.for_event(event).places_left(mode)


@pytest.fixture(autouse=True)
def _english():
    # Messages are matched in English; the site's default language is Spanish.
    with translation.override("en"):
        yield


IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
Status = Registration.Status


@pytest.fixture
def event():
    return open_event(in_person_places=2, virtual_places=None)


def register(event, category, mode=IN_PERSON, user=None, **extra):
    return services.register(
        event=event, user=user or UserFactory(), details=details(category, mode), **extra
    )


def test_registrations_are_confirmed_while_places_remain(event, category):
    first, second = register(event, category), register(event, category)
    assert [first.status, second.status] == [Status.CONFIRMED, Status.CONFIRMED]
    assert places_left(event, IN_PERSON) == 0


def test_registration_beyond_capacity_joins_the_waiting_list_in_arrival_order(event, category):
    register(event, category)
    register(event, category)
    with time_machine.travel(datetime.datetime(2024, 8, 1, 10, tzinfo=datetime.UTC)):
        third = register(event, category)
    with time_machine.travel(datetime.datetime(2024, 8, 1, 11, tzinfo=datetime.UTC)):
        fourth = register(event, category)
    assert [third.status, fourth.status] == [Status.WAITING_LIST, Status.WAITING_LIST]
    assert [third.waiting_position(), fourth.waiting_position()] == [1, 2]
    waiting = Registration.objects.for_event(event).in_person().in_waiting_order()
    assert list(waiting) == [third, fourth]


def test_virtual_mode_without_a_limit_always_confirms(event, category):
    registrations = [register(event, category, VIRTUAL) for _ in range(5)]
    assert {r.status for r in registrations} == {Status.CONFIRMED}
    assert places_left(event, VIRTUAL) is None


def test_virtual_capacity_is_counted_apart_from_the_room(category, event):
    set_registration(event, virtual_places=1)
    assert register(event, category, VIRTUAL).status == Status.CONFIRMED
    assert register(event, category, VIRTUAL).status == Status.WAITING_LIST
    assert register(event, category, IN_PERSON).status == Status.CONFIRMED


def test_cancelling_promotes_first_on_waiting_list(event, category):
    first = register(event, category)
    register(event, category)
    third, fourth = register(event, category), register(event, category)
    services.cancel(first, by=first.user)
    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert statuses[first.pk] == Status.CANCELLED
    assert statuses[third.pk] == Status.CONFIRMED
    assert statuses[fourth.pk] == Status.WAITING_LIST


def test_cancelling_a_waiting_registration_promotes_nobody(event, category):
    register(event, category)
    register(event, category)
    third, fourth = register(event, category), register(event, category)
    services.cancel(third, by=third.user)
    assert Registration.objects.get(pk=fourth.pk).status == Status.WAITING_LIST
    assert Registration.objects.get(pk=fourth.pk).waiting_position() == 1


def test_declining_a_confirmed_registration_promotes_the_waiting_list(event, category):
    first = register(event, category)
    register(event, category)
    third = register(event, category)
    organiser = UserFactory(is_staff=True)
    services.decline(first, by=organiser)
    assert Registration.objects.get(pk=third.pk).status == Status.CONFIRMED
    change = StatusChange.objects.filter(registration=first).last()
    assert (change.to_status, change.changed_by) == (Status.DECLINED, organiser)


def test_switching_to_a_full_mode_waits_and_gives_the_old_place_on(event, category):
    set_registration(event, virtual_places=1)
    virtual = register(event, category, VIRTUAL)
    in_person = register(event, category, IN_PERSON)
    waiting_virtual = register(event, category, VIRTUAL)
    assert in_person.would_wait_in(VIRTUAL)
    switched = services.switch_mode(in_person, VIRTUAL, by=in_person.user)
    assert (switched.attendance_mode, switched.status) == (VIRTUAL, Status.WAITING_LIST)
    # It joins the end of the virtual waiting list, behind who was already there.
    assert Registration.objects.get(pk=waiting_virtual.pk).waiting_position() == 1
    assert switched.waiting_position() == 2
    assert Registration.objects.get(pk=virtual.pk).status == Status.CONFIRMED


def test_switching_from_in_person_promotes_the_first_waiting_for_the_room(event, category):
    first = register(event, category)
    register(event, category)
    waiting = register(event, category)
    services.switch_mode(first, VIRTUAL, by=first.user)
    assert Registration.objects.get(pk=first.pk).status == Status.CONFIRMED
    assert Registration.objects.get(pk=waiting.pk).status == Status.CONFIRMED


def test_category_restricts_attendance_modes(event):
    virtual_only = AudienceCategoryFactory(event=event, allows_in_person=False)
    with pytest.raises(RegistrationError):
        register(event, virtual_only, IN_PERSON)
    registration = register(event, virtual_only, VIRTUAL)
    with pytest.raises(RegistrationError):
        services.switch_mode(registration, IN_PERSON, by=registration.user)
    assert not Registration.objects.in_person().exists()


def test_category_needing_approval_waits_for_an_organiser(event):
    private_sector = AudienceCategoryFactory(event=event, needs_approval=True, allows_virtual=False)
    registration = register(event, private_sector)
    assert registration.status == Status.PENDING_APPROVAL
    assert places_left(event, IN_PERSON) == 2
    services.approve(registration, by=UserFactory(is_staff=True))
    assert Registration.objects.get(pk=registration.pk).status == Status.CONFIRMED


def test_approval_when_the_room_is_full_joins_the_waiting_list(event, category):
    private_sector = AudienceCategoryFactory(event=event, needs_approval=True)
    pending = register(event, private_sector)
    register(event, category)
    register(event, category)
    approved = services.approve(pending, by=UserFactory(is_staff=True))
    assert approved.status == Status.WAITING_LIST


def test_registration_outside_the_window_is_refused(category, event):
    set_registration(event, opens_at=datetime.datetime(2024, 7, 1, tzinfo=datetime.UTC))
    with (
        time_machine.travel(datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)),
        pytest.raises(RegistrationError, match="not opened yet"),
    ):
        register(event, category)
    set_registration(event, closes_at=datetime.datetime(2024, 8, 10, tzinfo=datetime.UTC))
    with (
        time_machine.travel(datetime.datetime(2024, 8, 12, tzinfo=datetime.UTC)),
        pytest.raises(RegistrationError, match="closed"),
    ):
        register(event, category)
    assert not Registration.objects.exists()


def test_an_event_without_a_window_is_not_open(category, event):
    set_registration(event, opens_at=None, closes_at=None)
    with pytest.raises(RegistrationError):
        register(event, category)


def test_a_participant_registers_once_per_event(event, category):
    user = UserFactory()
    register(event, category, user=user)
    with pytest.raises(RegistrationError, match="already registered"):
        register(event, category, user=user)
    assert Registration.objects.count() == 1


def test_registering_again_after_cancelling_renews_the_same_registration(event, category):
    user = UserFactory()
    first = register(event, category, user=user)
    services.cancel(first, by=user)
    again = register(event, category, user=user, photography_consent=True)
    assert again.pk == first.pk and again.reference == first.reference
    assert again.status == Status.CONFIRMED


def test_every_status_change_is_recorded_with_who_made_it(event, category):
    registration = register(event, category)
    services.cancel(registration, by=registration.user)
    history = list(
        registration.status_changes.values_list("from_status", "to_status", "changed_by")
    )
    assert history == [
        ("", Status.CONFIRMED, registration.user.pk),
        (Status.CONFIRMED, Status.CANCELLED, registration.user.pk),
    ]


def test_sensitive_needs_are_kept_only_with_their_consent(event, category):
    without = services.register(
        event=event,
        user=UserFactory(),
        details=details(category, dietary_needs="Halal", accessibility_needs="Wheelchair"),
    )
    assert (without.dietary_needs, without.accessibility_needs) == ("", "")
    with_consent = services.register(
        event=event,
        user=UserFactory(),
        details=details(category, dietary_needs="Halal"),
        sensitive_data_consent=True,
    )
    assert Registration.objects.get(pk=with_consent.pk).dietary_needs == "Halal"
    with_consent.record_consent(Consent.Purpose.SENSITIVE_DATA, granted=False)
    assert Registration.objects.get(pk=with_consent.pk).dietary_needs == ""


def test_several_consents_recorded_at_once_follow_the_rules_of_one(event, category):
    registration = register(event, category, photography_consent=True)
    registration.dietary_needs = "Vegan"
    registration.save()
    registration.record_consents(
        {Consent.Purpose.PHOTOGRAPHY: False, Consent.Purpose.SENSITIVE_DATA: False},
        language="en",
    )
    assert not registration.has_consent(Consent.Purpose.PHOTOGRAPHY)
    assert not registration.has_consent(Consent.Purpose.SENSITIVE_DATA)
    assert registration.has_consent(Consent.Purpose.PRIVACY_NOTICE)
    assert Registration.objects.get(pk=registration.pk).dietary_needs == ""
    latest = registration.consents_in_force()[Consent.Purpose.PHOTOGRAPHY]
    assert (latest.language, latest.notice_version) == ("en", PRIVACY_NOTICE_VERSION)


def test_consents_are_appended_never_rewritten(event, category):
    registration = register(event, category, photography_consent=True)
    registration.record_consent(Consent.Purpose.PHOTOGRAPHY, granted=False)
    rows = registration.consents.filter(purpose=Consent.Purpose.PHOTOGRAPHY)
    assert list(rows.values_list("is_granted", flat=True)) == [True, False]
    assert not registration.has_consent(Consent.Purpose.PHOTOGRAPHY)
    assert registration.has_consent(Consent.Purpose.PRIVACY_NOTICE)
    privacy = registration.consents.get(purpose=Consent.Purpose.PRIVACY_NOTICE)
    assert privacy.notice_version and privacy.language == "es"


def test_reference_codes_are_short_unambiguous_and_unique(event, category):
    references = {register(event, category, VIRTUAL).reference for _ in range(20)}
    assert len(references) == 20
    assert all(len(ref) == 8 and not set(ref) & set("01IOL") for ref in references)


def test_deleting_an_account_frees_the_place_for_the_waiting_list(event, category):
    first = register(event, category)
    register(event, category)
    waiting = register(event, category)
    services.delete_account(first.user)
    assert not Registration.objects.filter(pk=first.pk).exists()
    assert Registration.objects.get(pk=waiting.pk).status == Status.CONFIRMED
