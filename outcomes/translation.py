"""Fields that exist in every language (django-modeltranslation adds one column per language)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Action, Outcome


@register(Outcome)
class OutcomeTranslation(TranslationOptions):
    fields = ("summary",)


@register(Action)
class ActionTranslation(TranslationOptions):
    fields = ("description",)
