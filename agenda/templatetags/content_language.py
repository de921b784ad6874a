"""
Content in the visitor's language, and honest about it when it is not.

A translated field left empty in the page's language shows the Spanish text
(MODELTRANSLATION_FALLBACK_LANGUAGES); the element holding it must then say lang="es", so a screen
reader reads it with Spanish pronunciation (WCAG 3.1.2, language of parts):

    <h1{% content_lang event "title" %}>{{ event.title }}</h1>
"""

from django import template
from django.utils.html import format_html
from modeltranslation.utils import build_localized_fieldname, get_language, resolution_order

register = template.Library()


def shown_language(instance, field):
    """The language whose text `instance.<field>` shows on this page, or None if all are empty."""
    for language in resolution_order(get_language()):
        if getattr(instance, build_localized_fieldname(field, language), None):
            return language
    return None


@register.simple_tag
def content_lang(instance, field):
    """` lang="es"` when the field's text is a fallback in another language, else nothing."""
    language = shown_language(instance, field)
    if language is None or language == get_language():
        return ""
    return format_html(' lang="{}"', language)
