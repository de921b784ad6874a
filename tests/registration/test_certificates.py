"""
Certificates of participation: downloaded after the meeting by those who attended, in their
language, verified at a public address by their QR code, sent once by the organisers, revoked.
"""

import io

import pytest
import time_machine
import zxingcpp
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from PIL import Image
from pypdf import PdfReader

from forum.groups import ORGANISERS
from registration import services
from registration.admin_forms import CertificateSignatoryForm
from registration.certificate_pdf import certificate_pdf
from registration.models import (
    AttendanceMode,
    Certificate,
    CertificateSignatory,
    RegistrationError,
    StatusChange,
)
from tests.agenda.factories import OrganisationFactory, lima
from tests.languages import LANGUAGES

from .factories import RegistrationFactory, open_event
from .staff import sign_in, staff_member

pytestmark = pytest.mark.django_db

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
AFTER = lima(13, 1)
CODES = LANGUAGES
# What the certificate is called in each language the site speaks or will speak.
TITLES = {
    "es": "Certificado de participación",
    "en": "Certificate of participation",
    "pt-br": "Certificado de participação",
    "fr": "Attestation de participation",
}
FOUR_HOURS = {"es": "4 horas", "en": "4 hours", "pt-br": "4 horas", "fr": "4 heures"}
MODES = {
    "es": ("presencial en Lima", "virtual"),
    "en": ("in person in Lima", "online"),
    "pt-br": ("presencial em Lima", "on-line"),
    "fr": ("en présentiel à Lima", "en ligne"),
}


@pytest.fixture
def event():
    event = open_event()
    event.organisers.add(
        OrganisationFactory(name_es="Secretaría General de la Comunidad Andina", acronym="SGCAN"),
        OrganisationFactory(
            name_es="Sistema Económico Latinoamericano y del Caribe", acronym="SELA"
        ),
    )
    CertificateSignatory.objects.create(
        event=event,
        name="Gonzalo Gutiérrez Reinel",
        position_es="Secretario General",
        position_en="Secretary-General",
    )
    return event


@pytest.fixture
def attendee(event):
    return RegistrationFactory(
        event=event,
        full_name="María José Núñez Pérez",
        attendance_mode=VIRTUAL,
        joined_online_first_at=lima(9),
        online_join_count=1,
        organisation="Cancillería del Perú",
        position="Directora de Integración",
    )


@pytest.fixture
def signed_in(client, attendee):
    client.force_login(attendee.user)
    return attendee


def url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(f"registration:{name}", kwargs=kwargs)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def qr_codes_in(content):
    [page] = PdfReader(io.BytesIO(content)).pages
    found = []
    for image in page.images:
        found += [result.text for result in zxingcpp.read_barcodes(image.image.convert("L"))]
    return found


# Downloading ---------------------------------------------------------------------------------


def test_attendee_downloads_a_one_page_pdf_after_the_meeting(client, signed_in):
    with time_machine.travel(AFTER, tick=False):
        response = client.get(url("certificate", event_slug=signed_in.event.slug))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert "María José Núñez Pérez" in pdf_text(response.content)
    certificate = Certificate.objects.get()
    assert (certificate.registration, certificate.attendance_mode) == (signed_in, VIRTUAL)


def test_downloading_again_keeps_the_same_verification_code(client, signed_in):
    with time_machine.travel(AFTER, tick=False):
        first = client.get(url("certificate", event_slug=signed_in.event.slug))
        second = client.get(url("certificate", event_slug=signed_in.event.slug))
    assert qr_codes_in(first.content) == qr_codes_in(second.content)
    assert Certificate.objects.count() == 1


def test_before_the_end_the_page_says_when_the_certificate_comes(client, signed_in):
    event_slug = signed_in.event.slug
    with time_machine.travel(lima(12, 59), tick=False):
        page = client.get(url("my-registration", event_slug=event_slug)).text
        response = client.get(url("certificate", event_slug=event_slug))
    assert "once the meeting ends, on Aug. 15, 2024 at 13:00 Lima time" in page
    assert url("certificate", event_slug=event_slug) not in page
    assert response.status_code == 302
    assert response["Location"] == url("my-registration", event_slug=event_slug)
    assert "once the meeting ends" in messages_of(response)[0]
    assert not Certificate.objects.exists()


def test_who_did_not_attend_is_told_why_and_gets_none(client, event):
    absent = RegistrationFactory(event=event, attendance_mode=IN_PERSON)
    client.force_login(absent.user)
    with time_machine.travel(AFTER, tick=False):
        page = client.get(url("my-registration", event_slug=event.slug)).text
        response = client.get(url("certificate", event_slug=event.slug), follow=True)
    assert "Our records do not show your attendance" in page
    assert response.status_code == 200
    assert response.redirect_chain == [(url("my-registration", event_slug=event.slug), 302)]
    assert "Our records do not show your attendance" in response.text
    assert not Certificate.objects.exists()


