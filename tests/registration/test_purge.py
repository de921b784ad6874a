"""
Retention: `purge_personal_data` anonymises the registrations of an event once it ended more than
the retention period ago (180 days unless configured), keeps every row so the figures stay, says
what it did, and does nothing more when run again.
"""

import datetime
import io
import uuid

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from registration import services
from registration.models import (
    AttendanceMode,
    Consent,
    Message,
    MessageDelivery,
    Registration,
    StatusChange,
)
from tests.agenda.factories import lima

from .factories import AudienceCategoryFactory, UserFactory, details, open_event

pytestmark = pytest.mark.django_db

REGISTERED_AT = datetime.datetime(2024, 8, 1, 15, 0, tzinfo=datetime.UTC)
MEETING_ENDS = lima(13)  # 15 August 2024, 13:00 in Lima
DAY = datetime.timedelta(days=1)


def purge(*args):
    out = io.StringIO()
    call_command("purge_personal_data", *args, stdout=out)
    return out.getvalue()


def participant(email):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def event():
    return open_event(in_person_places=1, virtual_places=None, slug="lima-2024")


@pytest.fixture
def registrations(event):
    """Ana (confirmed in person, with needs), Luis (waiting), Carla (virtual, then cancelled)."""
    category = AudienceCategoryFactory(event=event)
    with time_machine.travel(REGISTERED_AT, tick=False):
        ana = services.register(
            event=event,
            user=participant("ana@example.org"),
            details=details(
                category,
                full_name="Ana Quispe",
                phone="+591 2 215 5555",
                honorific="Lic.",
                dietary_needs="Sin gluten",
                accessibility_needs="Rampa",
                country="BO",
            ),
            photography_consent=True,
            sensitive_data_consent=True,
        )
        luis = services.register(
            event=event,
            user=participant("luis@example.org"),
            details=details(category, full_name="Luis Rojas", country="PE"),
        )
        carla = services.register(
            event=event,
            user=participant("carla@example.org"),
            details=details(category, AttendanceMode.VIRTUAL, full_name="Carla Díaz", country="CO"),
        )
        services.cancel(carla, by=carla.user)
    return [Registration.objects.get(pk=r.pk) for r in (ana, luis, carla)]


def figures(event):
    rows = Registration.objects.for_event(event).values_list(
        "status", "attendance_mode", "country", "category_id", "created_at"
    )
    return sorted(rows), Registration.objects.for_event(event).counts_by_mode()


def test_registrations_are_anonymised_once_the_event_ended_more_than_180_days_ago(
    event, registrations
):
    ana = registrations[0]
    reference, token = ana.reference, ana.personal_token
    before = figures(event)
    history = StatusChange.objects.filter(registration=ana).count()
    consents = Consent.objects.filter(registration=ana).count()
    with time_machine.travel(MEETING_ENDS + 181 * DAY, tick=False):
        output = purge()
    assert "lima-2024" in output and "3 registrations anonymised" in output

    ana.refresh_from_db()
    for name in ["full_name", "email", "phone", "honorific", "position", "organisation"]:
        assert getattr(ana, name) == "", name
    assert ana.dietary_needs == ana.accessibility_needs == ""
    assert ana.user is None and ana.is_anonymised
    # The reference and the token were mailed to her: they would lead back to her.
    assert ana.reference != reference and len(ana.reference) == len(reference)
    assert ana.personal_token != token
    # What the figures need stays.
    assert (ana.status, ana.attendance_mode, ana.country.code) == (
        Registration.Status.CONFIRMED,
        AttendanceMode.IN_PERSON,
        "BO",
    )
    assert figures(event) == before
    # The record of consents and history stays, without who, and the history says what happened.
    assert Consent.objects.filter(registration=ana).count() == consents
    assert not Consent.objects.filter(registration=ana, user__isnull=False).exists()
    assert StatusChange.objects.filter(registration=ana).count() == history + 1
    assert StatusChange.objects.filter(registration=ana).last().action == (
        StatusChange.Action.ANONYMISED
    )
    assert not StatusChange.objects.filter(registration=ana, changed_by__isnull=False).exists()


def test_the_output_names_no_one(event, registrations):
    with time_machine.travel(MEETING_ENDS + 181 * DAY, tick=False):
        output = purge()
    for registration in registrations:
        assert registration.full_name not in output
        assert registration.email not in output
        assert registration.reference not in output


def test_nothing_is_touched_before_the_period_is_over(event, registrations):
    with time_machine.travel(MEETING_ENDS + 180 * DAY, tick=False):
        output = purge()
    assert "lima-2024" in output and "kept until 2025-02-11 13:00" in output
    assert "0 registrations anonymised" in output
    assert not Registration.objects.anonymised().exists()
    with time_machine.travel(MEETING_ENDS + 180 * DAY + datetime.timedelta(seconds=1)):
        purge()
    assert Registration.objects.anonymised().count() == 3


