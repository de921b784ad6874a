from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.formats import base_formats
from import_export.forms import ExportForm
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from agenda.admin import EventAdmin
from agenda.models import Event
from agenda.translation import translated_columns

from . import admin_console, dashboard, documents, services
from .admin_forms import CertificateSignatoryForm
from .exports import ExportActionMixin, RegistrationResource
from .models import (
    AudienceCategory,
    CertificateSignatory,
    Consent,
    Registration,
    RegistrationError,
    RegistrationSettings,
    StatusChange,
)

# The event's page in admin -----------------------------------------------------------------------


class RegistrationSettingsInline(admin.StackedInline):
    """The registration window and the places, edited on the event's own page."""

    model = RegistrationSettings
    can_delete = False
    min_num = max_num = 1
    verbose_name = verbose_name_plural = _("Registration")
    fieldsets = [
        (
            None,
            {
                "fields": [("opens_at", "closes_at"), ("in_person_places", "virtual_places")],
                "description": _(
                    "Registration is open only between these two instants; with neither set it "
                    "stays closed."
                ),
            },
        )
    ]


class CertificateSignatoryInline(TranslationStackedInline):
    """Who signs the event's certificates of participation, edited on the event's own page."""

    model = CertificateSignatory
    form = CertificateSignatoryForm
    can_delete = False
    max_num = 1
    extra = 1
    verbose_name = verbose_name_plural = _("Certificates of participation")
    fields = ["name", "position", "has_signature_image", "signature_upload", "remove_signature"]
    readonly_fields = ["has_signature_image"]

    @admin.display(description=_("signature image stored"), boolean=True)
    def has_signature_image(self, signatory):
        return bool(signatory and signatory.has_signature)


def agenda_change_notice_url(event):
    """The composer of registration.messaging, ready to tell `event`'s registrants of a change."""
    query = urlencode({"event": event.pk, "kind": "agenda_changed"})
    return f"{reverse('admin:registration_message_add')}?{query}"


admin.site.unregister(Event)


