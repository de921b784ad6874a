from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from registration.qr import reference_qr_svg

register = template.Library()


@register.simple_tag
def reference_qr_code(registration):
    """The registration's reference as an inline SVG QR code, named for screen readers."""
    title = gettext("QR code of your reference %(reference)s") % {
        "reference": registration.reference
    }
    # segno escapes the title it writes; the rest of the SVG is its own markup.
    return mark_safe(reference_qr_svg(registration.reference, title=title))  # noqa: S308
