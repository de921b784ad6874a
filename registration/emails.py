"""
E-mails to participants, in their own language, plain text with an HTML alternative.

Mail leaves only after the database has committed (`send_after_commit`), through a django.tasks
task: a failing mail server can neither lose nor roll back a registration. The failure is logged
and the task backend decides about retries.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class Kind(models.TextChoices):
    CONFIRMED = "confirmed", _("Registration confirmed")
    WAITING_LIST = "waiting_list", _("On the waiting list")
    PROMOTED = "promoted", _("A place became free: you are confirmed")
    PENDING_APPROVAL = "pending_approval", _("Registration received, pending approval")
    APPROVED = "approved", _("Registration approved")
    DECLINED = "declined", _("Registration declined")
    CANCELLED = "cancelled", _("Registration cancelled")
    REMINDER = "reminder", _("Reminder: the meeting is tomorrow")


# Mails that carry the participant's calendar: they confirm a place.
KINDS_WITH_CALENDAR = {Kind.CONFIRMED, Kind.PROMOTED, Kind.APPROVED, Kind.REMINDER}


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


def build_message(registration, kind):
    """The e-mail for `registration`, rendered in the participant's preferred language."""
    from .calendars import personal_calendar_bytes

    kind = Kind(kind)
    event = registration.event
    with translation.override(registration.preferred_language):
        context = {
            "registration": registration,
            "event": event,
            "kind": kind,
            "my_registration_url": absolute_url(registration.get_absolute_url()),
            "join_url": absolute_url(
                reverse("registration:join", kwargs={"token": registration.personal_token})
            )
            if registration.may_join_online
            else "",
            "waiting_position": registration.waiting_position(),
            "site_url": settings.SITE_URL,
        }
        subject = f"{kind.label} – {event.title}"
        text = render_to_string(f"registration/email/{kind.value}.txt", context)
        html = render_to_string(f"registration/email/{kind.value}.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[registration.email],
        )
        message.attach_alternative(html, "text/html")
        if kind in KINDS_WITH_CALENDAR and registration.is_confirmed:
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
    try:
        build_message(registration, kind).send()
    except Exception:
        logger.exception("Could not send the %s e-mail for registration %s", kind, registration_id)
        raise
    return "sent"


def send_after_commit(registration, kind):
    """Queue the e-mail once the surrounding transaction has committed."""
    registration_id, kind = registration.pk, str(kind)
    transaction.on_commit(lambda: send_registration_email.enqueue(registration_id, kind))
