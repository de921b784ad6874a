import logging
import re
import uuid

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone
from modeltranslation.utils import build_localized_fieldname

from registration.models import AttendanceMode, Message, MessageDelivery, Registration
from tests.languages import LANGUAGES

from .backends import FAILING_MAILER
from .factories import RegistrationFactory, UserFactory, open_event
from .page_reading import read
from .staff import sign_in, staff_member

pytestmark = pytest.mark.django_db

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
Status = Registration.Status
COMPOSE = "/en/admin/registration/message/add/"
REGISTRATIONS = "/en/admin/registration/registration/"


@pytest.fixture
def event():
    return open_event(title_es="Reunión de trabajo", title_en="Working meeting", virtual_places=2)


@pytest.fixture
def people(event):
    """Two confirmed virtual participants (one per language), one in person, one waiting."""
    return {
        "ana": RegistrationFactory(
            event=event, full_name="Ana Quispe", attendance_mode=VIRTUAL, preferred_language="es"
        ),
        "john": RegistrationFactory(
            event=event, full_name="John Smith", attendance_mode=VIRTUAL, preferred_language="en"
        ),
        "pedro": RegistrationFactory(event=event, full_name="Pedro Gómez", preferred_language="es"),
        "wendy": RegistrationFactory(
            event=event,
            full_name="Wendy Waiting",
            attendance_mode=VIRTUAL,
            status=Status.WAITING_LIST,
            queued_at=timezone.now(),
        ),
    }


