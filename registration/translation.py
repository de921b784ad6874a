"""
Fields that exist in every language of settings.LANGUAGES (django-modeltranslation adds one column
per language: `name_es`, `name_en`, `name_pt_br`, `name_fr`).
"""

from modeltranslation.translator import TranslationOptions, register

from .models import AudienceCategory, CertificateSignatory, Message


@register(AudienceCategory)
class AudienceCategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(CertificateSignatory)
class CertificateSignatoryTranslation(TranslationOptions):
    # A position reads in the certificate's language ("Secretario General", "Secretary-General").
    fields = ("position",)


@register(Message)
class MessageTranslation(TranslationOptions):
    fields = ("subject", "body")
