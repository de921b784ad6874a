import io
import os
import unicodedata
from io import StringIO

import pytest
import zxingcpp
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from agenda.models import Event
from registration import documents, qr, typesetting
from registration.models import AttendanceMode, Registration
from tests.languages import LANGUAGES

from .factories import RegistrationFactory, UserFactory, open_event
from .staff import sign_in

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
def event():
    return open_event(title_en="Cross-border cooperation meeting", in_person_places=100)


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


def require_font(is_installed, name, package):
    """Skip a test that needs a font missing here; on CI, where .ci/run installs it, fail instead."""
    if is_installed:
        return
    reason = f"needs {name} (Debian's {package})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: on CI it must run, so .ci/run installs it")
    pytest.skip(reason)


@pytest.fixture
def dejavu():
    require_font(documents.fonts()[0] == "DejaVuSans", "DejaVu Sans", "fonts-dejavu-core")


@pytest.fixture
def symbola(dejavu):
    require_font("Symbola" in typesetting.fallback_fonts(), "Symbola", "fonts-symbola")


def test_names_beyond_latin_1_print_with_the_system_font(
    client, organiser, event, category, dejavu
):
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


# Long texts on badges --------------------------------------------------------------------------

LONG_NAME = "María de los Ángeles Fernández-Villavicencio Montenegro de la Torre y Santisteban"
LONG_ORGANISATION = (
    "Secretaría Permanente del Sistema Económico Latinoamericano y del Caribe, Dirección de "
    "Relaciones para la Integración y Cooperación"
)
LAYOUTS = [documents.BadgeLayout.SHEET, documents.BadgeLayout.SINGLE]


@pytest.fixture
def meeting():
    """The meeting as its data file gives it, with its own (long) audience categories."""
    call_command("load_meeting", stdout=StringIO())
    return Event.objects.get(slug="cross-border-cooperation-2024")


@pytest.fixture
def meeting_badges(meeting):
    """A confirmed in-person participant in each of the meeting's categories, with long details."""
    return [
        RegistrationFactory(
            event=meeting,
            category=category,
            honorific="Excelentísima Embajadora Extraordinaria y Plenipotenciaria",
            full_name=LONG_NAME,
            organisation=LONG_ORGANISATION,
        )
        for category in meeting.audience_categories.all()
    ]


def ink(text):
    """From the baseline, how far a line's letters reach down and up (descenders, accents)."""
    return text.y - 0.3 * text.line.size, text.y + 0.95 * text.line.size


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_badge_line_stays_within_the_badge_for_the_meetings_categories(
    meeting_badges, layout, language
):
    _, slots = documents.badge_slots(layout)
    box_x, box_y, width, height = slots[-1]
    with translation.override(language):
        for registration in meeting_badges:
            plan = documents.badge_plan(registration, slots[-1])
            qr_x, qr_y, qr_size = plan.qr
            footer_top = box_y + plan.footer_height
            band_bottom = box_y + height - plan.band_height
            category_lines = []
            for text in plan.texts:
                bottom, top = ink(text)
                right = text.x + text.line.width
                assert box_x < text.x and right < box_x + width, text
                assert box_y < bottom and top < box_y + height, text
                # Each line keeps to its own part of the badge: the band, the footer, under the
                # QR code (the reference) or the column beside it, never across two of them.
                if top <= footer_top:
                    category_lines.append(text.line.text)
                elif text.line.text == registration.reference:
                    assert qr_x - 5 * mm < text.x and right < qr_x + qr_size + 5 * mm, text
                else:
                    assert bottom >= band_bottom or (
                        right < qr_x and bottom > footer_top and top < band_bottom
                    ), text
            # The category is whole, only wrapped.
            assert " ".join(category_lines) == str(registration.category.name)


