"""
Setting text for the printed documents: fonts, right-to-left scripts, and lines that fit a box.

ReportLab draws the characters it is given one glyph each, left to right, in one font. So a name
in Arabic or Hebrew is first shaped here (Arabic letters join, each taking its initial, medial,
final or isolated form: arabic-reshaper turns them into Unicode's presentation forms, which DejaVu
Sans draws) and put in visual order (the Unicode bidirectional algorithm, python-bidi). ReportLab's
own support for both (its "bidi" and "shaping" extras) needs rlbidi, which pip cannot find on
PyPI, and uharfbuzz; and its shaped strings cannot be split between fonts, as the fallback below
needs.

Lines are wrapped in logical (reading) order and each line is reordered on its own, as the
algorithm requires: the first words of a long Arabic name stay on the first line. A character the
text font lacks (most emoji) is set in a fallback font that has it (Symbola) or left out, never
drawn as an empty box.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from arabic_reshaper import ArabicReshaper, config_for_true_type_font
from bidi.algorithm import get_display
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
# Debian's fonts-symbola: outlines for emoji and symbols that DejaVu Sans lacks. Colour emoji fonts
# (Noto Color Emoji) are bitmaps a PDF cannot embed as text.
FALLBACK_FONT_FILES = {
    "Symbola": Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf")
}
ELLIPSIS = "…"
LEADING = 1.15  # line height, as a multiple of the type size


_reportlab_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname, subset):
    """
    ReportLab's ToUnicode map, which tells a reader which character each glyph is (for copying,
    searching, screen readers), with characters beyond U+FFFF (emoji) written as PDF requires: in
    UTF-16, as a surrogate pair, where ReportLab 5.1 writes five hex digits that readers reject.
    """
    return re.sub(
        r"^(<[0-9A-F]{2}>) <([0-9A-F]{5,6})>$",
        lambda match: f"{match[1]} <{chr(int(match[2], 16)).encode('utf-16-be').hex().upper()}>",
        _reportlab_to_unicode_cmap(fontname, subset),
        flags=re.MULTILINE,
    )


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


_font_files = {}


def _register(name, path):
    pdfmetrics.registerFont(TTFont(name, str(path)))
    _font_files[name] = path


@cache
def fonts():
    """(regular, bold) font names: DejaVu Sans when installed, else the PDF built-in Helvetica."""
    regular, bold = FONT_DIRECTORY / "DejaVuSans.ttf", FONT_DIRECTORY / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        _register("DejaVuSans", regular)
        _register("DejaVuSans-Bold", bold)
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


@cache
def fallback_fonts():
    """Names of the installed fonts tried, in order, for a character the text font lacks."""
    names = []
    for name, path in FALLBACK_FONT_FILES.items():
        if path.exists():
            _register(name, path)
            names.append(name)
    return tuple(names)


@cache
def _covers(font, char):
    """Whether `font` has a glyph for `char` (else the PDF shows its empty .notdef box)."""
    face = getattr(pdfmetrics.getFont(font), "face", None)
    if hasattr(face, "charToGlyph"):
        return ord(char) in face.charToGlyph
    # The built-in fonts are set in WinAnsi encoding: Latin-1 and a few more.
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return unicodedata.category(char) != "Cc"


def font_runs(text, font):
    """
    `text` as (font, text) runs: each character in `font` if it has a glyph, else in the first
    fallback font that does; a character no font has is left out.
    """
    runs = []
    for char in text:
        chosen = next(
            (name for name in (font, *fallback_fonts()) if _covers(name, char)),
            None,
        )
        if chosen is None:
            continue
        if runs and runs[-1][0] == chosen:
            runs[-1][1] += char
        else:
            runs.append([chosen, char])
    return tuple((name, part) for name, part in runs)


def text_width(text, font, size):
    return sum(pdfmetrics.stringWidth(part, name, size) for name, part in font_runs(text, font))


@dataclass(frozen=True)
class Line:
    """One line ready to draw: its runs in visual order (left to right), and how wide they are."""

    runs: tuple
    font: str
    size: float
    width: float

    @property
    def text(self):
        return "".join(part for _, part in self.runs)


@dataclass(frozen=True)
class Block:
    """Lines of one text set at one size; `is_cut` when it had to end in an ellipsis."""

    lines: tuple
    size: float
    is_cut: bool = False

    @property
    def height(self):
        return len(self.lines) * self.size * LEADING


@cache
def _reshaper(font):
    """An Arabic reshaper using only the letter forms and ligatures `font` has glyphs for."""
    if font in _font_files:
        return ArabicReshaper(config_for_true_type_font(str(_font_files[font])))
    return ArabicReshaper()


def shaped(text, font):
    """
    `text` on one line, its Arabic letters in their joined forms, still in logical order, without
    the characters no font has.
    """
    text = _reshaper(font).reshape(unicodedata.normalize("NFC", str(text)))
    return " ".join("".join(part for _, part in font_runs(text, font)).split())


def visual_line(logical, font, size):
    """A line of shaped text put in visual order: right-to-left runs reversed, brackets mirrored."""
    runs = font_runs(get_display(logical), font)
    width = sum(pdfmetrics.stringWidth(part, name, size) for name, part in runs)
    return Line(runs, font, size, width)


def _break_word(word, font, size, width):
    """`word` cut into pieces no wider than `width` (one character at least each)."""
    pieces = []
    while word:
        cut = len(word)
        while cut > 1 and text_width(word[:cut], font, size) > width:
            cut -= 1
        pieces.append(word[:cut])
        word = word[cut:]
    return pieces


def _pieces(text):
    """(joiner, piece) pairs of `text`: a line may break at a space, or after a hyphen."""
    for word in text.split(" "):
        for index, piece in enumerate(re.split(r"(?<=-)(?=.)", word)):
            yield ("" if index else " "), piece


def wrap(text, font, size, width, break_words=True):
    """
    Shaped `text` in lines no wider than `width`, in logical order, breaking at spaces and after
    hyphens; a word wider than a line alone is cut, or None returned if `break_words` is false.
    """
    lines = []
    for joiner, piece in _pieces(text):
        if text_width(piece, font, size) > width:
            if not break_words:
                return None
            parts = _break_word(piece, font, size, width)
        else:
            parts = [piece]
        for index, part in enumerate(parts):
            # The parts of a cut word start lines of their own; a whole one may join the last line.
            joined = f"{lines[-1]}{joiner}{part}" if lines else part
            if index == 0 and lines and text_width(joined, font, size) <= width:
                lines[-1] = joined
            else:
                lines.append(part)
    return lines


def _cut(text, font, size, width):
    """`text` shortened to end in an ellipsis within `width`."""
    while text and text_width(text.rstrip() + ELLIPSIS, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def sizes(largest, smallest):
    """Type sizes from `largest` down to `smallest`, half a point apart."""
    size = largest
    while size > smallest:
        yield size
        size -= 0.5
    yield smallest


def fit(text, font, width, largest, tiers):
    """
    `text` set in a box `width` wide. `tiers` are (lines, smallest size) pairs, tried in turn: the
    first whose number of lines holds the text, at a size no smaller than its own, sets it at the
    largest such size, breaking lines only between words. When none does, the last tier's lines at
    its smallest size take the text, cutting words and, as a last resort, ending in an ellipsis.
    """
    text = shaped(text, font)
    if not text:
        return Block((), largest)
    for max_lines, smallest in tiers:
        for size in sizes(largest, smallest):
            lines = wrap(text, font, size, width, break_words=False)
            if lines is not None and len(lines) <= max_lines:
                return Block(tuple(visual_line(line, font, size) for line in lines), size)
    max_lines, size = tiers[-1]
    lines = wrap(text, font, size, width)
    is_cut = len(lines) > max_lines
    if is_cut:
        lines = lines[:max_lines]
        lines[-1] = _cut(lines[-1], font, size, width)
    return Block(tuple(visual_line(line, font, size) for line in lines), size, is_cut)


def draw(pdf, line, x, y, align="left"):
    """Draw `line` with its baseline at `y`, starting at `x` (or centred on it, or ending at it)."""
    if align == "centre":
        x -= line.width / 2
    elif align == "right":
        x -= line.width
    for name, part in line.runs:
        pdf.setFont(name, line.size)
        pdf.drawString(x, y, part)
        x += pdf.stringWidth(part, name, line.size)


def paragraph_markup(block):
    """`block` as markup for a ReportLab Paragraph: one line each, fallback runs in their font."""
    lines = []
    for line in block.lines:
        lines.append(
            "".join(
                escape(part) if name == line.font else f'<font face="{name}">{escape(part)}</font>'
                for name, part in line.runs
            )
        )
    return "<br/>".join(lines)