def test_attendee_sees_the_download_on_my_registration_after_the_meeting(client, signed_in):
    with time_machine.travel(AFTER, tick=False):
        page = client.get(url("my-registration", event_slug=signed_in.event.slug)).text
    assert "Download my certificate (PDF)" in page
    assert url("certificate", event_slug=signed_in.event.slug) in page


def test_the_download_needs_a_signed_in_participant(client, attendee):
    with time_machine.travel(AFTER, tick=False):
        response = client.get(url("certificate", event_slug=attendee.event.slug))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_another_participant_gets_only_their_own(client, event, attendee):
    other = RegistrationFactory(event=event)
    client.force_login(other.user)
    with time_machine.travel(AFTER, tick=False):
        client.get(url("certificate", event_slug=event.slug))
    assert not Certificate.objects.filter(registration=attendee).exists()


def test_a_revoked_certificate_is_not_downloaded_and_the_page_says_so(client, signed_in):
    with time_machine.travel(AFTER, tick=False):
        services.revoke_certificate(signed_in, by=None)
        page = client.get(url("my-registration", event_slug=signed_in.event.slug)).text
        response = client.get(url("certificate", event_slug=signed_in.event.slug))
    assert "was revoked by the organisers" in page
    assert response.status_code == 302


# What it says ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", CODES)
@pytest.mark.parametrize("mode", [IN_PERSON, VIRTUAL])
def test_certificate_says_who_what_when_how_long_how_who_organised_and_who_signs(
    event, language, mode
):
    registration = RegistrationFactory(
        event=event,
        full_name="María José Núñez Pérez",
        attendance_mode=mode,
        preferred_language=language,
        checked_in_at=lima(9) if mode == IN_PERSON else None,
        joined_online_first_at=lima(9) if mode == VIRTUAL else None,
    )
    with time_machine.travel(AFTER, tick=False):
        certificate = registration.issue_certificate()
    text = pdf_text(certificate_pdf(certificate))
    with translation.override(language):
        meeting = event.title
        date = date_format(event.local_starts_at, "DATE_FORMAT")
        organisers = [str(organisation) for organisation in event.organisers.all()]
    assert TITLES[language] in text
    assert "María José Núñez Pérez" in text
    assert " ".join(meeting.split()) in text
    assert date in text
    assert FOUR_HOURS[language] in text
    assert MODES[language][0 if mode == IN_PERSON else 1] in text
    assert all(name in text for name in organisers)
    assert "Gonzalo Gutiérrez Reinel" in text
    assert ("Secretary-General" if language == "en" else "Secretario General") in text


def test_certificate_qr_code_holds_the_verification_address(attendee):
    with time_machine.travel(AFTER, tick=False):
        certificate = attendee.issue_certificate()
    content = certificate_pdf(certificate)
    expected = f"http://testserver/es/certificates/{certificate.code}/"
    assert qr_codes_in(content) == [expected]
    assert expected in pdf_text(content)


def test_verification_code_is_secret_and_not_the_registration(attendee, event):
    other = RegistrationFactory(event=event, checked_in_at=lima(9))
    with time_machine.travel(AFTER, tick=False):
        first, second = attendee.issue_certificate(), other.issue_certificate()
    assert len(first.code) >= 22 and first.code != second.code
    assert str(attendee.pk) != first.code and attendee.reference not in first.code


def test_certificate_carries_the_signature_image(event, attendee):
    png = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 80, 255)).save(png, format="PNG")
    CertificateSignatory.objects.filter(event=event).update(signature=png.getvalue())
    with time_machine.travel(AFTER, tick=False):
        content = certificate_pdf(attendee.issue_certificate())
    [page] = PdfReader(io.BytesIO(content)).pages
    assert len(page.images) == 2  # the signature and the QR code


# Verification ----------------------------------------------------------------------------------


def verify(client, code, language="en"):
    return client.get(url("certificate-verification", language, code=code))


