"""
E-mails to participants, in their own language, plain text with an HTML alternative.

Mail leaves only after the database has committed (`send_after_commit`), through a django.tasks
task: a failing mail server can neither lose nor roll back a registration. In production the
task waits in the database for the worker (`manage.py db_worker`), so no request waits on the mail
server; an attempt the server refuses for a while is queued again after a back-off
(`retry_later`), and a mail that keeps failing waits in admin for an organiser to re-send it
(registration/mail_admin.py). allauth's own mails take the same path (forum/account_adapter.py).

What only a confirmed virtual participant may see (the personal join link, the platform's access
details) enters the templates' context only for them, and the templates read it only from there,
never from the event's private fields: no other mail can show it by mistake.
"""

import datetime
import logging
import re
import smtplib
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agenda.timezones import format_offset, utc_offset, zone_city

from .calendars import join_path, personal_calendar_bytes
from .qr import reference_qr, reference_qr_png

logger = logging.getLogger(__name__)


class Kind(models.TextChoices):
    CONFIRMED = "confirmed", _("Registration confirmed")
    WAITING_LIST = "waiting_list", _("On the waiting list")
    PROMOTED = "promoted", _("A place became free: you are confirmed")
    PENDING_APPROVAL = "pending_approval", _("Registration received, pending approval")
    APPROVED = "approved", _("Registration approved")
    DECLINED = "declined", _("Registration declined")
    CANCELLED = "cancelled", _("Registration cancelled")
    # Not "tomorrow": an organiser may send it on another day with `send_reminders --event`.
    REMINDER = "reminder", _("Reminder")
    # Sent by organisers from the admin (registration.messaging), recorded as MessageDelivery rows.
    AGENDA_CHANGED = "agenda_changed", _("The agenda has changed")
    MESSAGE = "message", _("Message from the organisers")


# Mails that carry the participant's calendar: they confirm a place, or the agenda moved.
KINDS_WITH_CALENDAR = {
    Kind.CONFIRMED,
    Kind.PROMOTED,
    Kind.APPROVED,
    Kind.REMINDER,
    Kind.AGENDA_CHANGED,
}
# Mails that confirm a seat in the room carry the reference's QR code, shown at the entrance.
KINDS_WITH_QR_CODE = {Kind.CONFIRMED, Kind.PROMOTED, Kind.APPROVED, Kind.REMINDER}
# Mails about a registration that no longer holds a place: where and how to attend is moot.
KINDS_WITHOUT_ATTENDANCE = {Kind.DECLINED, Kind.CANCELLED}
# Pixels per QR module: 174 px for the reference's code, legible on a phone held to a scanner.
QR_CODE_SCALE = 6

# The Andean Community's capitals: participants from its member countries read the meeting's hours
# against their own capital, so the mail names those that share the meeting's clock that day.
ANDEAN_ZONES = ("America/Lima", "America/Bogota", "America/Guayaquil", "America/La_Paz")


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


def join_url(registration):
    """The personal redirect that checks the registration when clicked; never the platform's link."""
    return absolute_url(join_path(registration))


def clock_cities(event):
    """“Lima, Bogotá, Quito”: the event's city, then the Andean capitals on the same clock then."""
    offset = utc_offset(event.time_zone, event.starts_at)
    names = [event.time_zone] + [
        name
        for name in ANDEAN_ZONES
        if name != event.time_zone and utc_offset(name, event.starts_at) == offset
    ]
    return ", ".join(str(zone_city(name)) for name in names)


def meeting_hours(event):
    """“09:00–13:00 Lima, Bogotá, Quito time (UTC−5)”, in the active language."""
    hours = f"{event.local_starts_at:%H:%M}–{event.local_ends_at:%H:%M}"
    label = gettext("%(time)s %(city)s time") % {"time": hours, "city": clock_cities(event)}
    return f"{label} ({format_offset(utc_offset(event.time_zone, event.starts_at))})"


def _tidy_text(text):
    # Template tags leave blank lines where a condition was false; mail readers show them all.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def message_context(registration, kind):
    """What the templates may show; call it with the participant's language active."""
    event = registration.event
    may_join_online = registration.may_join_online
    return {
        "registration": registration,
        "event": event,
        "kind": kind,
        "subject": f"{kind.label} – {event.title}",
        "greeting_name": " ".join(
            part for part in (registration.honorific, registration.full_name) if part
        ),
        "meeting_date": date_format(event.local_starts_at, "DATE_FORMAT"),
        "meeting_hours": meeting_hours(event),
        "arrival_time": f"{event.local_starts_at:%H:%M}",
        "venue": ", ".join(part for part in (event.venue_name, event.venue_address) if part),
        "show_attendance": kind not in KINDS_WITHOUT_ATTENDANCE,
        "waiting_position": registration.waiting_position(),
        "has_calendar": kind in KINDS_WITH_CALENDAR and registration.is_confirmed,
        "join_url": join_url(registration) if may_join_online else "",
        "access_details": event.virtual_access_details if may_join_online else "",
        "room_is_published": bool(event.virtual_join_url),
        "organisers": [str(organisation) for organisation in event.organisers.all()],
        "my_registration_url": absolute_url(registration.get_absolute_url()),
        "event_url": absolute_url(event.get_absolute_url()),
        "privacy_notice_url": absolute_url(reverse("registration:privacy-notice")),
        "site_url": settings.SITE_URL,
    }


def _agenda_lines(event):
    """“09:00–09:30 Opening” for each session, in the event's clock and the active language."""
    zone = event.zone
    return [
        {
            "hours": f"{timezone.localtime(session.starts_at, zone):%H:%M}–"
            f"{timezone.localtime(session.ends_at, zone):%H:%M}",
            "title": session.title,
        }
        for session in event.sessions.order_by("starts_at", "pk")
    ]


