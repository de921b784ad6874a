"""
Formatted text organisers write in admin (a meeting's outcomes): HTML cut down to headings,
paragraphs, lists, emphasis and links by nh3 (the Ammonia sanitiser), before it is stored and again
before it is shown, so nothing an organiser pastes (a script, an onclick, a style, a form) ever
runs in a visitor's browser or breaks the strict CSP.
"""

import nh3
from django.utils.safestring import mark_safe

# The page's own <h1> is the meeting's title: organisers' headings start at level 2.
ALLOWED_TAGS = {
    "h2",
    "h3",
    "h4",
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "blockquote",
    "a",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}}
URL_SCHEMES = {"http", "https", "mailto"}


def clean_html(text):
    """The text with every tag, attribute and link scheme outside the lists above removed."""
    if not text:
        return ""
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        # Links leave the site without handing it the visitor's page or window.
        link_rel="noopener noreferrer",
        # Whatever was inside these is code or styling, not text to keep.
        clean_content_tags={"script", "style"},
    )


def formatted(text):
    """The text, cleaned, ready for a template."""
    return mark_safe(clean_html(text))  # noqa: S308 - nh3 removed everything unsafe just above
