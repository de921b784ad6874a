"""
`send_reminders`: the day-before reminder, once per participant.

These tests commit for real (transaction=True): the mail leaves on commit, and the command's
summary counts what the mail server did.
"""

import datetime
import io
import logging
import zoneinfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from registration.emails import Kind
from registration.models import AttendanceMode, Registration
from registration.services import send_reminder_once

from .backends import FAILING_MAILER
from .factories import RegistrationFactory, open_event

pytestmark = pytest.mark.django_db(transaction=True)

LIMA = zoneinfo.ZoneInfo("America/Lima")
Status = Registration.Status
IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
LOCMEM_MAILER = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def lima_time(day, hour, minute=0):
    return datetime.datetime(2024, 8, day, hour, minute, tzinfo=LIMA)


# The day before the meeting (15 August 2024, 09:00–13:00 Lima), mid-morning in Lima.
THE_DAY_BEFORE = lima_time(14, 10)


@pytest.fixture
def event():
    return open_event(in_person_places=10)


@pytest.fixture
def confirmed(event):
    return {
        IN_PERSON: RegistrationFactory(event=event, attendance_mode=IN_PERSON),
        VIRTUAL: RegistrationFactory(event=event, attendance_mode=VIRTUAL, preferred_language="en"),
    }


@pytest.fixture
def not_confirmed(event):
    return [
        RegistrationFactory(event=event, status=Status.WAITING_LIST, queued_at=timezone.now()),
        RegistrationFactory(event=event, status=Status.PENDING_APPROVAL),
        RegistrationFactory(event=event, status=Status.CANCELLED, attendance_mode=VIRTUAL),
        RegistrationFactory(event=event, status=Status.DECLINED, attendance_mode=VIRTUAL),
    ]


def send_reminders(*arguments):
    out = io.StringIO()
    call_command("send_reminders", *arguments, stdout=out)
    return out.getvalue()


def sent_at(registration):
    return Registration.objects.get(pk=registration.pk).reminder_sent_at


def test_the_day_before_every_confirmed_participant_gets_one_reminder(
    event, confirmed, not_confirmed, mailoutbox
):
    with time_machine.travel(THE_DAY_BEFORE, tick=False):
        output = send_reminders()

    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        registration.email for registration in confirmed.values()
    )
    by_recipient = {message.to[0]: message for message in mailoutbox}
    in_person, virtual = (
        by_recipient[confirmed[IN_PERSON].email],
        by_recipient[confirmed[VIRTUAL].email],
    )
    with translation.override("es"):
        assert in_person.subject == f"{Kind.REMINDER.label} – {event.title_es}"
    assert virtual.subject == f"Reminder – {event.title_en}"
    assert "Sede de la Secretaría General de la Comunidad Andina, Lima, Perú" in in_person.body
    assert "/join/" not in in_person.body
    assert "Please connect a few minutes before 09:00." in virtual.body
    with translation.override("en"):
        join = reverse("registration:join", kwargs={"token": confirmed[VIRTUAL].personal_token})
    assert join in virtual.body
    assert event.virtual_join_url not in virtual.body
    for message in (in_person, virtual):
        [attachment] = message.attachments
        assert Calendar.from_ical(attachment.content)["METHOD"] == "PUBLISH"

    assert {sent_at(registration) for registration in confirmed.values()} == {THE_DAY_BEFORE}
    assert all(sent_at(registration) is None for registration in not_confirmed)
    assert f"{event.slug} (2024-08-15 09:00 America/Lima): 2 reminders sent" in output


def test_in_person_reminder_asks_to_arrive_before_the_start(event, mailoutbox):
    RegistrationFactory(event=event, preferred_language="en")
    with time_machine.travel(THE_DAY_BEFORE, tick=False):
        send_reminders()
    [message] = mailoutbox
    assert "Please arrive in good time before 09:00 to register at the entrance." in message.body
    assert "Premises of the General Secretariat of the Andean Community, Lima, Peru" in message.body


def test_running_again_sends_no_reminder_twice(event, confirmed, mailoutbox):
    with time_machine.travel(THE_DAY_BEFORE, tick=False):
        send_reminders()
    with time_machine.travel(THE_DAY_BEFORE + datetime.timedelta(hours=2), tick=False):
        output = send_reminders()
        output_for_the_event = send_reminders("--event", event.slug)
    assert len(mailoutbox) == 2
    assert "0 reminders sent, 2 already sent earlier." in output
    assert "0 reminders sent, 2 already sent earlier." in output_for_the_event
    assert {sent_at(registration) for registration in confirmed.values()} == {THE_DAY_BEFORE}


