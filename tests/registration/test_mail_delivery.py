"""
Mail through the real queue: the database task backend, `manage.py db_worker`, and a real SMTP
server on loopback (aiosmtpd) that the tests stop and start.

These tests commit (transaction=True): the requests queue mail on commit, and the worker, like the
real one, manages its own transactions. A committing test ends with an empty database, without
the groups the migrations create: staff here hold their permissions directly, and one ordinary
test checks what the migration grants the groups.
"""

import datetime
import logging
import signal
import socket
from collections import Counter
from email import message_from_bytes, policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from mailqueue import MailDeferred, retry_delay, send_stored_email
from registration.emails import Kind
from registration.models import Message, MessageDelivery, Registration
from registration.tasks import send_message_delivery, send_registration_email
from tests.agenda.factories import SessionFactory, lima

from .factories import (
    AudienceCategoryFactory,
    RegistrationFactory,
    UserFactory,
    open_event,
    verified_user,
)
from .staff import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Inside the event's registration window (2024-07-01 to 2030-01-01), at a fixed instant.
NOW = datetime.datetime(2025, 3, 3, 14, 0, tzinfo=datetime.UTC)
UNDELIVERED = "/en/admin/registration/undeliveredmail/"
MAIL_DEFERRED = f"{MailDeferred.__module__}.{MailDeferred.__qualname__}"


class Inbox:
    """The aiosmtpd handler: keeps every message the server accepted, with its envelope."""

    def __init__(self):
        self.messages = []
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def count_by_recipient(self):
        return Counter(address for recipients, _message in self.messages for address in recipients)


