"""Stand-ins for a mail server and a task queue that are down, for the tests that survive them."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend
from django.tasks.backends.base import BaseTaskBackend

FAILING_MAILER = {"default": {"BACKEND": "tests.registration.backends.FailingEmailBackend"}}
BROKEN_QUEUE = {"default": {"BACKEND": "tests.registration.backends.BrokenQueueBackend"}}


class FailingEmailBackend(BaseEmailBackend):
    """Refuses every message, as an SMTP server that is down or rejects the login would."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class BrokenQueueBackend(BaseTaskBackend):
    """A task queue that cannot even accept a job (its broker is unreachable)."""

    def enqueue(self, task, args, kwargs):
        raise ConnectionError("The task queue is unreachable")