class ParticipantEmail(EmailMultiAlternatives):
    """
    A mail whose HTML part may show images of its own, such as the reference's QR code: each is a
    PNG (mail clients block SVG and data: URIs) in a multipart/related with the HTML, which refers
    to it as cid:… (RFC 2387). They are not in `attachments`: they are part of the HTML.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = []  # (content id without <>, PNG bytes, file name)

    def add_inline_png(self, content, filename):
        """Keep a PNG for the HTML part; returns the content id the HTML's <img src="cid:…"> uses."""
        # A domain of our own: without one, make_msgid() asks the DNS for this machine's name.
        content_id = make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")[1:-1]
        self.inline_images.append((content_id, content, filename))
        return content_id

    def message(self, **kwargs):
        mime = super().message(**kwargs)
        if self.inline_images:
            html = mime.get_body(preferencelist=("html",))
            for content_id, content, filename in self.inline_images:
                html.add_related(
                    content,
                    maintype="image",
                    subtype="png",
                    cid=f"<{content_id}>",
                    disposition="inline",
                    filename=filename,
                )
        return mime


def build_message(registration, kind, *, message=None):
    """
    The e-mail for `registration`, rendered in the participant's preferred language.

    `message` (a registration.models.Message) brings the organisers' own words to the MESSAGE and
    AGENDA_CHANGED kinds, in the participant's language.
    """
    kind = Kind(kind)
    event = registration.event
    language = registration.preferred_language
    with translation.override(language):
        context = message_context(registration, kind)
        if message is not None:
            context["message_body"] = message.body_in(language)
            if kind == Kind.MESSAGE and message.subject_in(language):
                context["subject"] = f"{message.subject_in(language)} – {event.title}"
        if kind == Kind.AGENDA_CHANGED:
            context["agenda"] = _agenda_lines(event)
        email = ParticipantEmail(
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[registration.email],
            # RFC 3834: out-of-office replies should not answer an automatic message.
            headers={"Auto-Submitted": "auto-generated"},
        )
        if kind in KINDS_WITH_QR_CODE and registration.is_confirmed and registration.is_in_person:
            reference = registration.reference
            context["qr_code_cid"] = email.add_inline_png(
                reference_qr_png(reference, scale=QR_CODE_SCALE), f"{reference}.png"
            )
            context["qr_code_size"] = reference_qr(reference).symbol_size(scale=QR_CODE_SCALE)[0]
        text = render_to_string(f"registration/email/{kind.value}.txt", context)
        html = render_to_string(f"registration/email/{kind.value}.html", context)
        email.subject = context["subject"]
        email.body = _tidy_text(text)
        email.attach_alternative(html, "text/html")
        if context["has_calendar"]:
            email.attach(
                f"{event.slug}.ics", personal_calendar_bytes(registration), "text/calendar"
            )
    return email


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


@mail_task
def send_registration_email(registration_id, kind, attempt=1):
    from .models import Registration

    registration = (
        Registration.objects.select_related("event", "category").filter(pk=registration_id).first()
    )
    if registration is None:
        return "gone"
    if kind == Kind.REMINDER and not registration.is_confirmed:
        # Cancelled between the reminder run and the sending: a reminder would mislead.
        return "no longer confirmed"
    try:
        build_message(registration, kind).send()
    except Exception as error:
        logger.exception(
            "Could not send the %s e-mail for registration %s (attempt %s)",
            kind,
            registration_id,
            attempt,
        )
        # The reminder's claim stays while a retry is queued: a `send_reminders` run meanwhile
        # must not send it a second time.
        retry_later(send_registration_email, (registration_id, kind), attempt=attempt, error=error)
        if kind == Kind.REMINDER:
            # Given up: release the claim so the next `send_reminders` run tries again.
            Registration.objects.filter(pk=registration_id).update(reminder_sent_at=None)
        raise
    return "sent"


def send_after_commit(registration, kind):
    """Queue the e-mail once the surrounding transaction has committed."""
    registration_id, kind = registration.pk, str(kind)
    # robust: a task queue that cannot even accept the job is logged, and the committed
    # registration's request still succeeds.
    transaction.on_commit(
        lambda: send_registration_email.enqueue(registration_id, kind), robust=True
    )


@mail_task
def send_message_delivery(delivery_id, attempt=1):
    """Send one recipient's copy of an organisers' message and record whether it left."""
    from .models import MessageDelivery

    delivery = (
        MessageDelivery.objects.select_related(
            "message", "registration__event", "registration__category"
        )
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "gone"
    if delivery.status == MessageDelivery.Status.SENT:
        return "already sent"
    deliveries = MessageDelivery.objects.filter(pk=delivery_id)
    try:
        email = build_message(
            delivery.registration, delivery.message.kind, message=delivery.message
        )
        email.to = [delivery.email]
        email.send()
    except Exception as error:
        logger.exception(
            "Could not send message %s to delivery %s", delivery.message_id, delivery_id
        )
        # Still queued while a retry waits; failed once the retries are spent.
        deliveries.update(error=repr(error)[:300])
        retry_later(send_message_delivery, (delivery_id,), attempt=attempt, error=error)
        deliveries.update(status=MessageDelivery.Status.FAILED)
        raise
    deliveries.update(status=MessageDelivery.Status.SENT, sent_at=timezone.now(), error="")
    return "sent"


def send_delivery_after_commit(delivery):
    """Queue one recipient's copy of an organisers' message once the transaction has committed."""
    delivery_id = delivery.pk
    transaction.on_commit(lambda: send_message_delivery.enqueue(delivery_id), robust=True)
