"""
Printed documents for the day in Lima: the attendance sheet people sign and their badges.

Both list confirmed in-person participants only, sorted by name the way a Spanish reader expects
(accents ignored, ñ after n). Text is set in DejaVu Sans where the system has it, which covers
every Latin, Greek and Cyrillic name; elsewhere in PDF's built-in Helvetica, which still covers
Spanish and Portuguese (Latin-1). Each badge carries a QR code of the registration's reference,
the same code the check-in desk reads.
"""

import io
import unicodedata
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils.formats import date_format
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A6, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from agenda import timezones

from .qr import reference_qr_png

FONT_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
BRAND_COLOUR = colors.HexColor("#205067")
CUT_LINE_COLOUR = colors.HexColor("#9aa5ad")


class BadgeLayout:
    """How badges are laid out: a sheet of eight to cut from A4, or one per A6 page."""

    SHEET = "sheet"
    SINGLE = "single"
    COLUMNS, ROWS = 2, 4

    @classmethod
    def values(cls):
        return (cls.SHEET, cls.SINGLE)


@cache
def fonts():
    """(regular, bold) font names: DejaVu Sans when installed, else the PDF built-in Helvetica."""
    regular, bold = FONT_DIRECTORY / "DejaVuSans.ttf", FONT_DIRECTORY / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


# Letters Unicode does not split into a base letter and a mark, sorted as their base letters.
_UNDECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe"})


def name_sort_key(name):
    """
    Sort key for a person's name as a Spanish reader orders them: case and accents do not count
    (Álvarez beside Alvarez), but ñ is a letter of its own, after n (Nuñez after Nunez, before Nuo).
    """
    text = " ".join(unicodedata.normalize("NFC", name).casefold().split())
    # U+007F sorts after every ASCII letter (accents are gone by then): "n\x7f" falls between "nz" and "o".
    text = text.replace("ñ", "n\x7f")
    plain = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    ).translate(_UNDECOMPOSED)
    return (plain, text)


def confirmed_in_person(registrations):
    """The registrations that print: confirmed in-person ones, sorted by name."""
    rows = registrations.confirmed().in_person().select_related("event", "category")
    return sorted(
        rows,
        key=lambda registration: (name_sort_key(registration.full_name), registration.reference),
    )


def _event_when(event):
    """“15 August 2024, 09:00–13:00 Lima time”, in the event's own zone."""
    start, end = event.local_starts_at, event.local_ends_at
    clock = gettext("%(time)s %(city)s time") % {
        "time": f"{start:%H:%M}–{end:%H:%M}",
        "city": timezones.zone_city(event.time_zone),
    }
    return f"{date_format(start, 'DATE_FORMAT')}, {clock}"


# Attendance sheet ------------------------------------------------------------------------------


