"""The reference's QR code that participants show at the entrance: in their mails and on their page."""

import io
import re

import pytest
import zxingcpp
from django.template.loader import render_to_string
from django.utils import translation
from PIL import Image

from registration.emails import Kind, build_message
from registration.models import AttendanceMode, Registration
from tests.languages import LANGUAGES

from .factories import RegistrationFactory

pytestmark = pytest.mark.django_db

Status = Registration.Status


def decoded(image):
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


def svg_as_image(svg, pixels_per_module=8):
    """
    Draw segno's inline SVG as pixels: its dark modules are one path of horizontal strokes
    ("M x y" to start, "h n" to draw n modules, "m dx dy" to move), one module high.
    """
    [path] = re.findall(r'class="qrline"[^>]*\sd="([^"]+)"', svg)
    size = int(re.search(r'<svg[^>]*\swidth="(\d+)"', svg).group(1))
    scale = float(re.search(r'transform="scale\(([\d.]+)\)"', svg).group(1))
    modules = round(size / scale)
    image = Image.new("L", (modules * pixels_per_module,) * 2, 255)
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([^MmHh]+)", path):
        values = [float(number) for number in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "m":
            x, y = x + values[0], y + values[1]
        else:
            row = int(y)
            for column in range(int(x), int(x + values[0])):
                box = (column * pixels_per_module, row * pixels_per_module)
                image.paste(0, (*box, box[0] + pixels_per_module, box[1] + pixels_per_module))
            x += values[0]
    return image


def inline_images(email):
    """The images inside the HTML part (multipart/related), by Content-ID."""
    mime = email.message()
    return {
        part["Content-ID"].strip("<>"): part.get_content()
        for part in mime.walk()
        if part.get_content_type() == "image/png"
    }


@pytest.mark.parametrize("kind", [Kind.CONFIRMED, Kind.PROMOTED, Kind.APPROVED, Kind.REMINDER])
@pytest.mark.parametrize("language", LANGUAGES)
def test_mails_confirming_a_seat_show_the_reference_as_a_qr_code(event, kind, language):
    registration = RegistrationFactory(event=event, preferred_language=language)
    email = build_message(registration, kind)

    [(content_id, png)] = inline_images(email).items()
    html = email.alternatives[0].content
    # Shown where the HTML refers to it, with the reference as its text for those who see no image.
    assert re.search(
        rf'<img src="cid:{re.escape(content_id)}"[^>]* alt="[^"]*{registration.reference}"', html
    )
    assert decoded(Image.open(io.BytesIO(png))) == [registration.reference]
    # Part of the HTML, not a file to open: the calendar stays the only attachment.
    assert [attachment.mimetype for attachment in email.attachments] == ["text/calendar"]


def test_the_plain_text_mail_says_to_show_the_code_or_the_reference(event):
    registration = RegistrationFactory(event=event, preferred_language="en")
    email = build_message(registration, Kind.CONFIRMED)
    assert (
        "At the entrance, show the QR code that comes with this e-mail or give your reference."
        in email.body
    )


@pytest.mark.parametrize(
    ("status", "mode", "kind"),
    [
        (Status.CONFIRMED, AttendanceMode.VIRTUAL, Kind.CONFIRMED),
        (Status.WAITING_LIST, AttendanceMode.IN_PERSON, Kind.WAITING_LIST),
        (Status.CANCELLED, AttendanceMode.IN_PERSON, Kind.CANCELLED),
        (Status.CONFIRMED, AttendanceMode.IN_PERSON, Kind.AGENDA_CHANGED),
    ],
)
def test_other_mails_carry_no_qr_code(event, status, mode, kind):
    registration = RegistrationFactory(
        event=event, status=status, attendance_mode=mode, queued_at=event.created_at
    )
    email = build_message(registration, kind)
    assert inline_images(email) == {}
    assert "cid:" not in email.alternatives[0].content


def test_my_registration_partial_draws_the_reference_as_an_svg_qr_code(event):
    registration = RegistrationFactory(event=event)
    with translation.override("en"):
        html = render_to_string("registration/_reference_qr.html", {"registration": registration})
    assert '<svg role="img"' in html
    assert f"<title>QR code of your reference {registration.reference}</title>" in html
    assert "style=" not in html and "<script" not in html
    assert decoded(svg_as_image(html)) == [registration.reference]


@pytest.mark.parametrize(
    ("status", "mode"),
    [
        (Status.CONFIRMED, AttendanceMode.VIRTUAL),
        (Status.WAITING_LIST, AttendanceMode.IN_PERSON),
        (Status.PENDING_APPROVAL, AttendanceMode.IN_PERSON),
    ],
)
def test_no_qr_code_for_someone_without_a_seat_in_the_room(event, status, mode):
    registration = RegistrationFactory(event=event, status=status, attendance_mode=mode)
    html = render_to_string("registration/_reference_qr.html", {"registration": registration})
    assert "<svg" not in html
