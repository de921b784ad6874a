from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
)

from .models import Event, Organisation, Session, SessionSpeaker, Speaker
from .rescheduling import RescheduleForm, reschedule
from .translation import translated_columns


@admin.register(Organisation)
class OrganisationAdmin(TranslationAdmin):
    list_display = ["name", "acronym", "country", "website"]
    list_filter = ["country"]
    search_fields = [*translated_columns("name"), "acronym"]


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
    list_display = ["title", "starts_at", "ends_at", "time_zone", "is_published"]
    list_filter = ["is_published"]
    search_fields = [*translated_columns("title"), "slug"]
    # Addresses are the same in every language; English titles make the most readable ASCII ones.
    prepopulated_fields = {"slug": ["title_en"]}
    filter_horizontal = ["organisers"]
    date_hierarchy = "starts_at"
    inlines = [SessionInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "is_published", "organisers"]}),
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
    inlines = [SessionSpeakerInline]
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