@admin.register(Event)
class EventWithRegistrationAdmin(EventAdmin):
    """
    The agenda's event page, with what registration adds to it: the window and places inline, and
    telling the registrants when the agenda moves.
    """

    inlines = [RegistrationSettingsInline, CertificateSignatoryInline, *EventAdmin.inlines]
    actions = [*EventAdmin.actions, "notify_registrants", "send_certificates"]

    def after_reschedule(self, request, event):
        if self.has_notify_permission(request):
            self.message_user(
                request,
                _("Now tell the registrants: check the notice below, preview it and send it."),
                messages.INFO,
            )
            return redirect(agenda_change_notice_url(event))
        return None

    @admin.action(
        description=_("Notify the registrants of an agenda change"), permissions=["notify"]
    )
    def notify_registrants(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select one event to notify about."), messages.WARNING)
            return None
        return redirect(agenda_change_notice_url(queryset.get()))

    @admin.action(
        description=_("Send the certificates of participation by e-mail"),
        permissions=["send_certificates"],
    )
    def send_certificates(self, request, queryset):
        for event in queryset:
            try:
                run = services.send_certificates(event, by=request.user)
            except RegistrationError as error:
                self.message_user(request, f"{event}: {error}", messages.WARNING)
                continue
            self.message_user(
                request,
                gettext(
                    "%(event)s: certificates sent now: %(queued)s; sent before: %(already)s; "
                    "revoked, not sent: %(revoked)s."
                )
                % {
                    "event": event,
                    "queued": run.queued,
                    "already": run.already_sent,
                    "revoked": run.revoked,
                },
                messages.SUCCESS,
            )

    def has_send_certificates_permission(self, request):
        return request.user.has_perm("registration.change_registration")

    def has_notify_permission(self, request):
        return request.user.has_perm("registration.add_message")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        settings = RegistrationSettings.objects.for_event(form.instance)
        if settings.has_window and settings.in_person_places == 0:
            self.message_user(
                request,
                _(
                    "Registration has a window but no in-person places: every in-person "
                    "registration will go to the waiting list. Set the number of seats in Lima."
                ),
                messages.WARNING,
            )


# Registrations -----------------------------------------------------------------------------------


@admin.register(AudienceCategory)
class AudienceCategoryAdmin(TranslationAdmin):
    list_display = [
        "name",
        "event",
        "order",
        "allows_in_person",
        "allows_virtual",
        "needs_approval",
        "is_active",
    ]
    list_editable = ["order"]
    list_filter = ["event", "needs_approval", "is_active"]
    search_fields = [*translated_columns("name"), "key"]


class ReadOnlyInline(admin.TabularInline):
    """A record (history, consents) that nobody edits after the fact."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["changed_at", "action", "from_status", "to_status", "attendance_mode", "changed_by"]
    readonly_fields = fields


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = ["recorded_at", "purpose", "is_granted", "notice_version", "language", "user"]
    readonly_fields = fields


class AttendedFilter(admin.SimpleListFilter):
    title = _("attended")
    parameter_name = "attended"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.attended()
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.attended().values("pk"))
        return queryset


def _apply(modeladmin, request, queryset, action, done_message):
    """Run a service on each selected registration; report what worked and what the rules refused."""
    done = 0
    for registration in queryset.select_related("event", "category"):
        try:
            action(registration, by=request.user)
            done += 1
        except RegistrationError as error:
            modeladmin.message_user(request, f"{registration.reference}: {error}", messages.WARNING)
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)


def _pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Registration)
class RegistrationAdmin(ExportActionMixin, admin.ModelAdmin):
    # Exports (django-import-export): CSV and Excel of the list as filtered and searched, or of the
    # selected rows through the action. All columns always: no field picker, which needs inline JS.
    resource_classes = [RegistrationResource]
    export_formats = [base_formats.CSV, base_formats.XLSX]
    export_form_class = ExportForm
    # A byte-order mark makes Excel read the CSV as UTF-8 (Núñez, not NÃºÃ±ez).
    to_encoding = "utf-8-sig"
    # Named so import-export's changelist template extends ours (status counts, dashboard links),
    # and the change form left as Django's own.
    change_list_template = "admin/registration/registration/change_list.html"
    change_form_template = None
    show_change_form_export = False

    list_display = [
        "reference",
        "full_name",
        "organisation",
        "country",
        "category",
        "attendance_mode",
        "status",
        "attended",
        "created_at",
    ]
    list_filter = ["event", "status", "attendance_mode", AttendedFilter, "category", "country"]
    search_fields = ["reference", "full_name", "email", "organisation"]
    list_select_related = ["event", "category"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference",
        "event",
        "user",
        "status",
        "queued_at",
        "created_at",
        "updated_at",
        "reminder_sent_at",
        "checked_in_at",
        "checked_in_by",
        "attended",
        "joined_online_first_at",
        "joined_online_last_at",
        "online_join_count",
        "attendance_marked",
        "attendance_marked_at",
        "attendance_marked_by",
        "certificate_summary",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "event", "user", "status", "queued_at"]}),
        (
            _("Participant"),
            {
                "fields": [
                    "honorific",
                    "full_name",
                    "email",
                    "position",
                    "organisation",
                    "country",
                    "phone",
                    "preferred_language",
                    "category",
                    "attendance_mode",
                ]
            },
        ),
        (
            _("Needs (sensitive data)"),
            {"fields": ["dietary_needs", "accessibility_needs", "needs_shown_at_check_in"]},
        ),
        (
            _("Dates"),
            {
                "fields": [
                    "created_at",
                    "updated_at",
                    "reminder_sent_at",
                    ("checked_in_at", "checked_in_by"),
                ]
            },
        ),
        (
            _("Attendance at the meeting"),
            {
                "fields": [
                    "attended",
                    ("joined_online_first_at", "joined_online_last_at", "online_join_count"),
                    ("attendance_marked", "attendance_marked_at", "attendance_marked_by"),
                    "certificate_summary",
                ],
                "description": _(
                    "Attendance comes from the arrival recorded at the desk or the personal join "
                    "link used during the meeting; the actions “Mark as attended” and “Mark as "
                    "not attended” in the list override them, recorded with who and when."
                ),
            },
        ),
    ]
    inlines = [StatusChangeInline, ConsentInline]
    actions = [
        "approve_selected",
        "confirm_selected",
        "decline_selected",
        "attendance_sheet",
        "badges_sheet",
        "badges_single",
        "mark_attended",
        "mark_not_attended",
        "revoke_certificates",
        admin_console.message_registrants,
    ]

    @admin.display(description=_("attended"), boolean=True)
    def attended(self, registration):
        return registration.attended

    @admin.display(description=_("certificate of participation"))
    def certificate_summary(self, registration):
        certificate = registration.existing_certificate
        if certificate is None:
            return gettext("Not issued yet.")
        dates = [
            (gettext("issued at"), certificate.issued_at),
            (gettext("sent by e-mail at"), certificate.emailed_at),
            (gettext("revoked at"), certificate.revoked_at),
        ]
        return format_html(
            '{} — {} — <a href="{}">{}</a>',
            certificate.get_state_display(),
            "; ".join(
                f"{label} {date_format(timezone.localtime(when), 'DATETIME_FORMAT')}"
                for label, when in dates
                if when
            ),
            certificate.verification_path(),
            gettext("verification page"),
        )

    def get_readonly_fields(self, request, obj=None):
        # Mode and category change through the rules (capacity, waiting list), not by editing.
        if obj is not None:
            return [*self.readonly_fields, "attendance_mode", "category"]
        return self.readonly_fields

    def has_add_permission(self, request):
        # Registrations are made by participants through the site, where consent is given.
        return False

    def has_export_permission(self, request):
        # import-export lets every staff member export unless told otherwise: the list is personal
        # data, so exporting needs what reading it needs.
        return self.has_view_permission(request)

    def get_export_filename(self, request, queryset, file_format):
        today = timezone.localdate().isoformat()
        return f"{gettext('registrations')}-{today}.{file_format.get_extension()}"

    def get_urls(self):
        own = [
            path(
                "dashboard/<int:event_id>/",
                self.admin_site.admin_view(self.dashboard_view),
                name="registration_registration_dashboard",
            ),
            path(
                "dashboard/<int:event_id>/attendance-sheet.pdf",
                self.admin_site.admin_view(self.attendance_sheet_view),
                name="registration_registration_attendance_sheet",
            ),
            path(
                "dashboard/<int:event_id>/badges-<str:layout>.pdf",
                self.admin_site.admin_view(self.badges_view),
                name="registration_registration_badges",
            ),
        ]
        # Before the default patterns, whose "<object_id>/" would take "dashboard" for an id.
        return own + super().get_urls()

    def _event_for(self, request, event_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Event, pk=event_id)

    def dashboard_view(self, request, event_id):
        event = self._event_for(request, event_id)
        figures = dashboard.build_dashboard(event)
        changelist = reverse("admin:registration_registration_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Dashboard: %(event)s") % {"event": event.title},
            "event": event,
            "dashboard": figures,
            "charts": {
                "places": dashboard.places_chart(
                    "chart-places", gettext("Places taken and waiting list"), figures.places
                ),
                "status": dashboard.bar_chart(
                    "chart-status", gettext("Registrations by status"), figures.by_status
                ),
                "mode": dashboard.bar_chart(
                    "chart-mode", gettext("Registrations by attendance mode"), figures.by_mode
                ),
                "category": dashboard.bar_chart(
                    "chart-category",
                    gettext("Registrations by audience category"),
                    figures.by_category,
                ),
                "country": dashboard.bar_chart(
                    "chart-country", gettext("Registrations by country"), figures.by_country
                ),
                "per_day": dashboard.daily_chart(
                    "chart-per-day", gettext("Registrations per day"), figures.per_day
                ),
            },
            "registrations_url": f"{changelist}?event__id__exact={event.pk}",
            "export_url": reverse("admin:registration_registration_export")
            + f"?event__id__exact={event.pk}",
            "attendance_sheet_url": reverse(
                "admin:registration_registration_attendance_sheet", args=[event.pk]
            ),
            "badges_urls": [
                (
                    gettext("Badges, 8 per A4 page (PDF)"),
                    reverse(
                        "admin:registration_registration_badges",
                        args=[event.pk, documents.BadgeLayout.SHEET],
                    ),
                ),
                (
                    gettext("Badges, one per A6 page (PDF)"),
                    reverse(
                        "admin:registration_registration_badges",
                        args=[event.pk, documents.BadgeLayout.SINGLE],
                    ),
                ),
            ],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/registration/registration/dashboard.html", context)

    def attendance_sheet_view(self, request, event_id):
        event = self._event_for(request, event_id)
        content = documents.attendance_sheet_pdf(event, Registration.objects.for_event(event))
        return _pdf_response(content, f"attendance-{event.slug}.pdf")

    def badges_view(self, request, event_id, layout):
        event = self._event_for(request, event_id)
        if layout not in documents.BadgeLayout.values():
            raise Http404
        content = documents.badges_pdf(Registration.objects.for_event(event), layout)
        return _pdf_response(content, f"badges-{layout}-{event.slug}.pdf")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "dashboard_events": [
                (event, reverse("admin:registration_registration_dashboard", args=[event.pk]))
                for event in Event.objects.order_by("starts_at")
            ],
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            queryset = changelist.queryset
            response.context_data["status_counts"] = [
                (label, queryset.filter(status=value).count())
                for value, label in Registration.Status.choices
            ]
        return response

    @admin.action(description=_("Approve selected registrations"), permissions=["change"])
    def approve_selected(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            services.approve,
            lambda n: ngettext("%d registration approved.", "%d registrations approved.", n) % n,
        )

    @admin.action(description=_("Confirm selected registrations"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            services.confirm,
            lambda n: ngettext("%d registration confirmed.", "%d registrations confirmed.", n) % n,
        )

    @admin.action(description=_("Decline selected registrations"), permissions=["change"])
    def decline_selected(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            services.decline,
            lambda n: ngettext("%d registration declined.", "%d registrations declined.", n) % n,
        )

    def _printable(self, request, queryset):
        """Confirmed in-person registrations among the selection, or None after telling why not."""
        printable = queryset.confirmed().in_person()
        if not printable.exists():
            self.message_user(
                request,
                gettext("None of the selected registrations is a confirmed in-person participant."),
                messages.WARNING,
            )
            return None
        return printable

    @admin.action(description=_("Attendance sheet (PDF) of the selected"), permissions=["view"])
    def attendance_sheet(self, request, queryset):
        printable = self._printable(request, queryset)
        if printable is None:
            return None
        event_ids = set(printable.order_by().values_list("event", flat=True).distinct())
        if len(event_ids) > 1:
            self.message_user(
                request,
                gettext("An attendance sheet is for one event: filter the list by event first."),
                messages.WARNING,
            )
            return None
        event = Event.objects.get(pk=event_ids.pop())
        return _pdf_response(
            documents.attendance_sheet_pdf(event, printable), f"attendance-{event.slug}.pdf"
        )

    def _badges(self, request, queryset, layout):
        printable = self._printable(request, queryset)
        if printable is None:
            return None
        return _pdf_response(documents.badges_pdf(printable, layout), f"badges-{layout}.pdf")

    @admin.action(
        description=_("Badges of the selected, 8 per A4 page (PDF)"), permissions=["view"]
    )
    def badges_sheet(self, request, queryset):
        return self._badges(request, queryset, documents.BadgeLayout.SHEET)

    @admin.action(
        description=_("Badges of the selected, one per A6 page (PDF)"), permissions=["view"]
    )
    def badges_single(self, request, queryset):
        return self._badges(request, queryset, documents.BadgeLayout.SINGLE)

    @admin.action(description=_("Mark the selected as attended"), permissions=["change"])
    def mark_attended(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda registration, by: services.mark_attendance(registration, True, by=by),
            lambda n: (
                ngettext(
                    "%d registration marked as attended.", "%d registrations marked as attended.", n
                )
                % n
            ),
        )

    @admin.action(description=_("Mark the selected as not attended"), permissions=["change"])
    def mark_not_attended(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            lambda registration, by: services.mark_attendance(registration, False, by=by),
            lambda n: (
                ngettext(
                    "%d registration marked as not attended.",
                    "%d registrations marked as not attended.",
                    n,
                )
                % n
            ),
        )

    @admin.action(description=_("Revoke the certificates of the selected"), permissions=["change"])
    def revoke_certificates(self, request, queryset):
        _apply(
            self,
            request,
            queryset,
            services.revoke_certificate,
            lambda n: ngettext("%d certificate revoked.", "%d certificates revoked.", n) % n,
        )