class MailServer:
    """A real SMTP server on a free loopback port, down until `start()`."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def mail_server(settings):
    """Points the site's mail at the server, and its tasks at the database queue."""
    server = MailServer()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 5},
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    yield server
    server.stop()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def run_worker():
    """`manage.py db_worker --batch`: runs every task that is due, then stops."""
    # The worker takes over SIGINT and SIGTERM and sets its loggers' levels: give them back.
    signals = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    loggers = [logging.getLogger(name) for name in ("django.tasks", "django_tasks_db")]
    levels = [logger.level for logger in loggers]
    try:
        call_command(
            "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0
        )
    finally:
        for number, handler in signals.items():
            signal.signal(number, handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def tasks_of(mail_task, status=None):
    rows = DBTaskResult.objects.filter(task_path=mail_task.module_path)
    return rows.filter(status=status) if status else rows


def staff_with(*codenames):
    """A staff member holding exactly `codenames` of the registration app's permissions."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="registration", codename__in=codenames)
    )
    return user


ORGANISER = ("view_undeliveredmail", "resend_undeliveredmail")


def register_through_the_site(client, event, category, user):
    client.force_login(user)
    with translation.override("en"):
        path = reverse("registration:register", kwargs={"event_slug": event.slug})
    return client.post(
        path,
        {
            "attendance_mode": "in_person",
            "category": category.pk,
            "full_name": f"Participant {user.pk}",
            "position": "Directora",
            "organisation": "Ministerio de Comercio Exterior",
            "country": "PE",
            "preferred_language": "en",
            "privacy_consent": "on",
            "website": "",
        },
    )


@pytest.fixture
def event():
    event = open_event(in_person_places=10)
    SessionFactory(event=event, starts_at=lima(9), ends_at=lima(10))
    return event


def test_mail_server_down_while_five_register_then_every_mail_arrives_exactly_once(
    client, mail_server, clock, event, settings
):
    settings.MAIL_RETRY_DELAY = 60
    category = AudienceCategoryFactory(event=event)
    people = [verified_user() for _ in range(5)]
    with translation.override("en"):
        my_registration = reverse("registration:my-registration", kwargs={"event_slug": event.slug})

    # The server is down: each registration still succeeds, and its request only queues the mail.
    for person in people:
        response = register_through_the_site(client, event, category, person)
        assert response.status_code == 302
        assert response["Location"] == my_registration
    assert Registration.objects.confirmed().count() == 5
    queued = tasks_of(send_registration_email)
    assert sorted(row.args_kwargs["args"][0] for row in queued) == sorted(
        Registration.objects.values_list("pk", flat=True)
    )
    assert {(row.status, row.started_at) for row in queued} == {(TaskResultStatus.READY, None)}

    # The worker tries each once; every attempt fails and queues the next a minute later.
    run_worker()
    failed = tasks_of(send_registration_email, TaskResultStatus.FAILED)
    assert failed.count() == 5
    assert {row.exception_class_path for row in failed} == {MAIL_DEFERRED}
    assert all("ConnectionRefusedError" in row.traceback for row in failed)
    retries = tasks_of(send_registration_email, TaskResultStatus.READY)
    assert retries.count() == 5
    assert {row.run_after for row in retries} == {NOW + datetime.timedelta(seconds=60)}
    assert {row.args_kwargs["kwargs"]["attempt"] for row in retries} == {2}

    # Before the back-off has passed, the worker leaves the retries alone.
    clock.shift(datetime.timedelta(seconds=59))
    run_worker()
    assert tasks_of(send_registration_email, TaskResultStatus.READY).count() == 5

    # The server is back, the back-off has passed: every mail arrives once.
    mail_server.start()
    clock.shift(datetime.timedelta(seconds=2))
    run_worker()
    assert tasks_of(send_registration_email, TaskResultStatus.SUCCESSFUL).count() == 5
    assert mail_server.inbox.count_by_recipient() == Counter(person.email for person in people)
    subjects = {message["Subject"] for _recipients, message in mail_server.inbox.messages}
    assert subjects == {f"Registration confirmed – {event.title_en}"}

    # Nothing is left to send: later runs send nothing twice.
    clock.shift(datetime.timedelta(hours=2))
    run_worker()
    assert len(mail_server.inbox.messages) == 5
    assert not tasks_of(send_registration_email, TaskResultStatus.READY).exists()


def test_retries_wait_twice_as_long_each_time_and_stop_after_the_last(
    mail_server, clock, event, settings
):
    settings.MAIL_RETRIES, settings.MAIL_RETRY_DELAY = 3, 60
    registration = RegistrationFactory(event=event)
    send_registration_email.enqueue(registration.pk, Kind.CONFIRMED)

    waits = []
    for _attempt in range(4):
        run_worker()
        retry = tasks_of(send_registration_email, TaskResultStatus.READY).first()
        if retry is None:
            break
        waits.append(retry.run_after - timezone.now())
        clock.move_to(retry.run_after)

    assert waits == [datetime.timedelta(minutes=minutes) for minutes in (1, 2, 4)]
    assert [retry_delay(attempt).total_seconds() for attempt in (1, 2, 3)] == [60, 120, 240]
    attempts = sorted(
        tasks_of(send_registration_email),
        key=lambda row: row.args_kwargs["kwargs"].get("attempt", 1),
    )
    assert [row.args_kwargs["kwargs"].get("attempt", 1) for row in attempts] == [1, 2, 3, 4]
    assert {row.status for row in attempts} == {TaskResultStatus.FAILED}
    # The last attempt gave up: its error is the server's, not a deferral.
    assert [row.exception_class_path for row in attempts] == [MAIL_DEFERRED] * 3 + [
        "builtins.ConnectionRefusedError"
    ]
    assert mail_server.inbox.messages == []


def test_a_mailbox_the_server_refuses_for_good_is_not_retried(mail_server, clock, event):
    registration = RegistrationFactory(event=event, email="nobody@example.org")
    mail_server.inbox.refuse.add("nobody@example.org")
    mail_server.start()
    send_registration_email.enqueue(registration.pk, Kind.CONFIRMED)

    run_worker()

    [attempt] = tasks_of(send_registration_email)
    assert attempt.status == TaskResultStatus.FAILED
    assert attempt.exception_class_path == "smtplib.SMTPRecipientsRefused"


def test_account_mails_are_rendered_in_the_request_and_sent_by_the_worker(
    client, mail_server, clock
):
    response = client.post(
        "/en/accounts/signup/",
        {
            "email": "ana.quispe@example.org",
            "password1": "a-long-Secret-42",
            "password2": "a-long-Secret-42",
        },
    )
    assert response.status_code == 302
    [queued] = tasks_of(send_stored_email)
    assert queued.status == TaskResultStatus.READY
    [message] = queued.args_kwargs["args"]
    assert message["to"] == ["ana.quispe@example.org"]
    assert "/en/accounts/confirm-email/" in message["body"]

    mail_server.start()
    run_worker()

    [(recipients, sent)] = mail_server.inbox.messages
    assert recipients == ["ana.quispe@example.org"]
    assert sent["Subject"] == message["subject"]
    assert "/en/accounts/confirm-email/" in sent.get_body(preferencelist=("plain",)).get_content()


def test_an_organisers_message_stays_queued_while_retrying_and_is_failed_once_given_up(
    mail_server, clock, event, settings
):
    settings.MAIL_RETRIES = 1
    registration = RegistrationFactory(event=event, preferred_language="en")
    message = Message.objects.create(
        event=event,
        subject_es="Aviso",
        subject_en="Notice",
        body_es="Texto",
        body_en="Text",
        audience="All",
        submission_key="6f1b7a4e-6a55-4c1f-a07a-0f6c5b5ad3a1",
    )
    delivery = MessageDelivery.objects.create(
        message=message, registration=registration, email=registration.email, language="en"
    )
    send_message_delivery.enqueue(delivery.pk)

    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == MessageDelivery.Status.QUEUED
    assert "ConnectionRefusedError" in delivery.error

    clock.shift(retry_delay(1))
    run_worker()
    delivery.refresh_from_db()
    assert delivery.status == MessageDelivery.Status.FAILED


def fail_for_good(registration, clock, settings):
    """Runs the worker until the mail of `registration` gives up (the server being down)."""
    settings.MAIL_RETRIES = 1
    send_registration_email.enqueue(registration.pk, Kind.CONFIRMED)
    run_worker()
    clock.shift(retry_delay(1))
    run_worker()


def test_organisers_see_mail_that_never_left_and_send_it_again_once(
    client, mail_server, clock, event, settings
):
    registration = RegistrationFactory(event=event, email="ana.quispe@example.org")
    fail_for_good(registration, clock, settings)
    # A password reset that never left either: its link must not show in admin.
    send_stored_email.enqueue(
        {
            "subject": "[SGCAN] Password reset",
            "body": "https://forum.example.org/accounts/password/reset/key/secret-reset-key/",
            "content_subtype": "plain",
            "from_email": "no-reply@example.org",
            "to": ["luis.mamani@example.org"],
            "cc": [],
            "bcc": [],
            "reply_to": [],
            "headers": {},
            "alternatives": [],
        }
    )
    run_worker()
    clock.shift(retry_delay(1))
    run_worker()
    organiser = sign_in(client, staff_with(*ORGANISER))

    page = client.get(UNDELIVERED)

    assert page.status_code == 200
    content = page.content.decode()
    assert "ana.quispe@example.org" in content
    assert f"Registration confirmed ({registration.reference})" in content
    assert "luis.mamani@example.org" in content and "[SGCAN] Password reset" in content
    assert "Connection refused" in content
    assert "secret-reset-key" not in content
    assert len(page.context["cl"].result_list) == 2

    mail_server.start()
    [given_up] = [
        row
        for row in page.context["cl"].result_list
        if row.task_path.endswith("registration_email")
    ]
    send_again = {"action": "send_again", "_selected_action": [str(given_up.pk)]}
    response = client.post(UNDELIVERED, send_again, follow=True)
    assert "1 e-mail is queued to be sent again." in response.content.decode()
    response = client.post(UNDELIVERED, send_again, follow=True)
    assert "1 e-mail had already been sent again and was left alone." in response.content.decode()
    run_worker()

    assert mail_server.inbox.count_by_recipient() == Counter({"ana.quispe@example.org": 1})
    # Two minutes of retries after 14:00 UTC, which is 09:00 in Lima, the site's time zone.
    listing = client.get(UNDELIVERED).content.decode()
    assert f"March 3, 2025, 9:02 a.m. by {organiser.username}" in listing
    detail = client.get(f"{UNDELIVERED}{given_up.pk}/change/")
    assert detail.status_code == 200
    assert "ana.quispe@example.org" in detail.content.decode()


def test_undelivered_mail_is_only_for_organisers(client, mail_server, clock, event, settings):
    fail_for_good(RegistrationFactory(event=event), clock, settings)

    assert client.get(UNDELIVERED).status_code == 302
    sign_in(client, staff_with("check_in_participants"))
    assert client.get(UNDELIVERED).status_code == 403
    sign_in(client, staff_with(*ORGANISER))
    # The rest of the task queue stays with the superusers.
    assert client.get("/en/admin/django_tasks_database/dbtaskresult/").status_code == 403
    assert client.get(UNDELIVERED).status_code == 200


@pytest.mark.django_db
def test_organisers_may_see_and_resend_undelivered_mail_and_check_in_staff_may_not():
    def codenames(group):
        permissions = Group.objects.get(name=group).permissions
        return set(
            permissions.filter(codename__endswith="undeliveredmail").values_list(
                "codename", flat=True
            )
        )

    assert codenames("Organisers") == set(ORGANISER)
    assert codenames("Check-in staff") == set()
