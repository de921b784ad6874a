"""The site's two languages in tests: a named page's address, and what a visitor reads, in each."""

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

LANGUAGES = ("es", "en")


def url(language, name, **kwargs):
    """The path of a named URL in a language: `url("en", "agenda:home")` → "/en/"."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def translated(language, message):
    """What a visitor reads for a msgid in that language: for finding buttons and labels by name."""
    with translation.override(language):
        return gettext(message)
