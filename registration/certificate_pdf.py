"""
The certificate of participation: one A4 landscape page, in the participant's language.

It states the name as registered, the meeting, its date and duration, how the person took part,
the organisers and who signs, and carries a QR code of its verification address, where anyone can
check it was issued and not revoked. Text is set as the attendance sheet and the badges are
(typesetting.py): DejaVu Sans where installed, right-to-left names shaped, every line fitted to the
page.
"""

import io

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from . import typesetting
from .documents import BRAND_COLOUR
from .models import AttendanceMode, CertificateSignatory
from .qr import address_qr_png
from .typesetting import fonts

PAGE = landscape(A4)
MARGIN = 18 * mm
QR_SIZE = 32 * mm


def duration_text(event):
    """“4 hours”, “1 hour 30 minutes”: the meeting's length from its start and end."""
    minutes = round((event.ends_at - event.starts_at).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes or not hours:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)


def mode_text(mode):
    """How the person took part, as the certificate and its verification page say it."""
    if mode == AttendanceMode.IN_PERSON:
        return gettext("in person in Lima")
    return gettext("online")


def organisers_text(event):
    return ", ".join(str(organisation) for organisation in event.organisers.all())


def certificate_texts(certificate):
    """What the certificate says, line by line, in the active language."""
    registration = certificate.registration
    event = registration.event
    organisers = organisers_text(event)
    return {
        "title": gettext("Certificate of participation"),
        "certifies": gettext("This is to certify that"),
        "name": registration.full_name,
        "took_part": gettext("took part in the meeting"),
        "meeting": event.title,
        "when": gettext("held on %(date)s, with a duration of %(duration)s.")
        % {
            "date": date_format(event.local_starts_at, "DATE_FORMAT"),
            "duration": duration_text(event),
        },
        "organisers": gettext("Organised by: %(organisers)s") % {"organisers": organisers}
        if organisers
        else "",
        "mode": gettext("Attendance: %(mode)s") % {"mode": mode_text(certificate.attendance_mode)},
        "verify": gettext("Check this certificate at:"),
    }


def _centred(pdf, text, font, largest, tiers, top, colour=colors.black):
    """Draw `text` centred across the page below `top`, wrapped and sized to fit; returns the new top."""
    block = typesetting.fit(text, font, PAGE[0] - 2 * MARGIN, largest, tiers)
    pdf.setFillColor(colour)
    for line in block.lines:
        top -= line.size * typesetting.LEADING
        typesetting.draw(pdf, line, PAGE[0] / 2, top, align="centre")
    return top


def _signatory(pdf, signatory, regular, bold):
    """The signature, a line, the name and the position, in the lower left."""
    if signatory is None or not (signatory.name or signatory.position or signatory.has_signature):
        return
    width = 80 * mm
    x, baseline = MARGIN + 10 * mm, MARGIN + 20 * mm
    if signatory.has_signature:
        image = ImageReader(io.BytesIO(bytes(signatory.signature)))
        pdf.drawImage(
            image,
            x,
            baseline + 2 * mm,
            width,
            22 * mm,
            preserveAspectRatio=True,
            anchor="sw",
            mask="auto",
        )
    pdf.setStrokeColor(colors.black)
    pdf.setLineWidth(0.6)
    pdf.line(x, baseline, x + width, baseline)
    top = baseline - 1 * mm
    for text, font, size in ((signatory.name, bold, 11), (signatory.position, regular, 9.5)):
        if not text:
            continue
        for line in typesetting.fit(text, font, width, size, [(2, size - 2)]).lines:
            top -= line.size * typesetting.LEADING
            typesetting.draw(pdf, line, x, top)


def certificate_pdf(certificate):
    """The certificate's PDF (bytes), in the registration's preferred language."""
    registration = certificate.registration
    event = registration.event
    signatory = CertificateSignatory.objects.filter(event=event).first()
    regular, bold = fonts()
    buffer = io.BytesIO()
    with translation.override(registration.preferred_language):
        texts = certificate_texts(certificate)
        verification_url = certificate.verification_url()
        pdf = canvas.Canvas(buffer, pagesize=PAGE, pageCompression=1)
        pdf.setTitle(f"{texts['title']} – {registration.full_name}")
        pdf.setSubject(event.title)
        width, height = PAGE

        pdf.setStrokeColor(BRAND_COLOUR)
        pdf.setLineWidth(3)
        pdf.rect(MARGIN / 2, MARGIN / 2, width - MARGIN, height - MARGIN)

        top = height - MARGIN - 8 * mm
        if texts["organisers"]:
            top = _centred(pdf, texts["organisers"], regular, 11, [(2, 9)], top, BRAND_COLOUR)
        top = _centred(
            pdf, texts["title"], bold, 30, [(1, 20), (2, 18)], top - 10 * mm, BRAND_COLOUR
        )
        top = _centred(pdf, texts["certifies"], regular, 14, [(2, 11)], top - 8 * mm)
        top = _centred(pdf, texts["name"], bold, 26, [(1, 18), (2, 16)], top - 5 * mm)
        top = _centred(pdf, texts["took_part"], regular, 14, [(2, 11)], top - 5 * mm)
        top = _centred(pdf, texts["meeting"], bold, 17, [(2, 13), (3, 11)], top - 3 * mm)
        top = _centred(pdf, texts["when"], regular, 14, [(2, 11)], top - 3 * mm)
        _centred(pdf, texts["mode"], regular, 12, [(2, 10)], top - 2 * mm)

        _signatory(pdf, signatory, regular, bold)

        qr_x, qr_y = width - MARGIN - QR_SIZE - 4 * mm, MARGIN + 8 * mm
        pdf.drawImage(
            ImageReader(io.BytesIO(address_qr_png(verification_url, scale=8))),
            qr_x,
            qr_y,
            QR_SIZE,
            QR_SIZE,
        )
        caption_width = 110 * mm
        right = qr_x + QR_SIZE
        y = qr_y - 4 * mm
        for text, font, size in ((texts["verify"], regular, 8), (verification_url, regular, 7)):
            for line in typesetting.fit(text, font, caption_width, size, [(2, 6)]).lines:
                typesetting.draw(pdf, line, right, y, align="right")
                y -= line.size * typesetting.LEADING
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()
