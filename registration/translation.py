"""Fields that exist in Spanish and English (django-modeltranslation adds `_es` and `_en` columns)."""

from modeltranslation.translator import TranslationOptions, register

from .models import AudienceCategory, CertificateSignatory


@register(AudienceCategory)
class AudienceCategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(CertificateSignatory)
class CertificateSignatoryTranslation(TranslationOptions):
    # A position reads in the certificate's language ("Secretario General", "Secretary-General").
    fields = ("position",)
