"""
Participants-only materials: checked at every download against the person's registration for that
meeting. The agenda serves them; registration says who holds a registration (its AppConfig.ready()
hands agenda.materials the rule), so the agenda still imports nothing of registration.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from agenda import materials as agenda_materials
from agenda.models import Material
from registration.models import Registration
from tests.agenda import material_files
from tests.agenda.factories import EventFactory, MaterialFactory, SessionFactory
from tests.languages import LANGUAGES, translated, url

from .factories import RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slides():
    return MaterialFactory(
        session=SessionFactory(),
        title_es="Diapositivas para participantes",
        title_en="Slides for participants",
        file=SimpleUploadedFile("slides.pptx", material_files.pptx()),
        visibility=Material.Visibility.PARTICIPANTS,
    )


def download(material, language="en"):
    return url(language, "agenda:material", event_slug=material.event.slug, pk=material.pk)


def participant(client, event, status):
    registration = RegistrationFactory(event=event, status=status)
    client.force_login(registration.user)
    return registration


@pytest.mark.parametrize("language", LANGUAGES)
def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, slides, language):
    response = client.get(download(slides, language))
    assert response.status_code == 302
    sign_in_page = url(language, "account_login")
    assert response["Location"] == f"{sign_in_page}?next={download(slides, language)}"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "status",
    [
        Registration.Status.CONFIRMED,
        Registration.Status.WAITING_LIST,
        Registration.Status.PENDING_APPROVAL,
    ],
)
def test_a_registered_participant_downloads_the_file(client, slides, status):
    participant(client, slides.event, status)
    response = client.get(download(slides))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )
    assert response["Content-Disposition"] == 'attachment; filename="slides-for-participants.pptx"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == material_files.pptx()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", [Registration.Status.CANCELLED, Registration.Status.DECLINED])
def test_a_cancelled_or_declined_registration_is_refused(client, slides, status, language):
    participant(client, slides.event, status)
    response = client.get(download(slides, language))
    assert response.status_code == 403
    assert translated(language, "For registered participants only") in response.text
    with translation.override(language):
        # The title in the language's quotation marks (« » in French).
        assert slides.title in response.text
    assert not response.streaming


def test_the_check_follows_the_registration_at_every_download(client, slides):
    registration = participant(client, slides.event, Registration.Status.CONFIRMED)
    assert client.get(download(slides)).status_code == 200
    registration.cancel(by=registration.user)
    assert client.get(download(slides)).status_code == 403


def test_a_registration_for_another_meeting_does_not_count(client, slides):
    participant(client, EventFactory(), Registration.Status.CONFIRMED)
    assert client.get(download(slides)).status_code == 403


def test_an_account_without_registration_is_refused(client, slides):
    client.force_login(UserFactory())
    assert client.get(download(slides)).status_code == 403


def test_a_participants_only_link_opens_only_for_participants(client):
    folder = MaterialFactory(
        kind=Material.Kind.LINK,
        url="https://drive.example.org/secret-folder-9931",
        visibility=Material.Visibility.PARTICIPANTS,
    )
    assert client.get(download(folder))["Location"].startswith(reverse("account_login"))
    participant(client, folder.event, Registration.Status.CONFIRMED)
    response = client.get(download(folder))
    assert response.status_code == 302
    assert response["Location"] == "https://drive.example.org/secret-folder-9931"


def test_without_a_rule_from_registration_nobody_gets_participants_only_files(
    client, slides, monkeypatch
):
    participant(client, slides.event, Registration.Status.CONFIRMED)
    monkeypatch.setattr(agenda_materials, "_participant_rule", None)
    assert client.get(download(slides)).status_code == 403


def test_public_files_need_no_account(client):
    public = MaterialFactory()
    assert client.get(download(public)).status_code == 200