@pytest.mark.parametrize("language", CODES)
def test_verification_of_a_valid_certificate_shows_only_name_meeting_date_and_mode(
    client, attendee, language
):
    with time_machine.travel(AFTER, tick=False):
        certificate = attendee.issue_certificate()
    response = verify(client, certificate.code, language)
    assert response.status_code == 200
    page = response.text
    with translation.override(language):
        assert translation.gettext("This certificate of participation is valid.") in page
        assert attendee.event.title in page
        assert date_format(attendee.event.local_starts_at, "DATE_FORMAT") in page
        assert MODES[language][1] in page
    assert "María José Núñez Pérez" in page
    for private in (
        attendee.email,
        attendee.reference,
        attendee.organisation,
        attendee.position,
        "Perú",
        attendee.personal_token,
    ):
        assert private not in page


def test_verification_page_is_never_stored_by_a_cache(client, attendee):
    with time_machine.travel(AFTER, tick=False):
        certificate = attendee.issue_certificate()
    first = verify(client, certificate.code)
    assert "private" in first["Cache-Control"] and "no-store" in first["Cache-Control"]
    # The shared page cache must not answer with the old name.
    type(attendee).objects.filter(pk=attendee.pk).update(full_name="Otro Nombre")
    second = verify(client, certificate.code)
    assert "Otro Nombre" in second.text


def test_verification_of_a_revoked_certificate_says_so(client, attendee):
    with time_machine.travel(AFTER, tick=False):
        certificate = attendee.issue_certificate()
        certificate.revoke(by=None)
    page = verify(client, certificate.code).text
    assert "was revoked by the organisers: it is no longer valid." in page
    assert "is valid." not in page


def test_verification_of_an_unknown_code_is_not_found(client, attendee):
    response = verify(client, "not-a-real-code-at-all")
    assert response.status_code == 404
    assert "No certificate of participation has this address." in response.text


def test_anonymised_certificate_is_no_longer_verifiable_and_shows_nothing_personal(
    client, attendee
):
    with time_machine.travel(AFTER, tick=False):
        certificate = attendee.issue_certificate()
    attendee.anonymise()
    response = verify(client, certificate.code)
    assert response.status_code == 200
    assert "can no longer be verified" in response.text
    assert "María José" not in response.text
    assert attendee.event.title not in response.text
    with pytest.raises(RegistrationError):
        attendee.issue_certificate()


def test_personal_data_export_includes_the_certificate(attendee):
    with time_machine.travel(AFTER, tick=False):
        certificate = attendee.issue_certificate()
    [row] = services.personal_data(attendee.user)["registrations"]
    assert row["certificate"]["verification_url"] == certificate.verification_url()
    assert row["online_join_count"] == 1


# Sending and revoking --------------------------------------------------------------------------


def send_from_admin(client, event, language="en"):
    with translation.override(language):
        path = reverse("admin:agenda_event_changelist")
    return client.post(path, {"action": "send_certificates", "_selected_action": [event.pk]})


def test_sending_twice_sends_each_attendee_once_with_the_pdf(
    client, event, attendee, django_capture_on_commit_callbacks
):
    organiser = sign_in(client, staff_member(ORGANISERS))
    in_person = RegistrationFactory(event=event, checked_in_at=lima(9), preferred_language="en")
    RegistrationFactory(event=event)  # did not attend
    with time_machine.travel(AFTER, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = send_from_admin(client, event)
        with django_capture_on_commit_callbacks(execute=True):
            second = send_from_admin(client, event)
    assert "certificates sent now: 2; sent before: 0;" in messages_of(first)[-1]
    assert "certificates sent now: 0; sent before: 2;" in messages_of(second)[-1]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [attendee.email, in_person.email]
    )
    by_recipient = {message.to[0]: message for message in mail.outbox}
    english = by_recipient[in_person.email]
    assert english.subject.startswith("Your certificate of participation")
    [(filename, content, mimetype)] = english.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    assert filename.endswith(".pdf")
    assert in_person.full_name in pdf_text(content)
    assert Certificate.objects.get(registration=in_person).verification_url() in english.body
    assert by_recipient[attendee.email].subject.startswith("Su certificado de participación")
    sent = StatusChange.objects.filter(action=StatusChange.Action.CERTIFICATE_SENT)
    assert sent.count() == 2 and {change.changed_by for change in sent} == {organiser}


