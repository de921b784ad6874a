"""
The QR code of a registration's reference, as shown at the entrance in Lima.

The code holds the bare reference and nothing else: a USB or phone scanner at the check-in desk
types it into the search field like a keyboard, and anyone can read it aloud instead.
"""

import io

import segno

# A full QR code, never a Micro QR: segno.make() picks Micro QR for short texts such as ours, and
# neither phone cameras nor most desk scanners read those.
ERROR_CORRECTION = "m"


def reference_qr(reference):
    return segno.make_qr(reference, error=ERROR_CORRECTION)


def reference_qr_svg(reference, *, title, scale=6):
    """Inline SVG for an HTML page, named by `title` for screen readers; no style attribute."""
    svg = reference_qr(reference).svg_inline(
        scale=scale, border=4, title=title, svgclass="qr-code", light="#fff"
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def reference_qr_png(reference, *, scale=6):
    """PNG bytes (segno writes PNG itself: no imaging library needed) for e-mails."""
    buffer = io.BytesIO()
    reference_qr(reference).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def address_qr_png(address, *, scale=8):
    """PNG bytes of a QR code holding a web address (a certificate's verification page)."""
    buffer = io.BytesIO()
    segno.make_qr(address, error=ERROR_CORRECTION).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
