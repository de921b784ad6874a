"""
Printed documents for the day in Lima: the attendance sheet people sign and their badges.

Both list confirmed in-person participants only, sorted by name the way a Spanish reader expects
(accents ignored, ñ after n). Text is set in DejaVu Sans where the system has it, which covers
every Latin, Greek, Cyrillic, Arabic and Hebrew name; elsewhere in PDF's built-in Helvetica, which
still covers Spanish and Portuguese (Latin-1). typesetting.py shapes right-to-left names, finds a
font for emoji and wraps every text to its box. Each badge carries a QR code of the registration's
reference, the same code the check-in desk reads.
"""

import io
import unicodedata
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A6, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from agenda import timezones

from . import typesetting
from .qr import reference_qr_png
from .typesetting import fonts

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


# ReportLab's default left and right padding in a table cell.
CELL_PADDING = 6


def _cell(text, style, column_width):
    """A table cell: `text` wrapped to its column in reading order, then each line shaped."""
    block = typesetting.fit(
        text,
        style.fontName,
        column_width - 2 * CELL_PADDING,
        style.fontSize,
        [(50, style.fontSize)],
    )
    return Paragraph(typesetting.paragraph_markup(block), style)


def attendance_sheet_pdf(event, registrations):
    """
    The sheet participants sign at the door: one row per confirmed in-person participant, sorted by
    name, with the event's title, date and Lima time at the top of every page.
    """
    regular, bold = fonts()
    people = confirmed_in_person(registrations)
    title = gettext("Attendance sheet")
    venue = event.venue_name
    subtitle = gettext("Confirmed in-person participants: %(count)s") % {"count": len(people)}
    width = A4[0] - 30 * mm
    fit = typesetting.fit
    heading = [
        (fit(event.title, bold, width, 13, [(1, 9)]), 0, "left"),
        (
            fit(_event_when(event) + (f" · {venue}" if venue else ""), regular, width, 9, [(1, 7)]),
            5.5 * mm,
            "left",
        ),
        (fit(title, bold, width / 2, 11, [(1, 8)]), 12 * mm, "left"),
        (fit(subtitle, regular, width / 2, 9, [(1, 7)]), 12 * mm, "right"),
    ]

    def header(pdf, document):
        pdf.saveState()
        top = A4[1] - 15 * mm
        for block, below, align in heading:
            for line in block.lines:
                x = 15 * mm if align == "left" else A4[0] - 15 * mm
                typesetting.draw(pdf, line, x, top - below, align)
        pdf.restoreState()

    cell = ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11)
    head = ParagraphStyle("head", fontName=bold, fontSize=9, leading=11)
    column_widths = [8 * mm, 48 * mm, 42 * mm, 22 * mm, 26 * mm, 34 * mm]
    headings = [
        gettext("Name"),
        gettext("Organisation"),
        gettext("Country"),
        gettext("Reference"),
        gettext("Signature"),
    ]
    rows = [
        [Paragraph("#", head)]
        + [
            _cell(text, head, width)
            for text, width in zip(headings, column_widths[1:], strict=True)
        ]
    ]
    for number, registration in enumerate(people, start=1):
        texts = [
            registration.full_name,
            registration.organisation,
            str(registration.country.name),
            registration.reference,
        ]
        rows.append(
            [Paragraph(str(number), cell)]
            + [
                _cell(text, cell, width)
                for text, width in zip(texts, column_widths[1:5], strict=True)
            ]
            + [""]
        )
    table = Table(rows, colWidths=column_widths, repeatRows=1)
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


def badge_slots(layout):
    """The page size and where each badge on a page goes, as (x, y, width, height), in print order."""
    if layout == BadgeLayout.SINGLE:
        pagesize = landscape(A6)
        return pagesize, [(0, 0, *pagesize)]
    pagesize, margin = A4, 15 * mm
    width = (pagesize[0] - 2 * margin) / BadgeLayout.COLUMNS
    height = (pagesize[1] - 2 * margin) / BadgeLayout.ROWS
    slots = []
    for row in range(BadgeLayout.ROWS):
        for column in range(BadgeLayout.COLUMNS):
            x = margin + column * width
            y = pagesize[1] - margin - (row + 1) * height
            slots.append((x, y, width, height))
    return pagesize, slots


@dataclass(frozen=True)
class PlacedLine:
    """A line of text on a badge: `x` is its left end, `y` its baseline."""

    line: typesetting.Line
    x: float
    y: float
    colour: colors.Color = colors.black


@dataclass(frozen=True)
class BadgePlan:
    """Where everything on one badge goes, in points from the page's lower left corner."""

    box: tuple  # x, y, width, height: the line to cut along
    band_height: float
    footer_height: float
    qr: tuple  # x, y, size
    texts: tuple


def _centred_baselines(block, centre):
    """Baselines that centre the lines of `block` on the height `centre`."""
    step = block.size * typesetting.LEADING
    first = centre + (len(block.lines) - 1) * step / 2 - block.size * 0.35
    return [first - index * step for index in range(len(block.lines))]


def _stacked(blocks, left, top):
    """`blocks` set one under the other from `top` down, with the gap given after each."""
    placed = []
    for block, gap_after in blocks:
        for line in block.lines:
            top -= block.size * typesetting.LEADING
            placed.append(PlacedLine(line, left, top))
        top -= gap_after
    return placed, top


