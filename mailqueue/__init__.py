"""
The mail queue: project infrastructure every app sends through, and which imports none of them.

Mail leaves through django.tasks tasks made with `mail_task`: in production the task waits in the
database for the worker (`manage.py db_worker`), so no request waits on the mail server. An attempt
the server refuses for a while is queued again after a back-off (`retry_later`: MAIL_RETRY_DELAY,
doubled each time, up to MAIL_RETRIES attempts), and a mail that keeps failing stays in the task
table, where admin lists it for an organiser to send again (registration/mail_admin.py).

Apps build their messages themselves (registration/emails.py) and define the tasks that send them
(registration/tasks.py); a message already rendered in a request (allauth's) is queued as plain
data with `send_stored_email`.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)


class MailDeferred(Exception):
    """An attempt failed and the next one is queued: the attempt's outcome, not a call to act."""


# The tasks that send mail, by import path: admin lists those that gave up.
MAIL_TASKS = set()


def mail_task(function):
    """A django.tasks task that sends mail and takes `attempt` (1, 2, …) as its last argument."""
    mail = task(function)
    MAIL_TASKS.add(mail.module_path)
    return mail


def is_temporary(error):
    """Whether the mail server may take the message later: down, unreachable or busy (4xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code < 500
    # A refused or dropped connection, a timeout: smtplib's other errors are OSErrors too.
    return isinstance(error, OSError)


def retry_delay(attempt):
    """The wait after failed attempt number `attempt`: MAIL_RETRY_DELAY, doubled each time."""
    return datetime.timedelta(seconds=settings.MAIL_RETRY_DELAY * 2 ** (attempt - 1))


def retry_later(mail, args, *, attempt, error):
    """
    After a failed attempt of the mail task `mail`: if `error` may pass and retries remain, queue
    the next attempt after a back-off and raise MailDeferred; otherwise return, and the caller gives
    up (re-raises the error, which admin then shows as undelivered).

    django.tasks retries nothing by itself, so each retry is a new task that runs after the wait;
    only a backend that can defer a task holds it (the database one). The immediate backend, used
    while developing, gives up at once.
    """
    if not is_temporary(error) or attempt > settings.MAIL_RETRIES:
        return
    if not mail.get_backend().supports_defer:
        return
    run_after = timezone.now() + retry_delay(attempt)
    mail.using(run_after=run_after).enqueue(*args, attempt=attempt + 1)
    raise MailDeferred(
        f"Attempt {attempt} failed ({error!r}); attempt {attempt + 1} runs after {run_after}"
    ) from error


def email_as_data(email):
    """What the task queue stores of a rendered message: JSON-serialisable fields only."""
    if email.attachments:
        # allauth's mails have none; a file would not survive the trip through JSON as it is.
        raise ValueError("Attachments cannot be queued with a stored e-mail.")
    return {
        "subject": email.subject,
        "body": email.body,
        "content_subtype": email.content_subtype,
        "from_email": email.from_email,
        "to": list(email.to),
        "cc": list(email.cc),
        "bcc": list(email.bcc),
        "reply_to": list(email.reply_to),
        "headers": dict(email.extra_headers),
        "alternatives": [
            [content, mimetype] for content, mimetype in getattr(email, "alternatives", [])
        ],
    }


def email_from_data(data):
    """The message `email_as_data` stored, ready to send."""
    email = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    email.content_subtype = data["content_subtype"]
    for content, mimetype in data["alternatives"]:
        email.attach_alternative(content, mimetype)
    return email


@mail_task
def send_stored_email(message, attempt=1):
    """Send a message stored by `email_as_data` (allauth's mails: forum/account_adapter.py)."""
    try:
        email_from_data(message).send()
    except Exception as error:
        logger.exception("Could not send the e-mail %r (attempt %s)", message["subject"], attempt)
        retry_later(send_stored_email, (message,), attempt=attempt, error=error)
        raise
    return "sent"
