from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminFileWidget
from django.db import models
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
)

from .models import Event, Material, Organisation, Roundtable, Session, SessionSpeaker, Speaker
from .rescheduling import RescheduleForm, reschedule
from .translation import translated_columns


@admin.register(Organisation)
class OrganisationAdmin(TranslationAdmin):
    list_display = ["name", "acronym", "country", "website"]
    list_filter = ["country"]
    search_fields = [*translated_columns("name"), "acronym"]


@admin.register(Roundtable)
class RoundtableAdmin(TranslationAdmin):
    list_display = ["name", "order", "key", "meeting_count"]
    list_editable = ["order"]
    search_fields = ["name_es", "name_en", "key"]
    fields = ["name", "description", "order", "key"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(meeting_count=Count("events"))

    @admin.display(description=_("meetings"), ordering="meeting_count")
    def meeting_count(self, roundtable):
        return roundtable.meeting_count


class SessionInline(TranslationStackedInline):
    model = Session
    extra = 0
    ordering = ["starts_at"]
    fields = [
        ("kind", "starts_at", "ends_at", "location"),
        "title",
        "topics",
        "participants_note",
        "speakers_to_be_confirmed",
    ]
    show_change_link = True


# Materials: presentations, recordings and links ---------------------------------------------------


class StoredFileLink:
    """The material's current file as the admin shows it: a link to the site's download view."""

    def __init__(self, field_file):
        self.material = field_file.instance

    @property
    def url(self):
        return self.material.get_absolute_url()

    def __str__(self):
        return self.material.download_name


class MaterialFileInput(AdminFileWidget):
    # Storage has no public address (MEDIA_URL is unset, the bucket is private): "Currently" links
    # to the download view, as anyone else fetches the file, instead of a path that leads nowhere.
    # A <label for> names the file input itself; the admin's fieldset and legend leave it unnamed
    # for screen readers (axe: "Form elements must have labels").
    use_fieldset = False

    def format_value(self, value):
        if value and getattr(value, "_committed", False) and value.instance.pk:
            return StoredFileLink(value)
        return None


class MaterialFileSummary:
    """What an upload turned out to be, as its content showed: “PDF, 1.2 MB”."""

    formfield_overrides = {models.FileField: {"widget": MaterialFileInput}}

    @admin.display(description=_("format and size"))
    def file_summary(self, material):
        if not material.file_format:
            return "—"
        return f"{material.document_format.label}, {filesizeformat(material.file_size)}"


MATERIAL_FIELDS = [("kind", "visibility", "order"), "title", ("file", "file_summary"), "url"]


class EventMaterialInline(MaterialFileSummary, TranslationStackedInline):
    """The event's materials, each for the whole meeting or for one of its sessions."""

    model = Material
    extra = 0
    fields = ["session", *MATERIAL_FIELDS]
    readonly_fields = ["file_summary"]
    ordering = ["session__starts_at", "order", "pk"]
    verbose_name_plural = _("materials (presentations, recordings, links)")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            # Only this event's sessions; none while the event is being created.
            event_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Session.objects.filter(event_id=event_id).order_by("starts_at")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SessionMaterialInline(MaterialFileSummary, TranslationStackedInline):
    model = Material
    extra = 0
    fields = MATERIAL_FIELDS
    readonly_fields = ["file_summary"]
    ordering = ["order", "pk"]
    verbose_name_plural = _("materials (presentations, recordings, links)")


@admin.register(Material)
class MaterialAdmin(MaterialFileSummary, TranslationAdmin):
    list_display = ["title", "event", "session", "kind", "file_summary", "visibility", "order"]
    list_filter = ["event", "kind", "visibility"]
    search_fields = ["title_es", "title_en", "session__title_es", "session__title_en"]
    list_select_related = ["event", "session"]
    autocomplete_fields = ["event", "session"]
    readonly_fields = ["file_summary", "updated_at"]
    fields = ["event", "session", *MATERIAL_FIELDS, "updated_at"]


# Agenda changes that reach people ----------------------------------------------------------------


class AgendaChangeActions:
    """
    EventAdmin's action to move a whole event, keeping every session's duration and order and
    bumping each session's calendar SEQUENCE. What follows a move for the people who registered is
    registration's business: it overrides `after_reschedule` (registration/admin.py).
    """

    actions = ["reschedule"]

    @admin.action(
        description=_("Reschedule the selected event with all its sessions"),
        permissions=["change"],
    )
    def reschedule(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select one event to reschedule."), messages.WARNING)
            return None
        event = queryset.get()
        form = RescheduleForm(request.POST if "apply" in request.POST else None, event=event)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/agenda/event/reschedule.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Reschedule “%(event)s”") % {"event": event},
                    "opts": self.opts,
                    "event": event,
                    "sessions": event.sessions.order_by("starts_at"),
                    "form": form,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        event = reschedule(event, form.cleaned_data["new_start"])
        count = event.sessions.count()
        moved = ngettext(
            "Moved to %(date)s at %(time)s (%(zone)s), with its %(count)d session.",
            "Moved to %(date)s at %(time)s (%(zone)s), with its %(count)d sessions.",
            count,
        ) % {
            "date": date_format(event.local_starts_at, "DATE_FORMAT"),
            "time": f"{event.local_starts_at:%H:%M}",
            "zone": event.time_zone,
            "count": count,
        }
        self.log_change(request, event, moved)
        self.message_user(request, f"{event}: {moved}", messages.SUCCESS)
        return self.after_reschedule(request, event)

    def after_reschedule(self, request, event):
        """Where the organiser goes once `event` has moved: None stays on the list."""
        return None


@admin.register(Event)
class EventAdmin(AgendaChangeActions, TranslationAdmin):
    list_display = ["title", "roundtable", "starts_at", "ends_at", "time_zone", "is_published"]
    list_filter = ["is_published", "roundtable"]
    list_select_related = ["roundtable"]
    search_fields = [*translated_columns("title"), "slug"]
    # Addresses are the same in every language; English titles make the most readable ASCII ones.
    prepopulated_fields = {"slug": ["title_en"]}
    filter_horizontal = ["organisers"]
    date_hierarchy = "starts_at"
    inlines = [SessionInline, EventMaterialInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "is_published", "roundtable", "organisers"]}),
        (_("Date and time"), {"fields": ["starts_at", "ends_at", "time_zone"]}),
        (
            _("Content"),
            {
                "fields": [
                    "summary",
                    "general_objective",
                    "specific_objectives",
                    "target_audience",
                    "format_description",
                ]
            },
        ),
        (_("Venue in Lima"), {"fields": ["venue_name", "venue_address"]}),
        (
            _("Virtual attendance"),
            {
                "fields": ["virtual_platform_name", "virtual_join_url", "virtual_access_details"],
                "description": _(
                    "The join link and access details are private: only confirmed virtual "
                    "participants receive them."
                ),
            },
        ),
    ]


