import io

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from forum.groups import ORGANISERS
from registration import documents, qr
from registration.models import AttendanceMode, Registration

from .factories import AudienceCategoryFactory, RegistrationFactory, UserFactory, open_event
from .staff import sign_in, staff_member

pytestmark = pytest.mark.django_db

Status = Registration.Status


def in_language(language, url):
    """`url` under /es/ or /en/, whichever language reverse() happened to use."""
    return f"/{language}/" + url.split("/", 2)[2]


def english(url):
    return in_language("en", url)


def spanish(url):
    return in_language("es", url)


@pytest.fixture
def organiser(client):
    return sign_in(client, staff_member(ORGANISERS))


@pytest.fixture
def event():
    return open_event(title_en="Cross-border cooperation meeting", in_person_places=100)


@pytest.fixture
def category(event):
    return AudienceCategoryFactory(event=event, name_en="Government", name_es="Gobierno")


@pytest.fixture
def participants(event, category):
    """Confirmed in-person participants, out of order, and others who must not be printed."""
    names = ["Óscar Núñez", "Nuria Ortiz", "ana Pérez", "Nuño Vega", "Álvaro Díaz"]
    printed = [
        RegistrationFactory(event=event, category=category, full_name=name, country="CO")
        for name in names
    ]
    RegistrationFactory(
        event=event, category=category, full_name="Walter Waiting", status=Status.WAITING_LIST
    )
    RegistrationFactory(
        event=event,
        category=category,
        full_name="Victor Virtual",
        attendance_mode=AttendanceMode.VIRTUAL,
    )
    RegistrationFactory(
        event=event, category=category, full_name="Carla Cancelled", status=Status.CANCELLED
    )
    return printed


SORTED_NAMES = ["Álvaro Díaz", "ana Pérez", "Nuño Vega", "Nuria Ortiz", "Óscar Núñez"]
NOT_PRINTED = ["Walter Waiting", "Victor Virtual", "Carla Cancelled"]


def pdf_text(content):
    reader = PdfReader(io.BytesIO(content))
    return [page.extract_text() for page in reader.pages]


def decoded_qr_codes(page):
    """The text of every QR code among the page's images, read back as a phone camera would."""
    texts = []
    for image_file in page.images:
        image = image_file.image.convert("L")
        texts += [result.text for result in zxingcpp.read_barcodes(image)]
    return texts


def positions(text, names):
    return [text.index(name) for name in names]


def test_names_sort_as_a_spanish_reader_expects():
    names = ["Nuria", "Nuño", "Núñez", "Nunez", "Zoe", "álvaro", "Alvarez", "Oscar", "Łukasz"]
    ordered = sorted(names, key=documents.name_sort_key)
    assert ordered == [
        "Alvarez",
        "álvaro",
        "Łukasz",
        "Nunez",
        "Núñez",
        "Nuño",
        "Nuria",
        "Oscar",
        "Zoe",
    ]


def test_reference_qr_code_decodes_back_to_the_reference():
    image = Image.open(io.BytesIO(qr.reference_qr_png("K7M2Q9XZ", scale=10)))
    results = zxingcpp.read_barcodes(image.convert("L"))
    assert [(result.text, result.format) for result in results] == [
        ("K7M2Q9XZ", zxingcpp.BarcodeFormat.QRCode)
    ]


def test_attendance_sheet_lists_confirmed_in_person_participants_by_name(
    client, organiser, event, participants
):
    url = reverse("admin:registration_registration_attendance_sheet", args=[event.pk])
    response = client.get(english(url))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="attendance-{event.slug}.pdf"'
    [text] = pdf_text(response.content)
    assert positions(text, SORTED_NAMES) == sorted(positions(text, SORTED_NAMES))
    assert not [name for name in NOT_PRINTED if name in text]
    assert "Cross-border cooperation meeting" in text
    assert "Aug. 15, 2024, 09:00–13:00 Lima time" in text
    assert "Attendance sheet" in text and "Signature" in text
    assert "Colombia" in text and participants[0].reference in text
    assert "Page 1 of 1" in text


def test_attendance_sheet_follows_the_admin_language(client, organiser, event, participants):
    url = reverse("admin:registration_registration_attendance_sheet", args=[event.pk])
    [text] = pdf_text(client.get(spanish(url)).content)
    assert "15 de agosto de 2024" in text
    assert "Óscar Núñez" in text


def test_long_attendance_sheet_numbers_its_pages_and_repeats_the_header(
    client, organiser, event, category
):
    for number in range(60):
        RegistrationFactory(event=event, category=category, full_name=f"Persona {number:02d}")
    url = reverse("admin:registration_registration_attendance_sheet", args=[event.pk])
    pages = pdf_text(client.get(english(url)).content)

    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Cross-border cooperation meeting" in text and "Signature" in text
    everything = "".join(pages)
    assert positions(everything, ["Persona 00", "Persona 31", "Persona 59"]) == sorted(
        positions(everything, ["Persona 00", "Persona 31", "Persona 59"])
    )


