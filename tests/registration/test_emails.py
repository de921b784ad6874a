import datetime
import logging

import pytest
from django.conf import settings as project_settings
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar
from modeltranslation.utils import build_localized_fieldname

from registration import services
from registration.emails import KINDS_WITH_CALENDAR, Kind, build_message
from registration.models import AttendanceMode, Registration
from tests.agenda.factories import OrganisationFactory, SessionFactory, lima
from tests.languages import LANGUAGES

from .backends import BROKEN_QUEUE, FAILING_MAILER
from .factories import (
    AudienceCategoryFactory,
    RegistrationFactory,
    UserFactory,
    details,
    open_event,
)

pytestmark = pytest.mark.django_db

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
Status = Registration.Status

TITLES = {
    "es": "Reunión de trabajo sobre cooperación transfronteriza e infraestructura",
    "en": "Working meeting on cross-border cooperation and infrastructure",
    "pt-br": "Reunião de trabalho sobre cooperação transfronteiriça e infraestrutura",
    "fr": "Réunion de travail sur la coopération transfrontalière et les infrastructures",
}
# Django's own formats: the same long date the site's pages print.
DATES = {
    "es": "15 de agosto de 2024",
    "en": "Aug. 15, 2024",
    "pt-br": "15 de agosto de 2024",
    "fr": "15 août 2024",
}
ORGANISERS = {
    "es": ["Secretaría General de la Comunidad Andina", "Sistema Económico Latinoamericano"],
    "en": ["General Secretariat of the Andean Community", "Latin American Economic System"],
    "pt-br": ["Secretaria-Geral da Comunidade Andina", "Sistema Econômico Latino-Americano"],
    "fr": ["Secrétariat général de la Communauté andine", "Système économique latino-américain"],
}
# The status a registration has when it receives each kind of mail.
STATUS_FOR_KIND = {
    Kind.CONFIRMED: Status.CONFIRMED,
    Kind.WAITING_LIST: Status.WAITING_LIST,
    Kind.PROMOTED: Status.CONFIRMED,
    Kind.PENDING_APPROVAL: Status.PENDING_APPROVAL,
    Kind.APPROVED: Status.CONFIRMED,
    Kind.DECLINED: Status.DECLINED,
    Kind.CANCELLED: Status.CANCELLED,
    Kind.REMINDER: Status.CONFIRMED,
    Kind.AGENDA_CHANGED: Status.CONFIRMED,
    Kind.MESSAGE: Status.CONFIRMED,
}


@pytest.fixture
def event():
    event = open_event(
        **{build_localized_fieldname("title", code): TITLES[code] for code in LANGUAGES},
        in_person_places=1,
    )
    for index, acronym in enumerate(("SGCAN", "SELA")):
        names = {
            build_localized_fieldname("name", code): ORGANISERS[code][index] for code in LANGUAGES
        }
        event.organisers.add(OrganisationFactory(**names, acronym=acronym))
    SessionFactory(event=event, starts_at=lima(9), ends_at=lima(9, 30))
    SessionFactory(event=event, starts_at=lima(9, 30), ends_at=lima(11))
    return event


def registration_for(event, kind, mode=IN_PERSON, language="es", **fields):
    status = STATUS_FOR_KIND[kind]
    return RegistrationFactory(
        event=event,
        status=status,
        attendance_mode=mode,
        preferred_language=language,
        queued_at=timezone.now() if status == Status.WAITING_LIST else None,
        **fields,
    )


def html_of(message):
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def calendars_of(message):
    return [
        Calendar.from_ical(attachment.content)
        for attachment in message.attachments
        if attachment.mimetype == "text/calendar"
    ]


def everything_in(message):
    """The text, the HTML and every attached calendar's text, as one string to search."""
    parts = [message.subject, message.body, html_of(message)]
    parts += [calendar.to_ical().decode() for calendar in calendars_of(message)]
    return "\n".join(parts)


def join_redirect(registration):
    """The personal redirect, under the participant's language prefix as their mails give it."""
    with translation.override(registration.preferred_language):
        path = reverse("registration:join", kwargs={"token": registration.personal_token})
    return f"{project_settings.SITE_URL}{path}"


