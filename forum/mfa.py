"""
The site's adapter for allauth's two-factor authentication (settings.MFA_ADAPTER).

The activation page shows the authenticator app's QR code as inline SVG rather than allauth's
data: image, which the Content Security Policy would have to allow. allauth's own drawing (qrcode)
starts with an XML declaration and carries no title, so the code is drawn with segno, as the
check-in codes are (registration/qr.py): a bare <svg> with a <title> for screen readers.
"""

from allauth.mfa.adapter import DefaultMFAAdapter
from django.utils.translation import gettext

from registration.qr import ERROR_CORRECTION


class MFAAdapter(DefaultMFAAdapter):
    def build_totp_svg(self, url):
        import segno

        svg = segno.make_qr(url, error=ERROR_CORRECTION).svg_inline(
            scale=5,
            border=4,
            title=gettext("QR code to scan with your authenticator app"),
            svgclass="qr-code",
            light="#fff",
        )
        return svg.replace("<svg ", '<svg role="img" ', 1)