def compose_data(event, **changes):
    data = {
        "event": event.pk,
        "kind": "message",
        "statuses": ["confirmed"],
        "modes": ["virtual"],
        "subject_es": "Prueba de conexión",
        "subject_en": "Connection test",
        "body_es": "Les invitamos a probar la plataforma el miércoles a las 15:00.",
        "body_en": "You are invited to test the platform on Wednesday at 15:00.",
        "subject_pt_br": "Teste de conexão",
        "subject_fr": "Test de connexion",
        "body_pt_br": "Convidamos você a testar a plataforma na quarta-feira às 15:00.",
        "body_fr": "Nous vous invitons à tester la plateforme mercredi à 15:00.",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_composer_has_a_label_for_every_field(client, organiser, event):
    response = client.get(f"{COMPOSE}?event={event.pk}")
    assert response.status_code == 200
    assert read(response).fields_without_label() == []


def test_organiser_previews_then_sends_to_confirmed_virtual_participants_in_their_language(
    client, organiser, event, people, django_capture_on_commit_callbacks, mailoutbox
):
    data = compose_data(event)
    preview = client.post(COMPOSE, data | {"_preview": "1"})

    assert preview.status_code == 200
    assert "This message goes to <strong>2 people</strong>" in preview.text
    assert "Status: Confirmed · Attendance: Virtual" in preview.text
    assert "Ana Quispe" in preview.text and "John Smith" in preview.text
    assert "Pedro Gómez" not in preview.text and "Wendy Waiting" not in preview.text
    assert "Prueba de conexión – Reunión de trabajo" in preview.text
    assert "Connection test – Working meeting" in preview.text
    # The preview is only a preview, and never shows anyone's secret personal link.
    assert mailoutbox == [] and not Message.objects.exists()
    for person in people.values():
        assert person.personal_token not in preview.text

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(COMPOSE, data | {"_send": "1"})

    message = Message.objects.get()
    assert sent["Location"] == f"/en/admin/registration/message/{message.pk}/change/"
    assert messages_of(sent) == ["The message is on its way to 2 people."]
    by_recipient = {email.to[0]: email for email in mailoutbox}
    assert set(by_recipient) == {people["ana"].email, people["john"].email}
    spanish, english = by_recipient[people["ana"].email], by_recipient[people["john"].email]
    assert spanish.subject == "Prueba de conexión – Reunión de trabajo"
    assert english.subject == "Connection test – Working meeting"
    assert "Les invitamos a probar la plataforma" in spanish.body
    assert "You are invited to test the platform" not in spanish.body
    assert "You are invited to test the platform on Wednesday at 15:00." in english.body
    assert "<p>You are invited to test the platform on Wednesday at 15:00.</p>" in (
        english.alternatives[0].content
    )
    assert english.body.startswith("Dear John Smith,")
    assert people["john"].reference in english.body


def test_the_record_keeps_who_sent_what_to_whom_and_when(
    client, organiser, event, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(COMPOSE, compose_data(event) | {"_send": "1"})

    message = Message.objects.get()
    assert message.sent_by == organiser
    assert message.sent_at is not None
    assert message.kind == Message.Kind.MESSAGE
    assert (message.subject_es, message.subject_en) == ("Prueba de conexión", "Connection test")
    assert message.audience == "Status: Confirmed · Attendance: Virtual"
    deliveries = {
        delivery.registration.full_name: delivery for delivery in message.deliveries.all()
    }
    assert set(deliveries) == {"Ana Quispe", "John Smith"}
    assert deliveries["Ana Quispe"].email == people["ana"].email
    assert deliveries["Ana Quispe"].language == "es"
    assert deliveries["John Smith"].language == "en"
    assert {delivery.status for delivery in deliveries.values()} == {MessageDelivery.Status.SENT}
    assert all(delivery.sent_at for delivery in deliveries.values())

    record = client.get(f"/en/admin/registration/message/{message.pk}/change/")
    assert record.status_code == 200
    assert "2 recipients: 2 sent, 0 failed, 0 queued" in record.text
    assert people["ana"].email in record.text and people["john"].email in record.text
    # A record: nobody edits or deletes it afterwards.
    assert 'name="_save"' not in record.text
    assert client.post(f"/en/admin/registration/message/{message.pk}/delete/").status_code == 403


def test_a_second_click_on_send_sends_nothing_more(
    client, organiser, event, people, django_capture_on_commit_callbacks, mailoutbox
):
    data = compose_data(event) | {"_send": "1"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(COMPOSE, data)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(COMPOSE, data)
    assert len(mailoutbox) == 2
    assert Message.objects.count() == 1
    assert "This message had already been sent; it was not sent again." in messages_of(again)


def test_portuguese_and_french_readers_receive_the_message_in_their_language(
    client, organiser, django_capture_on_commit_callbacks, mailoutbox
):
    event = open_event(
        title_es="Reunión de trabajo",
        title_pt_br="Reunião de trabalho",
        title_fr="Réunion de travail",
        virtual_places=5,
    )
    marina = RegistrationFactory(
        event=event, full_name="Marina Souza", attendance_mode=VIRTUAL, preferred_language="pt-br"
    )
    jean = RegistrationFactory(
        event=event, full_name="Jean Pierre", attendance_mode=VIRTUAL, preferred_language="fr"
    )
    preview = client.post(COMPOSE, compose_data(event) | {"_preview": "1"})
    assert "Teste de conexão – Reunião de trabalho" in preview.text
    assert "Test de connexion – Réunion de travail" in preview.text

    with django_capture_on_commit_callbacks(execute=True):
        client.post(COMPOSE, compose_data(event) | {"_send": "1"})

    by_recipient = {email.to[0]: email for email in mailoutbox}
    portuguese, french = by_recipient[marina.email], by_recipient[jean.email]
    assert portuguese.subject == "Teste de conexão – Reunião de trabalho"
    assert "Convidamos você a testar a plataforma na quarta-feira às 15:00." in portuguese.body
    assert french.subject == "Test de connexion – Réunion de travail"
    assert "Nous vous invitons à tester la plateforme mercredi à 15:00." in french.body
    deliveries = {d.email: d.language for d in MessageDelivery.objects.all()}
    assert deliveries == {marina.email: "pt-br", jean.email: "fr"}


def test_an_existing_message_keeps_its_texts_and_reads_spanish_where_a_language_is_missing(event):
    message = Message.objects.create(
        event=event,
        subject_es="Asunto",
        subject_en="Subject",
        body_es="Texto",
        body_en="Text",
        audience="-",
        submission_key=uuid.uuid4(),
    )
    assert (message.subject_in("en"), message.body_in("en")) == ("Subject", "Text")
    assert (message.subject_in("fr"), message.body_in("pt-br")) == ("Asunto", "Texto")


@pytest.mark.parametrize("missing", ["subject_en", "body_es", "subject_pt_br", "body_fr"])
def test_a_message_needs_every_language(client, organiser, event, people, missing, mailoutbox):
    response = client.post(COMPOSE, compose_data(event, **{missing: ""}) | {"_send": "1"})
    assert response.status_code == 200
    assert "A message needs a subject and a text in every language." in response.text
    assert mailoutbox == [] and not Message.objects.exists()


def test_an_audience_with_nobody_in_it_is_refused(client, organiser, event, people):
    response = client.post(COMPOSE, compose_data(event, statuses=["declined"]) | {"_preview": "1"})
    assert "No registration matches this audience." in response.text


def test_filters_combine_status_and_mode(client, organiser, event, people):
    data = compose_data(event, statuses=["confirmed", "waiting_list"], modes=["virtual"])
    preview = client.post(COMPOSE, data | {"_preview": "1"})
    assert "This message goes to <strong>3 people</strong>" in preview.text
    assert "Wendy Waiting" in preview.text and "Pedro Gómez" not in preview.text


def test_writing_to_registrations_selected_in_the_list(
    client, organiser, event, people, django_capture_on_commit_callbacks, mailoutbox
):
    chosen = [people["pedro"], people["wendy"]]
    compose = client.post(
        REGISTRATIONS,
        {"action": "message_registrants", "_selected_action": [r.pk for r in chosen]},
    )
    assert compose.status_code == 200
    assert "To the 2 registrations selected in the list." in compose.text
    hidden = re.findall(r'<input type="hidden" name="registrations" value="(\d+)"', compose.text)
    assert sorted(map(int, hidden)) == sorted(r.pk for r in chosen)

    data = compose_data(event, registrations=hidden, statuses=[], modes=[])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(COMPOSE, data | {"_send": "1"})
    assert sorted(email.to[0] for email in mailoutbox) == sorted(r.email for r in chosen)
    assert Message.objects.get().audience == "2 registrations selected in the list"


def test_agenda_change_notice_attaches_the_calendar_only_for_confirmed_people(
    client, organiser, event, people, django_capture_on_commit_callbacks, mailoutbox
):
    data = compose_data(
        event,
        kind="agenda_changed",
        statuses=["confirmed", "waiting_list"],
        modes=["virtual", "in_person"],
        **{
            build_localized_fieldname(field, code): ""
            for field in ("subject", "body")
            for code in LANGUAGES
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(COMPOSE, data | {"_send": "1"})
    calendars = {
        email.to[0]: [a for a in email.attachments if a.mimetype.startswith("text/calendar")]
        for email in mailoutbox
    }
    assert len(calendars) == 4
    assert calendars[people["wendy"].email] == []
    assert all(len(calendars[people[name].email]) == 1 for name in ("ana", "john", "pedro"))
    assert Message.objects.get().kind == Message.Kind.AGENDA_CHANGED


def test_a_failed_delivery_is_recorded(
    client, settings, caplog, django_capture_on_commit_callbacks
):
    event = open_event()
    RegistrationFactory(event=event, attendance_mode=VIRTUAL)
    sign_in(client, staff_member("Organisers"))
    settings.MAILERS = FAILING_MAILER
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client.post(COMPOSE, compose_data(event) | {"_send": "1"})
    # The organiser's request succeeds: the failure is the mail server's, and it is on record.
    assert response.status_code == 302
    [delivery] = MessageDelivery.objects.all()
    assert delivery.status == MessageDelivery.Status.FAILED
    assert "SMTPServerDisconnected" in delivery.error
    assert delivery.sent_at is None
    assert any(
        record.name == "registration.tasks" and f"delivery {delivery.pk}" in record.getMessage()
        for record in caplog.records
    )
    record = client.get(f"/en/admin/registration/message/{delivery.message_id}/change/")
    assert "1 recipient: 0 sent, 1 failed, 0 queued" in record.text


@pytest.mark.parametrize("group", ["Check-in staff", None])
def test_staff_outside_the_organisers_cannot_write_to_registrants(client, event, people, group):
    user = staff_member(group) if group else UserFactory(is_staff=True)
    sign_in(client, user)
    assert client.get(COMPOSE).status_code == 403
    response = client.post(COMPOSE, compose_data(event) | {"_send": "1"})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_participants_and_visitors_never_reach_the_composer(client, event, people):
    assert client.get(COMPOSE).status_code == 302
    client.force_login(people["ana"].user)
    assert client.get(COMPOSE, follow=True).status_code == 403