# Every kind, in every language ------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_of_mail_is_written_in_the_participants_language(event, kind, language):
    registration = registration_for(event, kind, language=language, honorific="Dra.")
    message = build_message(registration, kind)
    html = html_of(message)

    with translation.override(language):
        expected_subject = f"{kind.label} – {TITLES[language]}"
    assert message.subject == expected_subject
    assert message.to == [registration.email]
    for part in (message.body, html):
        assert TITLES[language] in part
        assert DATES[language] in part
        assert "09:00–13:00" in part
        assert registration.reference in part
        assert f"Dra. {registration.full_name}" in part
        assert f"/{language}/events/{event.slug}/my-registration/" in part
        assert f"/{language}/privacy/" in part
        assert all(name in part for name in ORGANISERS[language])
    assert f'<html lang="{language}">' in html
    # The only image is the QR code carried in the mail itself (cid:), never one fetched from a server.
    assert "<script" not in html and "<link" not in html
    assert "<img" not in html.replace('<img src="cid:', "")
    assert "<" not in message.body
    # Confirmation-type mails carry the calendar; the others have no place to put in it.
    assert len(calendars_of(message)) == (1 if kind in KINDS_WITH_CALENDAR else 0)


def test_hours_are_given_in_lima_time_with_the_andean_capitals_on_the_same_clock(event):
    message = build_message(registration_for(event, Kind.CONFIRMED, language="en"), Kind.CONFIRMED)
    assert "09:00–13:00 Lima, Bogotá, Quito time (UTC−5)" in message.body


def test_an_event_in_la_paz_names_only_la_paz_since_lima_is_an_hour_behind():
    event = open_event(
        time_zone="America/La_Paz",
        starts_at=datetime.datetime(2024, 8, 15, 13, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2024, 8, 15, 17, tzinfo=datetime.UTC),
    )
    message = build_message(registration_for(event, Kind.CONFIRMED, language="en"), Kind.CONFIRMED)
    assert "09:00–13:00 La Paz time (UTC−4)" in message.body


def test_the_plain_text_part_is_not_html_escaped(event):
    event.title_en = "Roads & bridges"
    event.save()
    message = build_message(registration_for(event, Kind.CONFIRMED, language="en"), Kind.CONFIRMED)
    assert "“Roads & bridges”" in message.body
    assert "&amp;" not in message.body
    assert "Roads &amp; bridges" in html_of(message)


def test_waiting_list_mail_gives_the_position_in_line(event):
    for _ in range(2):
        registration_for(event, Kind.WAITING_LIST)
    third = registration_for(event, Kind.WAITING_LIST, language="en")
    message = build_message(third, Kind.WAITING_LIST)
    assert "All in-person places" in message.body
    assert "You are number 3 in line." in message.body
    assert "Position on the waiting list: 3" in message.body
    assert "You are number 3 in line." in html_of(message)


def test_pending_approval_mail_names_the_category_in_the_participants_language(event):
    category = AudienceCategoryFactory(
        event=event, name_es="Sector privado", name_en="Private sector", needs_approval=True
    )
    for language, name in (("es", "Sector privado"), ("en", "Private sector")):
        registration = registration_for(
            event, Kind.PENDING_APPROVAL, language=language, category=category
        )
        message = build_message(registration, Kind.PENDING_APPROVAL)
        assert f"“{name}”" in message.body
        assert f"“{name}”" in html_of(message)


def test_in_person_mail_gives_the_venue_and_a_virtual_mail_the_platform(event):
    in_person = build_message(
        registration_for(event, Kind.CONFIRMED, language="en"), Kind.CONFIRMED
    )
    virtual = build_message(
        registration_for(event, Kind.CONFIRMED, VIRTUAL, language="en"), Kind.CONFIRMED
    )
    venue = "Premises of the General Secretariat of the Andean Community, Lima, Peru"
    assert f"Venue: {venue}" in in_person.body
    assert "SGCAN virtual platform" not in in_person.body
    assert "Virtual platform: SGCAN virtual platform" in virtual.body
    assert venue not in virtual.body


def test_in_person_reminder_gives_the_address_and_asks_to_arrive_before_the_start(event):
    registration = registration_for(event, Kind.REMINDER, language="en")
    message = build_message(registration, Kind.REMINDER)
    assert "Please arrive in good time before 09:00 to register at the entrance." in message.body
    assert "Lima, Peru" in message.body