def test_revoked_certificates_are_not_sent(
    client, event, attendee, django_capture_on_commit_callbacks
):
    sign_in(client, staff_member(ORGANISERS))
    with time_machine.travel(AFTER, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.revoke_certificate(attendee, by=None)
        response = send_from_admin(client, event)
    assert "revoked, not sent: 1." in messages_of(response)[-1]
    assert mail.outbox == []


def test_certificates_are_not_sent_before_the_meeting_ends(client, event, attendee):
    sign_in(client, staff_member(ORGANISERS))
    with time_machine.travel(lima(12), tick=False):
        response = send_from_admin(client, event)
    assert mail.outbox == []
    assert "once the meeting has ended" in " ".join(messages_of(response))


def test_organiser_revokes_a_certificate_in_admin_recorded_with_who_and_when(client, attendee):
    organiser = sign_in(client, staff_member(ORGANISERS))
    with time_machine.travel(AFTER, tick=False):
        certificate = attendee.issue_certificate()
    with translation.override("en"):
        path = reverse("admin:registration_registration_changelist")
    with time_machine.travel(lima(15), tick=False):
        response = client.post(
            path,
            {"action": "revoke_certificates", "_selected_action": [attendee.pk]},
            follow=True,
        )
    assert "1 certificate revoked." in response.text
    certificate.refresh_from_db()
    assert (certificate.revoked_at, certificate.revoked_by) == (lima(15), organiser)
    revoked = attendee.status_changes.get(action=StatusChange.Action.CERTIFICATE_REVOKED)
    assert revoked.changed_by == organiser


# The signatory in admin --------------------------------------------------------------------------


def png_bytes(size=(300, 100)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="PNG")
    return buffer.getvalue()


def signatory_form(event, upload):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return CertificateSignatoryForm(
        data={"name": "Ana", "position_es": "Directora", "position_en": "Director"},
        files={"signature_upload": SimpleUploadedFile(*upload)},
        instance=CertificateSignatory(event=event),
    )


def test_a_signature_image_is_kept_as_png(event):
    CertificateSignatory.objects.filter(event=event).delete()
    form = signatory_form(event, ("firma.jpg", png_bytes(), "image/jpeg"))
    assert form.is_valid(), form.errors
    signatory = form.save()
    assert bytes(signatory.signature).startswith(b"\x89PNG")


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(event):
    form = signatory_form(event, ("firma.png", b"<svg onload='x'></svg>", "image/png"))
    assert not form.is_valid()
    assert "signature_upload" in form.errors


def test_an_oversize_signature_is_refused(event, settings):
    settings.CERTIFICATE_SIGNATURE_MAX_BYTES = 1000
    form = signatory_form(event, ("firma.png", png_bytes((1500, 1500)), "image/png"))
    assert not form.is_valid()
    assert "too large" in str(form.errors["signature_upload"])


def test_the_event_page_in_admin_offers_the_signatory(client, event):
    sign_in(client, staff_member(ORGANISERS))
    with translation.override("en"):
        path = reverse("admin:agenda_event_change", args=[event.pk])
    page = client.get(path).text
    assert "Certificates of participation" in page
    assert 'name="certificate_signatory-0-signature_upload"' in page
    assert 'enctype="multipart/form-data"' in page


# In every language -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", CODES)
def test_my_registration_offers_the_certificate_in_each_language(client, signed_in, language):
    with time_machine.travel(AFTER, tick=False):
        page = client.get(url("my-registration", language, event_slug=signed_in.event.slug)).text
    assert TITLES[language] in page
    with translation.override(language):
        assert translation.gettext("Download my certificate (PDF)") in page
        assert url("certificate", language, event_slug=signed_in.event.slug) in page


@pytest.mark.parametrize("language", CODES)
def test_my_registration_explains_in_each_language_why_there_is_none(client, event, language):
    absent = RegistrationFactory(event=event)
    client.force_login(absent.user)
    with time_machine.travel(lima(10), tick=False):
        before = client.get(url("my-registration", language, event_slug=event.slug)).text
    with time_machine.travel(AFTER, tick=False):
        after = client.get(url("my-registration", language, event_slug=event.slug)).text
    with translation.override(language):
        absent.event.refresh_from_db()
        waiting = absent.certificate_refusal(now=lima(10))
        not_attended = absent.certificate_refusal(now=AFTER)
    assert waiting != not_attended
    assert html_text(waiting) in before
    assert html_text(not_attended) in after
    if language == "es":
        assert "Nuestros registros no muestran su asistencia" in after


def html_text(text):
    from django.utils.html import escape

    return escape(str(text))


@pytest.mark.parametrize("language", CODES)
def test_certificate_mail_speaks_the_participants_language(
    client, event, language, django_capture_on_commit_callbacks
):
    RegistrationFactory(event=event, checked_in_at=lima(9), preferred_language=language)
    sign_in(client, staff_member(ORGANISERS))
    with time_machine.travel(AFTER, tick=False), django_capture_on_commit_callbacks(execute=True):
        send_from_admin(client, event)
    [message] = mail.outbox
    with translation.override(language):
        assert message.subject.startswith(translation.gettext("Your certificate of participation"))
    assert TITLES[language] in pdf_text(message.attachments[0][1])
