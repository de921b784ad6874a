"""
The whole journey of two participants through the real views, as they would live it: sign up,
verify the address from the mail, register, read the e-mails and their calendars, manage the
registration, switch, cancel, export and delete.
"""

import json
import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from registration.models import AttendanceMode, Registration
from tests.agenda.factories import SessionFactory, lima

from .factories import AudienceCategoryFactory, open_event
from .page_reading import read

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Secret-42"
JOIN_URL = "https://meet.example.org/j/secret-join-link-4242"
LINK = re.compile(r"https?://testserver(/\S+)")
Status = Registration.Status


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """allauth counts attempts in the cache; each test gets an empty one of its own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"journey-{uuid.uuid4()}",
        }
    }


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def sign_up_and_verify(client, email, language):
    """Sign up, then open the verification link the mail carries, as a person would."""
    mail.outbox.clear()
    client.post(
        url("account_signup", language),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "website": ""},
    )
    [message] = mail.outbox
    confirm_path = LINK.search(message.body).group(1)
    assert client.get(confirm_path).status_code == 200
    client.post(confirm_path)
    mail.outbox.clear()


def registration_form(category, mode, **extra):
    return {
        "attendance_mode": mode,
        "category": category.pk,
        "full_name": "Lucía Fernández",
        "position": "Especialista en infraestructura",
        "organisation": "Ministerio de Transportes",
        "country": "EC",
        "phone": "+593 2 123 4567",
        "preferred_language": "es",
        "privacy_consent": "on",
        "website": "",
        **extra,
    }


def calendar_attached_to(message):
    [(filename, content, mimetype)] = message.attachments
    assert mimetype.startswith("text/calendar")
    assert filename.endswith(".ics")
    return Calendar.from_ical(content)


def descriptions(calendar):
    return " ".join(str(event.get("description", "")) for event in calendar.walk("VEVENT"))


def test_two_participants_register_switch_cancel_export_and_leave(
    client, django_capture_on_commit_callbacks
):
    event = open_event(in_person_places=1, virtual_places=1)
    SessionFactory(event=event, title_en="Opening", starts_at=lima(9), ends_at=lima(9, 30))
    category = AudienceCategoryFactory(event=event, name_en="Public sector")
    register_path = url("registration:register", event_slug=event.slug)
    my_path = url("registration:my-registration", event_slug=event.slug)

    # The public page of the meeting invites to register, the same for everyone.
    event_page = client.get(url("agenda:event-detail", slug=event.slug))
    assert (register_path, "Register") in read(event_page).links

    # Lucía must sign in first; she signs up and verifies her address from the mail.
    assert client.get(register_path)["Location"].startswith(url("account_login"))
    sign_up_and_verify(client, "lucia@example.org", "en")
    page = read(client.get(register_path))
    assert page.fields_without_label() == []
    assert page.inline_styles == []

    # She registers to take part online, in English, and gets the confirmation with her calendar.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            register_path,
            registration_form(
                category, AttendanceMode.VIRTUAL, preferred_language="en", photography_consent="on"
            ),
            follow=True,
        )
    lucia = Registration.objects.get(email="lucia@example.org")
    assert lucia.status == Status.CONFIRMED
    assert f"Your reference is {lucia.reference}." in response.content.decode()
    [confirmation] = mail.outbox
    assert confirmation.to == ["lucia@example.org"]
    assert confirmation.subject.startswith("Registration confirmed")
    join_path = url("registration:join", token=lucia.personal_token)
    assert join_path in confirmation.body
    assert JOIN_URL not in confirmation.body
    calendar = calendar_attached_to(confirmation)
    assert calendar["METHOD"] == "PUBLISH"
    assert [str(session["SUMMARY"]) for session in calendar.walk("VEVENT")] == ["Opening"]
    assert join_path in descriptions(calendar)

    # Her page shows the reference and the personal join link, which opens the room.
    my_page = client.get(my_path).content.decode()
    assert lucia.reference in my_page
    assert join_path in my_page
    assert JOIN_URL not in my_page
    assert client.get(join_path)["Location"] == JOIN_URL

    # Pedro, on another device, registers online too: the one virtual place is taken.
    other = client.__class__()
    sign_up_and_verify(other, "pedro@example.org", "es")
    with django_capture_on_commit_callbacks(execute=True):
        other.post(
            url("registration:register", "es", event_slug=event.slug),
            registration_form(category, AttendanceMode.VIRTUAL, full_name="Pedro Rojas"),
        )
    pedro = Registration.objects.get(email="pedro@example.org")
    assert pedro.status == Status.WAITING_LIST
    [waiting_mail] = mail.outbox
    assert waiting_mail.to == ["pedro@example.org"]
    assert not waiting_mail.attachments
    assert client.get(url("registration:join", token=pedro.personal_token)).status_code == 403
    mail.outbox.clear()

    # Lucía decides to come to Lima: the room has a place, so the page says so before she
    # confirms; her virtual place goes to Pedro, who is told.
    switch_path = url("registration:switch-mode", event_slug=event.slug)
    assert "A place is free for “In person in Lima”" in client.get(switch_path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(switch_path, {"mode": AttendanceMode.IN_PERSON})
    lucia.refresh_from_db()
    pedro.refresh_from_db()
    assert (lucia.attendance_mode, lucia.status) == (AttendanceMode.IN_PERSON, Status.CONFIRMED)
    assert pedro.status == Status.CONFIRMED
    assert sorted(message.to[0] for message in mail.outbox) == [
        "lucia@example.org",
        "pedro@example.org",
    ]
    promotion = next(message for message in mail.outbox if message.to == ["pedro@example.org"])
    assert url("registration:join", "es", token=pedro.personal_token) in promotion.body
    assert join_path not in promotion.body
    # Switching to in person revoked her join link; Pedro's now opens the room.
    assert client.get(join_path).status_code == 403
    assert other.get(url("registration:join", token=pedro.personal_token))["Location"] == JOIN_URL
    mail.outbox.clear()

    # Her personal calendar no longer carries a join link.
    download = client.get(url("registration:personal-calendar", event_slug=event.slug))
    assert "/join/" not in descriptions(Calendar.from_ical(download.content))

    # She exports her data, then cancels, with a confirmation step.
    exported = json.loads(client.get(url("registration:export-data")).content)
    assert exported["account"]["email"] == "lucia@example.org"
    assert [row["reference"] for row in exported["registrations"]] == [lucia.reference]
    cancel_path = url("registration:cancel", event_slug=event.slug)
    assert "Yes, cancel my registration" in client.get(cancel_path).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel_path)
    lucia.refresh_from_db()
    assert lucia.status == Status.CANCELLED
    [cancelled_mail] = mail.outbox
    assert cancelled_mail.to == ["lucia@example.org"]

    # Pedro leaves for good: his account and registration go, and nothing of him remains.
    with django_capture_on_commit_callbacks(execute=True):
        other.post(url("registration:delete-account", "es"), {"confirm": "on"})
    assert not Registration.objects.filter(email="pedro@example.org").exists()
    assert other.get(url("registration:export-data"))["Location"].startswith(url("account_login"))
