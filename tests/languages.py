"""The site's languages in tests: a named page's address, and what a visitor reads, in each."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

# From settings, so a language added to the site is tested everywhere at once.
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def url(language, name, **kwargs):
    """The path of a named URL in a language: `url("en", "agenda:home")` → "/en/"."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def translated(language, message):
    """What a visitor reads for a msgid in that language: for finding buttons and labels by name."""
    with translation.override(language):
        return gettext(message)