def test_virtual_reminder_gives_the_personal_join_link(event):
    registration = registration_for(event, Kind.REMINDER, VIRTUAL, language="en")
    message = build_message(registration, Kind.REMINDER)
    assert join_redirect(registration) in message.body
    assert f'href="{join_redirect(registration)}"' in html_of(message)


# The private join link --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [IN_PERSON, VIRTUAL])
@pytest.mark.parametrize("kind", list(Kind))
def test_only_confirmed_virtual_participants_get_the_join_link_and_access_details(
    event, kind, mode
):
    registration = registration_for(event, kind, mode, language="en")
    everything = everything_in(build_message(registration, kind))
    entitled = mode == VIRTUAL and STATUS_FOR_KIND[kind] == Status.CONFIRMED
    assert (join_redirect(registration) in everything) is entitled
    assert (event.virtual_access_details in everything) is entitled
    # The platform's own link never leaves the site: the personal redirect checks the status.
    assert event.virtual_join_url not in everything


def test_attached_calendar_publishes_each_session_at_its_utc_instant(event):
    registration = registration_for(event, Kind.CONFIRMED, VIRTUAL, language="en")
    [calendar] = calendars_of(build_message(registration, Kind.CONFIRMED))
    assert calendar["METHOD"] == "PUBLISH"
    sessions = calendar.walk("VEVENT")
    starts = [component.decoded("DTSTART").astimezone(datetime.UTC) for component in sessions]
    ends = [component.decoded("DTEND").astimezone(datetime.UTC) for component in sessions]
    utc = datetime.UTC
    assert starts == [
        datetime.datetime(2024, 8, 15, 14, tzinfo=utc),
        datetime.datetime(2024, 8, 15, 14, 30, tzinfo=utc),
    ]
    assert ends == [
        datetime.datetime(2024, 8, 15, 14, 30, tzinfo=utc),
        datetime.datetime(2024, 8, 15, 16, tzinfo=utc),
    ]
    for component in sessions:
        assert join_redirect(registration) in str(component["DESCRIPTION"])
        assert event.virtual_join_url not in str(component["DESCRIPTION"])


def test_attached_calendar_of_an_in_person_participant_has_no_join_link(event):
    registration = registration_for(event, Kind.CONFIRMED, language="es")
    [calendar] = calendars_of(build_message(registration, Kind.CONFIRMED))
    text = calendar.to_ical().decode()
    assert "/join/" not in text and registration.personal_token not in text
    assert "Sede de la Secretaría General" in str(calendar.walk("VEVENT")[0]["LOCATION"])