def test_a_participant_confirmed_after_the_first_run_is_reminded_by_the_next(
    event, confirmed, mailoutbox
):
    with time_machine.travel(THE_DAY_BEFORE, tick=False):
        send_reminders()
        latecomer = RegistrationFactory(event=event)
        output = send_reminders()
    assert [message.to for message in mailoutbox[2:]] == [[latecomer.email]]
    assert "1 reminders sent, 2 already sent earlier." in output


@pytest.mark.parametrize(
    "now",
    [lima_time(13, 10), lima_time(15, 8), lima_time(16, 10)],
    ids=["two days before", "the same morning", "the day after"],
)
def test_no_reminder_is_sent_on_any_other_day(event, confirmed, mailoutbox, now):
    with time_machine.travel(now, tick=False):
        output = send_reminders()
    assert mailoutbox == []
    assert output == "No event starts tomorrow: no reminders to send.\n"
    assert all(sent_at(registration) is None for registration in confirmed.values())


def test_tomorrow_is_read_on_the_events_clock_not_utc(event, confirmed, mailoutbox):
    # 20:00 in Lima on the 14th is already the 15th in UTC: the meeting is still tomorrow in Lima.
    late_evening = lima_time(14, 20)
    assert late_evening.astimezone(datetime.UTC).date() == datetime.date(2024, 8, 15)
    with time_machine.travel(late_evening, tick=False):
        send_reminders()
    assert len(mailoutbox) == 2


def test_unpublished_events_get_no_automatic_reminder(event, confirmed, mailoutbox):
    event.is_published = False
    event.save()
    with time_machine.travel(THE_DAY_BEFORE, tick=False):
        send_reminders()
    assert mailoutbox == []


def test_an_organiser_can_send_an_events_reminders_on_any_day(event, confirmed, mailoutbox):
    with time_machine.travel(lima_time(1, 9), tick=False):
        output = send_reminders("--event", event.slug)
    assert len(mailoutbox) == 2
    assert "2 reminders sent" in output


def test_an_unknown_event_is_a_clear_error(event):
    with pytest.raises(CommandError, match="No event has the slug 'no-such-meeting'"):
        send_reminders("--event", "no-such-meeting")


def test_a_dry_run_lists_who_would_be_reminded_and_sends_nothing(event, confirmed, mailoutbox):
    with time_machine.travel(THE_DAY_BEFORE, tick=False):
        output = send_reminders("--dry-run")
    assert mailoutbox == []
    assert all(sent_at(registration) is None for registration in confirmed.values())
    for registration in confirmed.values():
        assert f"would remind {registration.reference} ({registration.attendance_mode})" in output
        # The output may land in a cron log: no names or addresses in it.
        assert registration.email not in output and registration.full_name not in output
    assert "2 reminders would be sent, 0 already sent (dry run: nothing sent)." in output


def test_a_reminder_claimed_by_a_simultaneous_run_is_not_sent_again(event, mailoutbox):
    registration = RegistrationFactory(event=event)
    stale = Registration.objects.get(pk=registration.pk)
    # Another run claims it between our reading the list and our sending.
    Registration.objects.filter(pk=registration.pk).update(reminder_sent_at=THE_DAY_BEFORE)
    assert stale.reminder_sent_at is None
    assert send_reminder_once(stale) is False
    assert mailoutbox == []
    assert sent_at(registration) == THE_DAY_BEFORE


def test_a_registration_cancelled_before_the_claim_gets_no_reminder(event, mailoutbox):
    registration = RegistrationFactory(event=event)
    stale = Registration.objects.get(pk=registration.pk)
    Registration.objects.filter(pk=registration.pk).update(status=Status.CANCELLED)
    assert send_reminder_once(stale) is False
    assert mailoutbox == []


def test_a_registration_cancelled_between_the_claim_and_the_sending_gets_no_reminder(
    event, mailoutbox
):
    registration = RegistrationFactory(event=event)
    with transaction.atomic():
        assert send_reminder_once(registration) is True
        Registration.objects.filter(pk=registration.pk).update(status=Status.CANCELLED)
    assert mailoutbox == []


def test_a_failed_reminder_is_logged_and_retried_by_the_next_run(
    event, settings, caplog, mailoutbox
):
    registration = RegistrationFactory(event=event)
    settings.MAILERS = FAILING_MAILER
    with (
        time_machine.travel(THE_DAY_BEFORE, tick=False),
        caplog.at_level(logging.ERROR),
        pytest.raises(CommandError, match="1 reminders could not be sent"),
    ):
        send_reminders()
    assert sent_at(registration) is None
    assert any(
        record.name == "registration.tasks" and "reminder e-mail" in record.getMessage()
        for record in caplog.records
    )

    settings.MAILERS = LOCMEM_MAILER
    with time_machine.travel(THE_DAY_BEFORE + datetime.timedelta(hours=1), tick=False):
        output = send_reminders()
    assert [message.to for message in mailoutbox] == [[registration.email]]
    assert "1 reminders sent, 0 already sent earlier." in output
