"""
E-mails to participants, in their own language, plain text with an HTML alternative: this module
builds them; registration/tasks.py sends them through the mail queue (mailqueue) after the commit.

What only a confirmed virtual participant may see (the personal join link, the platform's access
details) enters the templates' context only for them, and the templates read it only from there,
never from the event's private fields: no other mail can show it by mistake.
"""

import logging
import re
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
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


def build_certificate_message(certificate, pdf):
    """
    The e-mail that brings a participant their certificate of participation (`pdf`, its bytes),
    in their preferred language. Its own templates, not the registration mail's: after the meeting
    the join link, the venue and the status would only be noise.
    """
    registration = certificate.registration
    event = registration.event
    with translation.override(registration.preferred_language):
        subject = f"{gettext('Your certificate of participation')} – {event.title}"
        context = {
            "subject": subject,
            "registration": registration,
            "event": event,
            "greeting_name": " ".join(
                part for part in (registration.honorific, registration.full_name) if part
            ),
            "meeting_date": date_format(event.local_starts_at, "DATE_FORMAT"),
            "verification_url": certificate.verification_url(),
            "organisers": [str(organisation) for organisation in event.organisers.all()],
            "my_registration_url": absolute_url(registration.get_absolute_url()),
            "privacy_notice_url": absolute_url(reverse("registration:privacy-notice")),
            "site_url": settings.SITE_URL,
        }
        email = EmailMultiAlternatives(
            subject=subject,
            body=_tidy_text(render_to_string("registration/email/certificate.txt", context)),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[registration.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        email.attach_alternative(
            render_to_string("registration/email/certificate.html", context), "text/html"
        )
        email.attach(certificate_filename(certificate), pdf, "application/pdf")
    return email


def certificate_filename(certificate):
    """“certificate-<event>-<reference>.pdf”, in the active language's word for certificate."""
    registration = certificate.registration
    word = gettext("certificate")
    return f"{word}-{registration.event.slug}-{registration.reference}.pdf"