class SessionSpeakerInline(admin.TabularInline):
    model = SessionSpeaker
    extra = 1
    autocomplete_fields = ["speaker"]
    ordering = ["order"]


@admin.register(Session)
class SessionAdmin(TranslationAdmin):
    list_display = ["title", "event", "kind", "starts_at", "ends_at", "speakers_to_be_confirmed"]
    list_filter = ["event", "kind", "speakers_to_be_confirmed"]
    search_fields = [*translated_columns("title", "topics"), "speakers__name"]
    list_select_related = ["event"]
    autocomplete_fields = ["event"]
    inlines = [SessionSpeakerInline, SessionMaterialInline]
    readonly_fields = ["sequence", "updated_at"]
    fields = [
        "event",
        "kind",
        ("starts_at", "ends_at"),
        "location",
        "title",
        "topics",
        "participants_note",
        "speakers_to_be_confirmed",
        ("sequence", "updated_at"),
    ]


@admin.register(Speaker)
class SpeakerAdmin(TranslationAdmin):
    list_display = ["name", "honorific", "position", "organisation", "confirmation_status"]
    list_filter = ["confirmation_status", "organisation"]
    search_fields = ["name", *translated_columns("position"), "organisation__acronym"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]

    def view_on_site(self, obj):
        session = obj.sessions.select_related("event").first()
        if session is None:
            return None
        return reverse("agenda:speaker-list", kwargs={"event_slug": session.event.slug})
