"""
Fields that exist in every language of settings.LANGUAGES (django-modeltranslation adds one column
per language: `title_es`, `title_en`, `title_pt_br`, `title_fr`).
"""

from django.conf import settings
from modeltranslation.translator import TranslationOptions, register
from modeltranslation.utils import build_localized_fieldname

from .models import Event, Material, Organisation, Roundtable, Session, Speaker


def translated_columns(*fields):
    """The columns of translated `fields` in every language: ["title_es", "title_en", …]."""
    return [
        build_localized_fieldname(field, code)
        for field in fields
        for code, _name in settings.LANGUAGES
    ]


def default_language_column(field):
    """The column of `field` in the default language (Spanish): "title_es"."""
    return build_localized_fieldname(field, settings.MODELTRANSLATION_DEFAULT_LANGUAGE)


@register(Organisation)
class OrganisationTranslation(TranslationOptions):
    fields = ("name",)


@register(Event)
class EventTranslation(TranslationOptions):
    fields = (
        "title",
        "summary",
        "general_objective",
        "specific_objectives",
        "target_audience",
        "format_description",
        "venue_name",
        "venue_address",
        "virtual_platform_name",
    )


@register(Speaker)
class SpeakerTranslation(TranslationOptions):
    fields = ("honorific", "position", "bio", "confirmation_note")


@register(Session)
class SessionTranslation(TranslationOptions):
    fields = ("title", "topics", "participants_note")


@register(Material)
class MaterialTranslation(TranslationOptions):
    fields = ("title",)


@register(Roundtable)
class RoundtableTranslation(TranslationOptions):
    fields = ("name", "description")
