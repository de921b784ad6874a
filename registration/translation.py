"""Fields that exist in Spanish and English (django-modeltranslation adds `_es` and `_en` columns)."""

from modeltranslation.translator import TranslationOptions, register

from .models import AudienceCategory


@register(AudienceCategory)
class AudienceCategoryTranslation(TranslationOptions):
    fields = ("name", "description")
