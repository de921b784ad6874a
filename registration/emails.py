"""
E-mails to participants, in their own language, plain text with an HTML alternative.

Mail leaves only after the database has committed (`send_after_commit`), through a django.tasks
task: a failing mail server can neither lose nor roll back a registration. The failure is logged
and the task backend decides about retries.

What only a confirmed virtual participant may see (the personal join link, the platform's access
details) enters the templates' context only for them, and the templates read it only from there,
never from the event's private fields: no other mail can show it by mistake.
"""

import logging
import re

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


# Mails that carry the participant's calendar: they confirm a place.
KINDS_WITH_CALENDAR = {Kind.CONFIRMED, Kind.PROMOTED, Kind.APPROVED, Kind.REMINDER}
# Mails about a registration that no longer holds a place: where and how to attend is moot.
KINDS_WITHOUT_ATTENDANCE = {Kind.DECLINED, Kind.CANCELLED}

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


def build_message(registration, kind):
    """The e-mail for `registration`, rendered in the participant's preferred language."""
    kind = Kind(kind)
    event = registration.event
    with translation.override(registration.preferred_language):
        context = message_context(registration, kind)
        text = render_to_string(f"registration/email/{kind.value}.txt", context)
        html = render_to_string(f"registration/email/{kind.value}.html", context)
        message = EmailMultiAlternatives(
            subject=context["subject"],
            body=_tidy_text(text),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[registration.email],
            # RFC 3834: out-of-office replies should not answer an automatic message.
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(html, "text/html")
        if context["has_calendar"]:
            message.attach(
                f"{event.slug}.ics", personal_calendar_bytes(registration), "text/calendar"
            )
    return message


@task
def send_registration_email(registration_id, kind):
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
    except Exception:
        logger.exception("Could not send the %s e-mail for registration %s", kind, registration_id)
        if kind == Kind.REMINDER:
            # Release the claim so the next `send_reminders` run tries again.
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


def send_reminder_once(registration, *, now=None):
    """
    Claim the registration's reminder and send it after the commit; False if it was already sent.

    The claim is a conditional UPDATE: of two runs at the same moment, only one changes the row,
    so only one sends.
    """
    from .models import Registration

    now = now or timezone.now()
    with transaction.atomic():
        claimed = (
            Registration.objects.confirmed()
            .filter(pk=registration.pk, reminder_sent_at__isnull=True)
            .update(reminder_sent_at=now)
        )
        if claimed:
            send_after_commit(registration, Kind.REMINDER)
    return bool(claimed)
