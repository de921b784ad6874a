"""Fields that exist in Spanish and English (django-modeltranslation adds `_es` and `_en` columns)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Event, Material, Organisation, Roundtable, Session, Speaker


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