def badge_plan(registration, box):
    """
    The layout of `registration`'s badge in `box`: every line wrapped and sized so it stays within
    the badge, the name, organisation and country beside the QR code, the category in the footer.
    """
    regular, bold = fonts()
    x, y, width, height = box
    unit = height / (66.75 * mm)  # type sizes below are for a sheet badge; A6 scales them up
    pad = 5 * mm * unit
    fit = typesetting.fit
    texts = []

    band = 11 * mm * unit
    title = fit(
        registration.event.title, bold, width - 2 * pad, 9 * unit, [(1, 7.5 * unit), (2, 6 * unit)]
    )
    for line, baseline in zip(
        title.lines, _centred_baselines(title, y + height - band / 2), strict=True
    ):
        texts.append(PlacedLine(line, x + pad, baseline, colors.white))

    category = fit(
        str(registration.category.name),
        bold,
        width - 2 * pad,
        10 * unit,
        [(1, 8 * unit), (2, 7 * unit), (3, 6.5 * unit)],
    )
    footer = max(9 * mm * unit, category.height + 3 * mm * unit)
    for line, baseline in zip(
        category.lines, _centred_baselines(category, y + footer / 2), strict=True
    ):
        texts.append(PlacedLine(line, x + pad, baseline))

    qr_size = min(height - band - footer - 2 * pad - 4 * unit * mm, width * 0.34)
    qr_x = x + width - pad - qr_size
    qr_y = y + footer + pad + 3.5 * mm * unit
    [reference] = fit(
        registration.reference, regular, qr_size + pad, 7 * unit, [(1, 5 * unit)]
    ).lines
    texts.append(
        PlacedLine(reference, qr_x + (qr_size - reference.width) / 2, qr_y - 3 * mm * unit)
    )

    text_width = qr_x - x - 2 * pad
    top = y + height - band - pad * 0.6
    lowest = y + footer + pad / 2  # no descender may reach into the footer
    honorific = fit(registration.honorific, regular, text_width, 9 * unit, [(1, 7 * unit)])
    organisation = fit(
        registration.organisation, regular, text_width, 9.5 * unit, [(1, 8 * unit), (2, 7.5 * unit)]
    )
    country = fit(
        str(registration.country.name), regular, text_width, 9.5 * unit, [(1, 7.5 * unit)]
    )
    # The name is the largest thing on the badge; it gives up size when the column runs short.
    for largest in typesetting.sizes(17 * unit, 10 * unit):
        name = fit(
            registration.full_name,
            bold,
            text_width,
            largest,
            [(1, 13 * unit), (2, 12 * unit), (3, 11 * unit), (4, 10 * unit)],
        )
        stack, bottom = _stacked(
            [
                (honorific, 0),
                # Room for the name's descenders (J, g, ñ's tilde above the next line).
                (name, name.size * 0.3 + 1 * mm * unit),
                (organisation, 0),
                (country, 0),
            ],
            x + pad,
            top,
        )
        if bottom - country.size * 0.3 >= lowest:
            break
    texts += stack
    return BadgePlan(box, band, footer, (qr_x, qr_y, qr_size), tuple(texts))


def _draw_badge(pdf, registration, box):
    plan = badge_plan(registration, box)
    x, y, width, height = box
    pdf.saveState()
    # Where to cut, light enough to vanish once the badge is in its holder.
    pdf.setStrokeColor(CUT_LINE_COLOUR)
    pdf.setLineWidth(0.4)
    pdf.setDash(2, 2)
    pdf.rect(x, y, width, height)
    pdf.setDash()
    pdf.setFillColor(BRAND_COLOUR)
    pdf.rect(x, y + height - plan.band_height, width, plan.band_height, stroke=0, fill=1)
    pdf.setFillColor(colors.HexColor("#e8eef2"))
    pdf.rect(x, y, width, plan.footer_height, stroke=0, fill=1)
    qr_x, qr_y, qr_size = plan.qr
    pdf.drawImage(
        # Ten pixels a module: sharp when printed at the badge's 2–3 cm.
        ImageReader(io.BytesIO(reference_qr_png(registration.reference, scale=10))),
        qr_x,
        qr_y,
        qr_size,
        qr_size,
    )
    for text in plan.texts:
        pdf.setFillColor(text.colour)
        typesetting.draw(pdf, text.line, text.x, text.y)
    pdf.restoreState()


def badges_pdf(registrations, layout=BadgeLayout.SHEET):
    """
    Badges for the confirmed in-person participants among `registrations`, sorted by name: eight
    per A4 sheet (2 × 4, 90 × 67 mm, dashed lines to cut along) or one per A6 page.
    """
    people = confirmed_in_person(registrations)
    buffer = io.BytesIO()
    pagesize, slots = badge_slots(layout)
    pdf = canvas.Canvas(buffer, pagesize=pagesize, pageCompression=1)
    pdf.setTitle(gettext("Badges"))
    for index, registration in enumerate(people):
        slot = index % len(slots)
        if index and not slot:
            pdf.showPage()
        _draw_badge(pdf, registration, slots[slot])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