def test_badges_sheet_puts_eight_per_page_with_decodable_qr_codes(
    client, organiser, event, category
):
    people = [
        RegistrationFactory(
            event=event, category=category, full_name=f"Persona {number}", honorific="Dra."
        )
        for number in range(9)
    ]
    url = reverse("admin:registration_registration_badges", args=[event.pk, "sheet"])
    response = client.get(english(url))

    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    first, second = reader.pages
    assert "Persona 0" in first.extract_text() and "Persona 8" in second.extract_text()
    assert sorted(decoded_qr_codes(first) + decoded_qr_codes(second)) == sorted(
        person.reference for person in people
    )
    assert len(decoded_qr_codes(first)) == 8


def test_badge_shows_name_honorific_organisation_country_and_category(
    client, organiser, event, category
):
    person = RegistrationFactory(
        event=event,
        category=category,
        honorific="Embajadora",
        full_name="María José Núñez",
        organisation="Cancillería del Perú",
        country="PE",
    )
    url = reverse("admin:registration_registration_badges", args=[event.pk, "single"])
    reader = PdfReader(io.BytesIO(client.get(english(url)).content))

    [page] = reader.pages
    text = page.extract_text()
    for expected in [
        "Embajadora",
        "María José Núñez",
        "Cancillería del Perú",
        "Peru",
        "Government",
    ]:
        assert expected in text
    assert decoded_qr_codes(page) == [person.reference]


def test_single_badges_are_one_per_page_in_name_order(client, organiser, event, participants):
    url = reverse("admin:registration_registration_badges", args=[event.pk, "single"])
    reader = PdfReader(io.BytesIO(client.get(english(url)).content))

    assert [
        SORTED_NAMES.index(name)
        for page in reader.pages
        for name in SORTED_NAMES
        if name in page.extract_text()
    ] == [0, 1, 2, 3, 4]
    by_name = {person.full_name: person.reference for person in participants}
    assert [decoded_qr_codes(page) for page in reader.pages] == [
        [by_name[name]] for name in SORTED_NAMES
    ]


@pytest.mark.skipif(
    documents.fonts()[0] == "Helvetica", reason="needs DejaVu Sans (fonts-dejavu-core)"
)
def test_names_beyond_latin_1_print_with_the_system_font(client, organiser, event, category):
    RegistrationFactory(event=event, category=category, full_name="Łukasz Żółć")
    url = reverse("admin:registration_registration_attendance_sheet", args=[event.pk])
    [text] = pdf_text(client.get(url).content)
    assert "Łukasz Żółć" in text


def test_unknown_badge_layout_is_not_found(client, organiser, event):
    url = reverse("admin:registration_registration_badges", args=[event.pk, "poster"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["attendance_sheet", "badges"])
def test_printed_documents_are_refused_to_staff_outside_the_organisers(client, event, name):
    args = [event.pk] if name == "attendance_sheet" else [event.pk, "sheet"]
    url = reverse(f"admin:registration_registration_{name}", args=args)
    sign_in(client, UserFactory(is_staff=True))
    assert client.get(url).status_code == 403
    sign_in(client, UserFactory())
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def changelist_action(client, action, registrations, query=""):
    url = reverse("admin:registration_registration_changelist") + query
    return client.post(
        english(url),
        {"action": action, "_selected_action": [registration.pk for registration in registrations]},
    )


def test_attendance_sheet_action_prints_the_confirmed_in_person_among_the_selection(
    client, organiser, participants
):
    others = Registration.objects.filter(full_name__in=NOT_PRINTED)
    response = changelist_action(
        client, "attendance_sheet", [participants[0], participants[2], *others]
    )

    assert response["Content-Type"] == "application/pdf"
    [text] = pdf_text(response.content)
    assert "ana Pérez" in text and "Óscar Núñez" in text
    assert "Nuria Ortiz" not in text
    assert not [name for name in NOT_PRINTED if name in text]
    assert positions(text, ["ana Pérez", "Óscar Núñez"]) == sorted(
        positions(text, ["ana Pérez", "Óscar Núñez"])
    )


def test_attendance_sheet_action_explains_when_nobody_selected_can_be_printed(
    client, organiser, participants
):
    others = Registration.objects.filter(full_name__in=NOT_PRINTED)
    response = changelist_action(client, "attendance_sheet", others)

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "None of the selected registrations is a confirmed in-person participant." in page.text


def test_attendance_sheet_action_asks_for_one_event(client, organiser, participants, category):
    elsewhere = RegistrationFactory(full_name="Elsewhere Person")
    response = changelist_action(client, "attendance_sheet", [participants[0], elsewhere])

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "An attendance sheet is for one event: filter the list by event first." in page.text


@pytest.mark.parametrize(("action", "pages"), [("badges_sheet", 1), ("badges_single", 2)])
def test_badges_action_prints_the_selected(client, organiser, participants, action, pages):
    chosen = [participants[1], participants[3]]
    response = changelist_action(client, action, chosen)

    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == pages
    assert sorted(code for page in reader.pages for code in decoded_qr_codes(page)) == sorted(
        person.reference for person in chosen
    )


def test_printing_actions_are_not_offered_to_staff_outside_the_organisers(client, participants):
    sign_in(client, UserFactory(is_staff=True))
    response = changelist_action(client, "attendance_sheet", participants)
    assert response.status_code == 403
