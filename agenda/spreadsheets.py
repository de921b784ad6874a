"""
Cells for the spreadsheets organisers and visitors download (registration's exports, the
convergence matrix), safe to open in Excel or LibreOffice.

A cell a spreadsheet would run as a formula is neutralised here rather than with
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT: that setting only strips a leading "=" (turning "=1+2"
into "1+2", which changes the data) and leaves "+", "-", "@", tab and carriage return alone, all of
which Excel and LibreOffice also read as the start of a formula (OWASP's "CSV injection").

Control characters other than tab and line breaks are replaced too: forms refuse them, but a row
stored before or typed in the admin may hold one, and XML 1.0 cannot write most of them, so
openpyxl refused the whole Excel file for one name.

It lives in the agenda, the lowest of the apps, so that registration imports it from here and the
agenda imports nothing from registration.
"""

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Every C0 control but tab, line feed and carriage return, DEL and the C1 controls. The visible
# replacement character tells the reader something was there, where deleting would not.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def neutralise_formula(value):
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_cell(value):
    """A cell both formats can write and no spreadsheet runs: controls replaced, formulas defused."""
    if isinstance(value, str):
        value = CONTROL_CHARACTERS.sub("\N{REPLACEMENT CHARACTER}", value)
    return neutralise_formula(value)
