"""
Registrations as a spreadsheet (CSV or Excel) for organisers, through django-import-export.

Labels (status, mode, category, country) are written in the admin's language, times in Lima time,
the meeting's official clock. Every cell goes through agenda.spreadsheets.safe_cell: no formula a
spreadsheet would run, no control character openpyxl cannot write (see that module for why).
"""

from django.contrib.admin import Action, ActionLocation
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import admin as import_export_admin
from import_export import resources, widgets
from import_export.fields import Field

from agenda.spreadsheets import safe_cell

from .models import Consent, Registration

CONSENT_COLUMNS = {
    Consent.Purpose.PRIVACY_NOTICE: "consent_privacy_notice",
    Consent.Purpose.PHOTOGRAPHY: "consent_photography",
    Consent.Purpose.SENSITIVE_DATA: "consent_sensitive_data",
}


def with_export_columns(registrations):
    """
    The registrations with everything a row needs in the same query: the event and category, and
    the consent in force (the latest grant or withdrawal) for each purpose as an annotation.
    """
    latest = {
        column: Subquery(
            Consent.objects.filter(registration=OuterRef("pk"), purpose=purpose)
            .order_by("-recorded_at", "-pk")
            .values("is_granted")[:1]
        )
        for purpose, column in CONSENT_COLUMNS.items()
    }
    return registrations.select_related("event", "category").annotate(**latest)


def _lima_time():
    # Localtime in the site's zone (settings.TIME_ZONE, America/Lima); xlsx gets a naive datetime.
    return widgets.DateTimeWidget(format="%Y-%m-%d %H:%M")


class RegistrationResource(resources.ModelResource):
    reference = Field(attribute="reference", column_name=_("Reference"))
    honorific = Field(attribute="honorific", column_name=_("Honorific"))
    full_name = Field(attribute="full_name", column_name=_("Full name"))
    email = Field(attribute="email", column_name=_("E-mail"))
    position = Field(attribute="position", column_name=_("Position"))
    organisation = Field(attribute="organisation", column_name=_("Organisation"))
    country = Field(column_name=_("Country"))
    category = Field(column_name=_("Audience category"))
    attendance_mode = Field(column_name=_("Attendance"))
    status = Field(column_name=_("Status"))
    dietary_needs = Field(attribute="dietary_needs", column_name=_("Dietary needs"))
    accessibility_needs = Field(
        attribute="accessibility_needs", column_name=_("Accessibility needs")
    )
    consent_privacy_notice = Field(column_name=_("Consent: privacy notice"))
    consent_photography = Field(column_name=_("Consent: photographs and recording"))
    consent_sensitive_data = Field(column_name=_("Consent: dietary and accessibility needs"))
    created_at = Field(
        attribute="created_at", column_name=_("Registered at (Lima time)"), widget=_lima_time()
    )
    updated_at = Field(
        attribute="updated_at", column_name=_("Updated at (Lima time)"), widget=_lima_time()
    )
    checked_in_at = Field(
        attribute="checked_in_at", column_name=_("Arrived at (Lima time)"), widget=_lima_time()
    )

    class Meta:
        model = Registration
        fields = (
            "reference",
            "honorific",
            "full_name",
            "email",
            "position",
            "organisation",
            "country",
            "category",
            "attendance_mode",
            "status",
            "dietary_needs",
            "accessibility_needs",
            "consent_privacy_notice",
            "consent_photography",
            "consent_sensitive_data",
            "created_at",
            "updated_at",
            "checked_in_at",
        )
        export_order = fields

    @classmethod
    def get_display_name(cls):
        return gettext("Registrations")

    def filter_export(self, queryset, **kwargs):
        return with_export_columns(queryset)

    def export_field(self, field, instance, **kwargs):
        return safe_cell(super().export_field(field, instance, **kwargs))

    def dehydrate_country(self, registration):
        return str(registration.country.name)

    def dehydrate_category(self, registration):
        return str(registration.category.name)

    def dehydrate_attendance_mode(self, registration):
        return str(registration.get_attendance_mode_display())

    def dehydrate_status(self, registration):
        return str(registration.get_status_display())

    def _consent(self, registration, purpose):
        granted = getattr(registration, CONSENT_COLUMNS[purpose])
        if granted is None:
            return gettext("Not given")
        return gettext("Granted") if granted else gettext("Withdrawn")

    def dehydrate_consent_privacy_notice(self, registration):
        return self._consent(registration, Consent.Purpose.PRIVACY_NOTICE)

    def dehydrate_consent_photography(self, registration):
        return self._consent(registration, Consent.Purpose.PHOTOGRAPHY)

    def dehydrate_consent_sensitive_data(self, registration):
        return self._consent(registration, Consent.Purpose.SENSITIVE_DATA)


class ExportActionMixin(import_export_admin.ExportActionMixin):
    """
    import-export's "Export selected" admin action, adapted to Django 6.1 without its warnings.

    import-export 4.4 (the latest) overrides get_actions() with the signature Django deprecated
    (RemovedInDjango2028Warning, on every changelist, and a TypeError once Django stops accepting
    it), and its export view calls its own deprecated get_valid_export_item_pks().
    """

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Skips import-export's get_actions() and adds its action here, on the list only, as it does.
        actions = super(import_export_admin.ExportActionMixin, self).get_actions(
            request, action_location=action_location
        )
        if action_location == ActionLocation.CHANGE_LIST and self.has_export_permission(request):
            description = _("Export selected %(verbose_name_plural)s")
            actions["export_admin_action"] = Action(
                func=type(self).export_admin_action,
                name="export_admin_action",
                description=description,
                plural_description=description,
                locations=[ActionLocation.CHANGE_LIST],
            )
        return actions

    def get_valid_export_item_pks(self, request):
        # The rows the action may export are those the export itself starts from; import-export's
        # own version (every row of the table) only warns that it is deprecated.
        return self.get_export_queryset(request).values_list("pk", flat=True)