class DrawnText:
    """Records every string a ReportLab canvas draws, where, in which font and at which size."""

    def __init__(self, monkeypatch):
        self.calls = []
        for method, anchor in [
            ("drawString", 0),
            ("drawCentredString", 0.5),
            ("drawRightString", 1),
        ]:
            original = getattr(canvas.Canvas, method)
            monkeypatch.setattr(canvas.Canvas, method, self._spy(original, anchor))

    def _spy(self, original, anchor):
        def spy(pdf, x, y, text, *args, **kwargs):
            width = pdfmetrics.stringWidth(text, pdf._fontname, pdf._fontsize)
            left = x - anchor * width
            self.calls.append((pdf.getPageNumber(), left, left + width, y, text))
            return original(pdf, x, y, text, *args, **kwargs)

        return spy


@pytest.mark.parametrize("layout", LAYOUTS)
def test_drawn_badges_keep_every_line_within_the_badge(monkeypatch, meeting_badges, layout):
    drawn = DrawnText(monkeypatch)
    with translation.override("es"):
        content = documents.badges_pdf(Registration.objects.all(), layout)
        categories = [str(registration.category.name) for registration in meeting_badges]

    _, slots = documents.badge_slots(layout)
    assert drawn.calls
    for page, left, right, y, text in drawn.calls:
        badges = [
            (x, x + width)
            for x, bottom, width, height in slots
            if x <= left < x + width and bottom < y < bottom + height
        ]
        assert badges, f"{text!r} drawn outside every badge (page {page}, x={left:.1f}, y={y:.1f})"
        [(badge_left, badge_right)] = badges
        assert right <= badge_right, (
            f"{text!r} on page {page} spans {left:.1f}–{right:.1f} pt, "
            f"its badge {badge_left:.1f}–{badge_right:.1f} pt"
        )
    printed = " ".join(" ".join(text.split()) for text in pdf_text(content))
    for category in categories:
        assert category in printed


def test_a_name_too_long_for_the_badge_ends_in_an_ellipsis_within_it(event, category):
    person = RegistrationFactory(event=event, category=category, full_name="Nombre " * 28)
    _, [slot] = documents.badge_slots(documents.BadgeLayout.SINGLE)
    plan = documents.badge_plan(person, slot)
    name_lines = [text for text in plan.texts if text.line.text.startswith("Nombre")]

    assert len(name_lines) == 4
    assert name_lines[-1].line.text.endswith(typesetting.ELLIPSIS)
    assert all(text.x + text.line.width < plan.qr[0] for text in name_lines)


def test_long_names_wrap_after_hyphens_before_shrinking():
    regular, bold = documents.fonts()
    block = typesetting.fit("Fernández-Villavicencio", bold, 105, 14, [(1, 13), (2, 12)])

    assert (block.size, block.is_cut) == (14, False)
    assert [line.text for line in block.lines] == ["Fernández-", "Villavicencio"]
    assert all(line.width <= 105 for line in block.lines)


# Scripts and emoji -------------------------------------------------------------------------------

# pypdf reads a page as a viewer copies it: glyphs in the order they are painted, with each run of
# right-to-left letters turned back into reading order. So a name painted in visual order comes
# back as it was typed, and one painted in typing order (left to right) comes back reversed.
# "Muhammad Ali" comes back in joined letters: initial, medial and final presentation forms.
ARABIC_NAME, ARABIC_JOINED = "محمد علي", "\ufee3\ufea4\ufee4\ufeaa \ufecb\ufee0\ufef2"
HEBREW_NAME = "שרה כהן"  # Sarah Cohen
THUMBS_UP = "\N{THUMBS UP SIGN}"  # an emoji DejaVu Sans has no glyph for


def drawn_characters(content):
    """(font, character) for every character the PDF draws, the font as its file names itself."""
    drawn = []
    for page in PdfReader(io.BytesIO(content)).pages:

        def visit(text, cm, tm, font, size):
            if font is not None and text.strip():
                name = str(font["/BaseFont"]).lstrip("/").split("+")[-1]
                drawn.extend((name, char) for char in text if not char.isspace())

        page.extract_text(visitor_text=visit)
    return drawn


