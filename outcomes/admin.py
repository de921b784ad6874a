from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from .models import Action, Outcome


class ActionInline(TranslationStackedInline):
    model = Action
    extra = 1
    ordering = ["order", "pk"]
    autocomplete_fields = ["lead_organisations", "participating_organisations"]
    fields = [
        "description",
        ("lead_organisations", "participating_organisations"),
        ("horizon", "horizon_date", "status"),
        ("session", "order"),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the sessions of the meeting being edited: an action comes from one of them.
        if db_field.name == "session":
            outcome_id = request.resolver_match.kwargs.get("object_id")
            queryset = db_field.remote_field.model.objects.select_related("event")
            if outcome_id:
                queryset = queryset.filter(event__outcome__pk=outcome_id)
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Outcome)
class OutcomeAdmin(TranslationAdmin):
    list_display = ["event", "is_published", "action_count", "updated_at"]
    list_filter = ["is_published", "event__roundtable"]
    search_fields = ["event__title_es", "event__title_en", "summary_es", "summary_en"]
    list_select_related = ["event"]
    autocomplete_fields = ["event"]
    readonly_fields = ["updated_at"]
    fields = ["event", "is_published", "summary", "updated_at"]
    inlines = [ActionInline]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(action_count=Count("actions"))

    @admin.display(description=_("actions"), ordering="action_count")
    def action_count(self, outcome):
        return outcome.action_count

    @admin.action(description=_("Publish the selected outcomes"), permissions=["change"])
    def publish(self, request, queryset):
        # One save per outcome, so each one's `updated_at` moves and the public pages follow.
        for outcome in queryset.filter(is_published=False):
            outcome.is_published = True
            outcome.save(update_fields=["is_published", "updated_at"])

    @admin.action(
        description=_("Withdraw the selected outcomes from the site"), permissions=["change"]
    )
    def unpublish(self, request, queryset):
        for outcome in queryset.filter(is_published=True):
            outcome.is_published = False
            outcome.save(update_fields=["is_published", "updated_at"])


@admin.register(Action)
class ActionAdmin(TranslationAdmin):
    list_display = ["description", "event_title", "horizon", "horizon_date", "status"]
    list_filter = [
        "status",
        "horizon",
        "outcome__is_published",
        "outcome__event__roundtable",
        "outcome__event",
    ]
    search_fields = [
        "description_es",
        "description_en",
        "lead_organisations__acronym",
        "participating_organisations__acronym",
    ]
    list_select_related = ["outcome__event"]
    autocomplete_fields = [
        "outcome",
        "session",
        "lead_organisations",
        "participating_organisations",
    ]
    fields = [
        "outcome",
        "description",
        ("lead_organisations", "participating_organisations"),
        ("horizon", "horizon_date", "status"),
        ("session", "order"),
    ]

    @admin.display(description=_("meeting"), ordering="outcome__event__starts_at")
    def event_title(self, action):
        return action.outcome.event
