"""
The form of an event's certificate signatory in admin: the signature image is checked by its
content (Pillow opens it, whatever its name says), refused above CERTIFICATE_SIGNATURE_MAX_BYTES,
and kept as a PNG re-encoded at a signature's size, so nothing of the uploaded file but its
pixels (no metadata, no other format's quirks) reaches the printed certificates.
"""

import io

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image

from .models import CertificateSignatory

# Wide enough to print sharply across the certificate's 8 cm signature line.
SIGNATURE_MAX_PIXELS = (1200, 400)


def signature_png(upload):
    """The uploaded image as PNG bytes, reduced to SIGNATURE_MAX_PIXELS, transparency kept."""
    upload.seek(0)
    with Image.open(upload) as image:
        image = image.convert("RGBA")
        image.thumbnail(SIGNATURE_MAX_PIXELS)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class CertificateSignatoryForm(forms.ModelForm):
    signature_upload = forms.ImageField(
        label=_("signature image"),
        required=False,
        help_text=_(
            "Optional. A PNG or JPEG of the signature, ideally on a transparent or white "
            "background. It is printed above the signatory's name on every certificate."
        ),
    )
    remove_signature = forms.BooleanField(label=_("remove the signature image"), required=False)

    class Meta:
        model = CertificateSignatory
        fields = ["name", "position"]

    def clean_signature_upload(self):
        upload = self.cleaned_data.get("signature_upload")
        if not upload:
            return upload
        limit = settings.CERTIFICATE_SIGNATURE_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The image is too large: at most %(limit)s.") % {"limit": filesizeformat(limit)}
            )
        try:
            self.signature_bytes = signature_png(upload)
        except (OSError, Image.DecompressionBombError, ValueError) as error:
            raise forms.ValidationError(
                _("This file could not be read as an image. Upload a PNG or JPEG.")
            ) from error
        return upload

    def save(self, commit=True):
        signatory = super().save(commit=False)
        if self.cleaned_data.get("remove_signature"):
            signatory.signature = b""
        if getattr(self, "signature_bytes", None):
            signatory.signature = self.signature_bytes
        if commit:
            signatory.save()
        return signatory