def _numbered_canvas(font):
    """A canvas that writes “Page n of N” on every page once it knows N."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillColor(colors.black)
                self.drawRightString(
                    A4[0] - 15 * mm,
                    10 * mm,
                    gettext("Page %(page)s of %(pages)s") % {"page": number, "pages": total},
                )
                super().showPage()
            super().save()

    return NumberedCanvas


def attendance_sheet_pdf(event, registrations):
    """
    The sheet participants sign at the door: one row per confirmed in-person participant, sorted by
    name, with the event's title, date and Lima time at the top of every page.
    """
    regular, bold = fonts()
    people = confirmed_in_person(registrations)
    title = gettext("Attendance sheet")
    when = _event_when(event)
    venue = event.venue_name
    subtitle = gettext("Confirmed in-person participants: %(count)s") % {"count": len(people)}

    def header(pdf, document):
        pdf.saveState()
        top = A4[1] - 15 * mm
        pdf.setFont(bold, 13)
        pdf.drawString(15 * mm, top, event.title[:110])
        pdf.setFont(regular, 9)
        pdf.drawString(15 * mm, top - 5.5 * mm, when + (f" · {venue}" if venue else ""))
        pdf.setFont(bold, 11)
        pdf.drawString(15 * mm, top - 12 * mm, title)
        pdf.setFont(regular, 9)
        pdf.drawRightString(A4[0] - 15 * mm, top - 12 * mm, subtitle)
        pdf.restoreState()

    cell = ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11)
    head = ParagraphStyle("head", fontName=bold, fontSize=9, leading=11)
    rows = [
        [
            Paragraph("#", head),
            Paragraph(escape(gettext("Name")), head),
            Paragraph(escape(gettext("Organisation")), head),
            Paragraph(escape(gettext("Country")), head),
            Paragraph(escape(gettext("Reference")), head),
            Paragraph(escape(gettext("Signature")), head),
        ]
    ]
    for number, registration in enumerate(people, start=1):
        rows.append(
            [
                Paragraph(str(number), cell),
                Paragraph(escape(registration.full_name), cell),
                Paragraph(escape(registration.organisation), cell),
                Paragraph(escape(str(registration.country.name)), cell),
                Paragraph(escape(registration.reference), cell),
                "",
            ]
        )
    table = Table(
        rows,
        colWidths=[8 * mm, 48 * mm, 42 * mm, 22 * mm, 26 * mm, 34 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef2")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                # Tall rows leave room for a handwritten signature.
                ("TOPPADDING", (0, 1), (-1, -1), 9),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 9),
            ]
        )
    )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=32 * mm,
        bottomMargin=18 * mm,
        title=f"{title} – {event.title}",
        author=event.title,
    )
    document.build(
        [table], onFirstPage=header, onLaterPages=header, canvasmaker=_numbered_canvas(regular)
    )
    return buffer.getvalue()


# Badges ----------------------------------------------------------------------------------------


def _fitting_size(text, font, largest, smallest, width):
    size = largest
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _wrap(text, font, size, width):
    """Lines of `text` no wider than `width`, breaking inside a word only when it alone is too wide."""
    lines = []
    for line in simpleSplit(text, font, size, width):
        while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return lines


def _draw_lines(pdf, text, font, size, x, top, width, max_lines):
    """Write `text` wrapped to `width` from `top` down; returns the y below the last line."""
    lines = _wrap(text, font, size, width)[:max_lines]
    pdf.setFont(font, size)
    y = top
    for line in lines:
        y -= size * 1.15
        pdf.drawString(x, y, line)
    return y


def _draw_badge(pdf, registration, x, y, width, height):
    regular, bold = fonts()
    unit = height / (66.75 * mm)  # type sizes below are for a sheet badge; A6 scales them up
    pad = 5 * mm * unit

    pdf.saveState()
    # Where to cut, light enough to vanish once the badge is in its holder.
    pdf.setStrokeColor(CUT_LINE_COLOUR)
    pdf.setLineWidth(0.4)
    pdf.setDash(2, 2)
    pdf.rect(x, y, width, height)
    pdf.setDash()

    band = 11 * mm * unit
    pdf.setFillColor(BRAND_COLOUR)
    pdf.rect(x, y + height - band, width, band, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    event_title = registration.event.title
    size = _fitting_size(event_title, bold, 9 * unit, 6 * unit, width - 2 * pad)
    lines = _wrap(event_title, bold, size, width - 2 * pad)[:2]
    pdf.setFont(bold, size)
    first_baseline = y + height - band / 2 + (len(lines) - 1) * size * 0.55 - size * 0.35
    for index, line in enumerate(lines):
        pdf.drawString(x + pad, first_baseline - index * size * 1.1, line)

    footer = 9 * mm * unit
    pdf.setFillColor(colors.HexColor("#e8eef2"))
    pdf.rect(x, y, width, footer, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    category = str(registration.category.name)
    size = _fitting_size(category, bold, 10 * unit, 6 * unit, width - 2 * pad)
    pdf.setFont(bold, size)
    pdf.drawString(x + pad, y + footer / 2 - size * 0.35, category)

    qr_size = min(height - band - footer - 2 * pad - 4 * unit * mm, width * 0.34)
    qr_x = x + width - pad - qr_size
    qr_y = y + footer + pad + 3.5 * mm * unit
    pdf.drawImage(
        # Ten pixels a module: sharp when printed at the badge's 2–3 cm.
        ImageReader(io.BytesIO(reference_qr_png(registration.reference, scale=10))),
        qr_x,
        qr_y,
        qr_size,
        qr_size,
    )
    pdf.setFont(regular, 7 * unit)
    pdf.drawCentredString(qr_x + qr_size / 2, qr_y - 3 * mm * unit, registration.reference)

    text_width = qr_x - x - 2 * pad
    top = y + height - band - pad * 0.6
    if registration.honorific:
        top = _draw_lines(
            pdf, registration.honorific, regular, 9 * unit, x + pad, top, text_width, 1
        )
    name_size = _fitting_size(registration.full_name, bold, 17 * unit, 11 * unit, text_width)
    top = _draw_lines(pdf, registration.full_name, bold, name_size, x + pad, top, text_width, 3)
    # Room for the name's descenders (J, g, ñ's tilde above the next line).
    top -= name_size * 0.3 + 1 * mm * unit
    top = _draw_lines(
        pdf, registration.organisation, regular, 9.5 * unit, x + pad, top, text_width, 2
    )
    _draw_lines(
        pdf, str(registration.country.name), regular, 9.5 * unit, x + pad, top, text_width, 1
    )
    pdf.restoreState()


def badges_pdf(registrations, layout=BadgeLayout.SHEET):
    """
    Badges for the confirmed in-person participants among `registrations`, sorted by name: eight
    per A4 sheet (2 × 4, 90 × 67 mm, dashed lines to cut along) or one per A6 page.
    """
    people = confirmed_in_person(registrations)
    buffer = io.BytesIO()
    pagesize = landscape(A6) if layout == BadgeLayout.SINGLE else A4
    pdf = canvas.Canvas(buffer, pagesize=pagesize, pageCompression=1)
    pdf.setTitle(gettext("Badges"))
    if layout == BadgeLayout.SINGLE:
        for registration in people:
            _draw_badge(pdf, registration, 0, 0, *pagesize)
            pdf.showPage()
    else:
        margin = 15 * mm
        width = (pagesize[0] - 2 * margin) / BadgeLayout.COLUMNS
        height = (pagesize[1] - 2 * margin) / BadgeLayout.ROWS
        per_page = BadgeLayout.COLUMNS * BadgeLayout.ROWS
        for index, registration in enumerate(people):
            slot = index % per_page
            if index and not slot:
                pdf.showPage()
            column, row = slot % BadgeLayout.COLUMNS, slot // BadgeLayout.COLUMNS
            x = margin + column * width
            y = pagesize[1] - margin - (row + 1) * height
            _draw_badge(pdf, registration, x, y, width, height)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
