"""
Small real files of each accepted format, and the impostors organisers must not be able to upload.

PDF and XLSX are written by the libraries the project already has (ReportLab, openpyxl); Word and
PowerPoint files are the minimal Open XML packages those programs open: a [Content_Types].xml that
names the main part, the package relationships and the main part itself.
"""

import io
import zipfile

from openpyxl import Workbook
from reportlab.pdfgen import canvas

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/{part}" ContentType="{content_type}"/>
</Types>"""
RELATIONSHIPS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="{part}"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
OOXML = "application/vnd.openxmlformats-officedocument"
DOCX_MAIN = (
    "word/document.xml",
    f"{OOXML}.wordprocessingml.document.main+xml",
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Conclusiones</w:t></w:r></w:p></w:body></w:document>",
)
PPTX_MAIN = (
    "ppt/presentation.xml",
    f"{OOXML}.presentationml.presentation.main+xml",
    '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>',
)


def pdf():
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Corredores logísticos")
    page.save()
    return buffer.getvalue()


def xlsx():
    workbook = Workbook()
    workbook.active["A1"] = "Paso de frontera"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _entry(name):
    # A fixed date: the same package, byte for byte, each time it is built.
    return zipfile.ZipInfo(name, date_time=(2024, 8, 15, 9, 0, 0))


def office_package(part, content_type, body, *, declared=None):
    """An Open XML package whose main part is `part`; `declared` overrides the declared type."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            _entry("[Content_Types].xml"),
            CONTENT_TYPES.format(part=part, content_type=declared or content_type),
        )
        package.writestr(_entry("_rels/.rels"), RELATIONSHIPS.format(part=part))
        if body is not None:
            package.writestr(_entry(part), body)
    return buffer.getvalue()


def docx():
    return office_package(*DOCX_MAIN)


def pptx():
    return office_package(*PPTX_MAIN)


VALID = {"pdf": pdf, "pptx": pptx, "docx": docx, "xlsx": xlsx}


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry("notes.txt"), "not a presentation")
    return buffer.getvalue()


def windows_program():
    # The start of a Windows executable: the "MZ" header and the DOS stub's message.
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
        + b"\x00" * 50
        + (b"This program cannot be run in DOS mode.\r\n")
    )


def declared_but_missing_part():
    """A ZIP whose [Content_Types].xml claims a presentation that the package does not hold."""
    part, content_type, _body = PPTX_MAIN
    return office_package(part, content_type, None)


def macro_enabled_presentation():
    """A .pptm: PowerPoint with macros, which is not one of the formats accepted."""
    part, _content_type, body = PPTX_MAIN
    return office_package(
        part,
        None,
        body,
        declared="application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    )


# (file name as uploaded, content): each pretends, by its name, to be an accepted format.
IMPOSTORS = {
    "renamed text file": (
        "conclusiones.pdf",
        lambda: b"Just some notes, typed in a text editor.\n",
    ),
    "zip that is not an Office file": ("presentacion.pptx", plain_zip),
    "Windows program": ("informe.docx", windows_program),
    "package missing its main part": ("presentacion.pptx", declared_but_missing_part),
    "macro-enabled presentation": ("presentacion.pptx", macro_enabled_presentation),
}