def test_mail_serialises_with_its_calendar_part(event):
    registration = registration_for(event, Kind.CONFIRMED, language="es")
    mime = build_message(registration, Kind.CONFIRMED).message()
    content_types = [part.get_content_type() for part in mime.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(content_types)
    assert mime["Auto-Submitted"] == "auto-generated"


# Mails sent by the real workflows ---------------------------------------------------------------


def register(event, category, mode=IN_PERSON, language="es", user=None):
    return services.register(
        event=event,
        user=user or UserFactory(),
        details=details(category, mode, preferred_language=language),
    )


def test_no_mail_leaves_before_the_registration_commits(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    category = AudienceCategoryFactory(event=event)
    with django_capture_on_commit_callbacks() as callbacks:
        register(event, category)
        assert mailoutbox == []
    assert len(callbacks) == 1 and mailoutbox == []
    callbacks[0]()
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_registering_sends_the_confirmation_with_the_calendar(
    event, language, mailoutbox, django_capture_on_commit_callbacks
):
    category = AudienceCategoryFactory(event=event)
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, category, language=language)
    [message] = mailoutbox
    with translation.override(language):
        assert message.subject == f"{Kind.CONFIRMED.label} – {TITLES[language]}"
    assert message.to == [registration.email]
    assert registration.reference in message.body
    assert f'<html lang="{language}">' in html_of(message)
    assert TITLES[language] in html_of(message)
    [calendar] = calendars_of(message)
    assert calendar["METHOD"] == "PUBLISH"


def test_registering_when_the_room_is_full_sends_the_waiting_list_mail(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    category = AudienceCategoryFactory(event=event)
    with django_capture_on_commit_callbacks(execute=True):
        register(event, category)
        waiting = register(event, category, language="en")
    assert waiting.status == Status.WAITING_LIST
    message = mailoutbox[-1]
    assert message.to == [waiting.email]
    assert message.subject.startswith("On the waiting list – ")
    assert "You are number 1 in line." in message.body
    assert calendars_of(message) == []


def test_cancelling_sends_the_cancellation_and_tells_the_first_waiting_they_are_confirmed(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    category = AudienceCategoryFactory(event=event)
    first = register(event, category)
    waiting = register(event, category, VIRTUAL)
    services.switch_mode(waiting, IN_PERSON, by=waiting.user)
    next_in_line = register(event, category, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(first, by=first.user)

    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert set(by_recipient) == {first.email, waiting.email}
    cancelled, promoted = by_recipient[first.email], by_recipient[waiting.email]
    with translation.override("es"):
        assert cancelled.subject == f"{Kind.CANCELLED.label} – {TITLES['es']}"
        assert promoted.subject == f"{Kind.PROMOTED.label} – {TITLES['es']}"
    assert calendars_of(cancelled) == []
    assert len(calendars_of(promoted)) == 1
    assert Registration.objects.get(pk=next_in_line.pk).status == Status.WAITING_LIST


def test_approving_and_declining_send_their_mails(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    private_sector = AudienceCategoryFactory(event=event, needs_approval=True)
    organiser = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        approved = register(event, private_sector, language="en")
        declined = register(event, private_sector, language="en")
        services.approve(approved, by=organiser)
        services.decline(declined, by=organiser)
    subjects = [(message.to[0], message.subject.split(" – ")[0]) for message in mailoutbox]
    assert subjects == [
        (approved.email, "Registration received, pending approval"),
        (declined.email, "Registration received, pending approval"),
        (approved.email, "Registration approved"),
        (declined.email, "Registration declined"),
    ]
    assert len(calendars_of(mailoutbox[2])) == 1


def test_switching_to_virtual_sends_the_personal_join_link(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    category = AudienceCategoryFactory(event=event)
    registration = register(event, category, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.switch_mode(registration, VIRTUAL, by=registration.user)
    [message] = mailoutbox
    assert join_redirect(registration) in message.body
    assert event.virtual_join_url not in everything_in(message)


# A mail server that is down -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_neither_loses_nor_blocks_the_registration(settings, caplog):
    settings.MAILERS = FAILING_MAILER
    event = open_event()
    category = AudienceCategoryFactory(event=event)
    with caplog.at_level(logging.ERROR):
        registration = register(event, category)

    assert registration.status == Status.CONFIRMED
    stored = Registration.objects.get(pk=registration.pk)
    assert stored.status == Status.CONFIRMED
    assert stored.consents.count() == 2 and stored.status_changes.count() == 1
    [failure] = [record for record in caplog.records if record.name == "registration.tasks"]
    assert failure.levelno == logging.ERROR
    assert f"confirmed e-mail for registration {registration.pk}" in failure.getMessage()
    assert "SMTPServerDisconnected" in failure.exc_text


@pytest.mark.django_db(transaction=True)
def test_a_task_queue_that_refuses_the_mail_does_not_fail_the_registration(settings, caplog):
    settings.TASKS = BROKEN_QUEUE
    event = open_event()
    category = AudienceCategoryFactory(event=event)
    with caplog.at_level(logging.ERROR):
        registration = register(event, category)

    assert Registration.objects.get(pk=registration.pk).status == Status.CONFIRMED
    assert any(
        "on_commit" in record.getMessage() and "unreachable" in record.getMessage()
        for record in caplog.records
    )


def test_before_the_room_is_published_the_mail_still_gives_the_personal_link(event):
    event.virtual_join_url = ""
    event.save()
    registration = registration_for(event, Kind.CONFIRMED, VIRTUAL, language="en")
    message = build_message(registration, Kind.CONFIRMED)
    assert join_redirect(registration) in message.body
    assert "have not published the link to the virtual room yet" in message.body
    published = registration_for(open_event(), Kind.CONFIRMED, VIRTUAL, language="en")
    assert "not published" not in build_message(published, Kind.CONFIRMED).body
