from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from . import services
from .models import AudienceCategory, Consent, Registration, RegistrationError, StatusChange


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
    search_fields = ["name_es", "name_en", "key"]


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
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]
    readonly_fields = fields


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = ["recorded_at", "purpose", "is_granted", "notice_version", "language", "user"]
    readonly_fields = fields


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


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "full_name",
        "organisation",
        "country",
        "category",
        "attendance_mode",
        "status",
        "created_at",
    ]
    list_filter = ["event", "status", "attendance_mode", "category", "country"]
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
        (_("Needs (sensitive data)"), {"fields": ["dietary_needs", "accessibility_needs"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at", "reminder_sent_at"]}),
    ]
    inlines = [StatusChangeInline, ConsentInline]
    actions = ["approve_selected", "confirm_selected", "decline_selected"]

    def get_readonly_fields(self, request, obj=None):
        # Mode and category change through the rules (capacity, waiting list), not by editing.
        if obj is not None:
            return [*self.readonly_fields, "attendance_mode", "category"]
        return self.readonly_fields

    def has_add_permission(self, request):
        # Registrations are made by participants through the site, where consent is given.
        return False

    def changelist_view(self, request, extra_context=None):
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
