from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
)

from .models import Event, Organisation, Session, SessionSpeaker, Speaker


@admin.register(Organisation)
class OrganisationAdmin(TranslationAdmin):
    list_display = ["name", "acronym", "country", "website"]
    list_filter = ["country"]
    search_fields = ["name_es", "name_en", "acronym"]


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


@admin.register(Event)
class EventAdmin(TranslationAdmin):
    list_display = ["title", "starts_at", "ends_at", "time_zone", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title_es", "title_en", "slug"]
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
            _("Registration"),
            {
                "fields": [
                    ("registration_opens_at", "registration_closes_at"),
                    ("in_person_capacity", "virtual_capacity"),
                ],
                "description": _(
                    "Registration is open only between these two instants; with neither set it "
                    "stays closed."
                ),
            },
        ),
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


    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        window_set = obj.registration_opens_at or obj.registration_closes_at
        if window_set and obj.in_person_capacity == 0:
            self.message_user(
                request,
                _(
                    "Registration has a window but no in-person places: every in-person "
                    "registration will go to the waiting list. Set the number of seats in Lima."
                ),
                messages.WARNING,
            )


class SessionSpeakerInline(admin.TabularInline):
    model = SessionSpeaker
    extra = 1
    autocomplete_fields = ["speaker"]
    ordering = ["order"]


@admin.register(Session)
class SessionAdmin(TranslationAdmin):
    list_display = ["title", "event", "kind", "starts_at", "ends_at", "speakers_to_be_confirmed"]
    list_filter = ["event", "kind", "speakers_to_be_confirmed"]
    search_fields = ["title_es", "title_en", "topics_es", "topics_en", "speakers__name"]
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
    search_fields = ["name", "position_es", "position_en", "organisation__acronym"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]

    def view_on_site(self, obj):
        session = obj.sessions.select_related("event").first()
        if session is None:
            return None
        return reverse("agenda:speaker-list", kwargs={"event_slug": session.event.slug})