def test_the_period_comes_from_the_settings_or_the_command_line(event, registrations, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    with time_machine.travel(MEETING_ENDS + 31 * DAY, tick=False):
        assert "Retention: 60 days" in purge("--days", "60")
        assert not Registration.objects.anonymised().exists()
        assert "Retention: 30 days" in purge()
    assert Registration.objects.anonymised().count() == 3


def test_days_zero_anonymises_right_after_the_end_and_never_before(event, registrations):
    with time_machine.travel(MEETING_ENDS - datetime.timedelta(minutes=1), tick=False):
        purge("--days", "0")
    assert not Registration.objects.anonymised().exists()
    with time_machine.travel(MEETING_ENDS + datetime.timedelta(minutes=1), tick=False):
        purge("--days", "0")
    assert Registration.objects.anonymised().count() == 3


def test_event_limits_the_purge_to_that_event(event, registrations):
    later = open_event(
        slug="lima-2025",
        starts_at=MEETING_ENDS + 200 * DAY - datetime.timedelta(hours=4),
        ends_at=MEETING_ENDS + 200 * DAY,
    )
    with time_machine.travel(REGISTERED_AT, tick=False):
        other = services.register(
            event=later,
            user=participant("pedro@example.org"),
            details=details(AudienceCategoryFactory(event=later)),
        )
    with time_machine.travel(MEETING_ENDS + 400 * DAY, tick=False):
        purge("--event", "lima-2024")
    other.refresh_from_db()
    assert not other.is_anonymised
    assert Registration.objects.anonymised().count() == 3


def test_an_unknown_event_or_a_negative_period_is_an_error():
    with pytest.raises(CommandError, match="No event has the slug"):
        purge("--event", "nowhere")
    with pytest.raises(CommandError, match="zero or more"):
        purge("--days", "-1")


def test_a_dry_run_says_what_would_happen_and_changes_nothing(event, registrations):
    with time_machine.travel(MEETING_ENDS + 181 * DAY, tick=False):
        output = purge("--dry-run")
    assert "3 registrations would be anonymised" in output
    assert "nothing changed" in output
    assert not Registration.objects.anonymised().exists()


def test_running_it_again_changes_nothing_more(event, registrations):
    with time_machine.travel(MEETING_ENDS + 181 * DAY, tick=False):
        purge()
        first = list(
            Registration.objects.values_list("pk", "reference", "personal_token", "updated_at")
        )
    with time_machine.travel(MEETING_ENDS + 190 * DAY, tick=False):
        output = purge()
    assert "0 registrations anonymised, 3 already anonymised" in output
    assert (
        list(Registration.objects.values_list("pk", "reference", "personal_token", "updated_at"))
        == first
    )


def test_the_accounts_remain_but_no_longer_lead_to_the_registrations(client, event, registrations):
    ana = registrations[0]
    with time_machine.travel(MEETING_ENDS + 181 * DAY, tick=False):
        purge()
    assert get_user_model().objects.filter(pk=ana.user_id).exists()
    client.force_login(ana.user)
    exported = client.get(reverse("registration:export-data")).json()
    assert exported["registrations"] == []
    feed = client.get(reverse("registration:personal-feed", kwargs={"token": ana.personal_token}))
    assert feed.status_code == 404


def test_the_addresses_of_messages_sent_to_them_are_erased(event, registrations):
    ana = registrations[0]
    message = Message.objects.create(
        event=event,
        subject_es="Aviso",
        body_es="Texto",
        audience="all",
        submission_key=uuid.uuid4(),
    )
    MessageDelivery.objects.create(
        message=message,
        registration=ana,
        email=ana.email,
        language="es",
        status=MessageDelivery.Status.FAILED,
        error="550 <ana@example.org>: mailbox unavailable",
    )
    with time_machine.travel(MEETING_ENDS + 181 * DAY, tick=False):
        purge()
    delivery = MessageDelivery.objects.get()
    assert (delivery.email, delivery.error, delivery.status) == (
        "",
        "",
        MessageDelivery.Status.FAILED,
    )


def test_due_for_anonymisation_is_a_question_about_the_events_end(event, registrations):
    due = Registration.objects.due_for_anonymisation
    assert not due(MEETING_ENDS + 180 * DAY, 180).exists()
    assert due(MEETING_ENDS + 180 * DAY + datetime.timedelta(seconds=1), 180).count() == 3
    registrations[0].anonymise()
    assert due(MEETING_ENDS + 181 * DAY, 180).count() == 2