def characters_without_a_glyph(content):
    """Characters drawn in a font that lacks them: each would print as the empty .notdef box."""
    charmaps = {}
    for name in (*documents.fonts(), *typesetting.fallback_fonts()):
        face = pdfmetrics.getFont(name).face
        if hasattr(face, "charToGlyph"):
            charmaps[face.name.decode()] = face.charToGlyph
        else:  # a built-in font, in WinAnsi encoding
            charmaps[name] = {
                ord(char) for char in bytes(range(32, 256)).decode("cp1252", "ignore")
            }
    return [
        (font, char) for font, char in drawn_characters(content) if ord(char) not in charmaps[font]
    ]


def documents_for(registrations):
    """Every PDF documents.py makes, for these registrations."""
    event = registrations[0].event
    queryset = Registration.objects.filter(
        pk__in=[registration.pk for registration in registrations]
    )
    return {
        "attendance sheet": documents.attendance_sheet_pdf(event, queryset),
        **{f"badges ({layout})": documents.badges_pdf(queryset, layout) for layout in LAYOUTS},
    }


def test_arabic_and_hebrew_names_print_joined_and_in_reading_order(dejavu, event, category):
    people = [
        RegistrationFactory(event=event, category=category, full_name=name, organisation=name)
        for name in [ARABIC_NAME, HEBREW_NAME]
    ]
    for document, content in documents_for(people).items():
        text = "\n".join(pdf_text(content))
        assert text.count(ARABIC_JOINED) == 2 and text.count(HEBREW_NAME) == 2, document
        # Never the letters unjoined, or reversed.
        assert ARABIC_NAME not in text and ARABIC_NAME[::-1] not in text, document
        assert HEBREW_NAME[::-1] not in text, document
        assert characters_without_a_glyph(content) == [], document


def test_a_long_arabic_name_wraps_in_reading_order(dejavu):
    regular, bold = documents.fonts()
    name = "عبد الرحمن بن محمد بن عبد الله بن علي بن حسن الهاشمي"
    block = typesetting.fit(name, bold, 100, 12, [(4, 12)])

    assert len(block.lines) > 1 and not block.is_cut
    # Read each line from its right end, top line first, and the name is whole and in order.
    read = [" ".join(word[::-1] for word in reversed(line.text.split())) for line in block.lines]
    # Compatibility normalisation turns the joined forms back into the letters typed.
    assert unicodedata.normalize("NFKC", " ".join(read)) == name


def test_emoji_print_in_a_font_that_has_them(symbola, event, category):
    person = RegistrationFactory(
        event=event, category=category, full_name=f"Ana {THUMBS_UP} Pérez", organisation="Café ☕"
    )
    for document, content in documents_for([person]).items():
        text = "\n".join(pdf_text(content))
        assert "Ana" in text and "Pérez" in text and THUMBS_UP in text, document
        assert ("Symbola", THUMBS_UP) in drawn_characters(content), document
        assert characters_without_a_glyph(content) == [], document


def test_without_a_fallback_font_emoji_are_left_out_not_boxed(monkeypatch, dejavu, event, category):
    monkeypatch.setattr(typesetting, "fallback_fonts", lambda: ())
    person = RegistrationFactory(event=event, category=category, full_name=f"Ana {THUMBS_UP} Pérez")
    for document, content in documents_for([person]).items():
        text = "\n".join(pdf_text(content))
        assert "Ana" in text and "Pérez" in text and THUMBS_UP not in text, document
        assert characters_without_a_glyph(content) == [], document


def test_without_dejavu_sans_what_helvetica_cannot_draw_is_left_out(monkeypatch, event, category):
    helvetica = ("Helvetica", "Helvetica-Bold")
    monkeypatch.setattr(typesetting, "fonts", lambda: helvetica)
    monkeypatch.setattr(documents, "fonts", lambda: helvetica)
    monkeypatch.setattr(typesetting, "fallback_fonts", lambda: ())
    person = RegistrationFactory(
        event=event, category=category, full_name=f"José {ARABIC_NAME} {THUMBS_UP} Núñez"
    )
    for document, content in documents_for([person]).items():
        text = "\n".join(pdf_text(content))
        assert "José Núñez" in text, document
        assert characters_without_a_glyph(content) == [], document
