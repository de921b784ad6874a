"""
What a material file may be, told by its content, and who may fetch a participants-only one.

Organisers upload presentations in admin; people download them from the meeting's pages. The name
of an upload says nothing trustworthy (an .exe renamed .pdf is still an .exe), so the format is
read from the bytes: a PDF starts with its signature, and the Office formats are ZIP packages whose
[Content_Types].xml names the main part of a presentation, a document or a workbook. The download
is then served with the content type of the format found here, never the one the upload claimed.

Who counts as a registered participant is registration's business, and the agenda imports no other
app: registration tells this module in its AppConfig.ready() (`participants_are`). Until something
does, participants-only files are refused to everyone.
"""

import zipfile

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class DocumentFormat:
    """A format organisers may upload: its file extension, content type and name for people."""

    def __init__(self, extension, content_type, label, main_part_type=None):
        self.extension = extension
        self.content_type = content_type
        self.label = label
        # For the Office formats: the content type [Content_Types].xml gives the package's main part.
        self.main_part_type = main_part_type


_OOXML = "application/vnd.openxmlformats-officedocument"
FORMATS = {
    format.extension: format
    for format in [
        DocumentFormat("pdf", "application/pdf", "PDF"),
        DocumentFormat(
            "pptx",
            f"{_OOXML}.presentationml.presentation",
            "PowerPoint",
            f"{_OOXML}.presentationml.presentation.main+xml",
        ),
        DocumentFormat(
            "docx",
            f"{_OOXML}.wordprocessingml.document",
            "Word",
            f"{_OOXML}.wordprocessingml.document.main+xml",
        ),
        DocumentFormat(
            "xlsx",
            f"{_OOXML}.spreadsheetml.sheet",
            "Excel",
            f"{_OOXML}.spreadsheetml.sheet.main+xml",
        ),
    ]
}
FORMAT_CHOICES = [(format.extension, format.label) for format in FORMATS.values()]

PDF_SIGNATURE = b"%PDF-"
ZIP_SIGNATURE = b"PK\x03\x04"
CONTENT_TYPES_PART = "[Content_Types].xml"
# A real [Content_Types].xml is a few kilobytes: a larger one is not read (a ZIP bomb stops here).
CONTENT_TYPES_MAX_SIZE = 256 * 1024
CONTENT_TYPES_NAMESPACE = "{http://schemas.openxmlformats.org/package/2006/content-types}"

NOT_ACCEPTED = _(
    "This file is not a PDF, PowerPoint (.pptx), Word (.docx) or Excel (.xlsx) document. "
    "Only those formats are accepted, whatever the file's name says."
)


def check_document(upload):
    """
    The DocumentFormat of `upload` (an uploaded file), read from its content; a ValidationError
    with a message for the organiser if it is too large or not one of the accepted formats.
    """
    limit = settings.MATERIAL_MAX_FILE_SIZE
    if upload.size > limit:
        raise ValidationError(
            _("This file is %(size)s; the largest accepted is %(limit)s."),
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    try:
        start = upload.read(len(PDF_SIGNATURE))
        if start.startswith(PDF_SIGNATURE):
            return FORMATS["pdf"]
        if start.startswith(ZIP_SIGNATURE):
            found = _office_format(upload)
            if found is not None:
                return found
    finally:
        upload.seek(0)
    raise ValidationError(NOT_ACCEPTED, code="not_accepted")


def _office_format(upload):
    """The Office format whose main part the package declares, or None."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as package:
            entry = package.getinfo(CONTENT_TYPES_PART)
            if entry.file_size > CONTENT_TYPES_MAX_SIZE:
                return None
            content_types = ElementTree.fromstring(package.read(entry))
            names = set(package.namelist())
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, DefusedXmlException):
        return None
    # The main part must be declared and present: the declaration alone proves nothing.
    declared = {
        override.get("ContentType"): override.get("PartName", "").lstrip("/")
        for override in content_types.iter(f"{CONTENT_TYPES_NAMESPACE}Override")
    }
    matches = [
        format
        for format in FORMATS.values()
        if format.main_part_type in declared and declared[format.main_part_type] in names
    ]
    # Exactly one kind of main part: a package claiming to be two things at once is neither.
    return matches[0] if len(matches) == 1 else None


# Who may download participants-only materials -----------------------------------------------------

_participant_rule = None


def participants_are(rule):
    """
    Set who counts as a registered participant of an event: `rule(user, event)` answers True or
    False. Registration calls this from its AppConfig.ready(); it is asked at every download of a
    participants-only material.
    """
    global _participant_rule
    _participant_rule = rule


def is_registered_participant(user, event):
    """Whether `user` may download `event`'s participants-only materials (never if anonymous)."""
    if not user.is_authenticated or _participant_rule is None:
        return False
    return bool(_participant_rule(user, event))
