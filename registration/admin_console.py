"""
The organisers' console in the admin for messages to registrants: the record of what was sent to
whom, the composer (as the "add" page), and the registrations list's action that opens it.

registration/admin.py imports this module, so the admin registers these with the rest.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.utils import build_localized_fieldname

from . import messaging
from .models import Message, MessageDelivery

# The subject and the text in each language of the site, in the order of settings.LANGUAGES.
MESSAGE_TEXT_COLUMNS = [
    build_localized_fieldname(field, code)
    for code, _name in settings.LANGUAGES
    for field in ("subject", "body")
]


class MessageDeliveryInline(admin.TabularInline):
    model = MessageDelivery
    extra = 0
    can_delete = False
    fields = ["registration", "email", "language", "status", "sent_at", "error"]
    readonly_fields = fields
    ordering = ["registration__full_name", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages are written in the composer and then kept as they were sent: never edited."""

    list_display = ["__str__", "kind", "event", "audience", "recipients", "sent_by", "sent_at"]
    list_filter = ["event", "kind"]
    search_fields = [*MESSAGE_TEXT_COLUMNS, "deliveries__email"]
    list_select_related = ["event", "sent_by"]
    date_hierarchy = "sent_at"
    fields = [
        "event",
        "kind",
        "audience",
        ("sent_by", "sent_at"),
        "delivery_counts",
        *MESSAGE_TEXT_COLUMNS,
    ]
    readonly_fields = [
        "event",
        "kind",
        "audience",
        "sent_by",
        "sent_at",
        "delivery_counts",
        *MESSAGE_TEXT_COLUMNS,
    ]
    inlines = [MessageDeliveryInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                recipient_count=Count("deliveries"),
                sent_count=Count(
                    "deliveries", filter=Q(deliveries__status=MessageDelivery.Status.SENT)
                ),
                failed_count=Count(
                    "deliveries", filter=Q(deliveries__status=MessageDelivery.Status.FAILED)
                ),
            )
        )

    @admin.display(description=_("recipients"), ordering="recipient_count")
    def recipients(self, message):
        return message.recipient_count

    @admin.display(description=_("deliveries"))
    def delivery_counts(self, message):
        return ngettext(
            "%(total)d recipient: %(sent)d sent, %(failed)d failed, %(queued)d queued",
            "%(total)d recipients: %(sent)d sent, %(failed)d failed, %(queued)d queued",
            message.recipient_count,
        ) % {
            "total": message.recipient_count,
            "sent": message.sent_count,
            "failed": message.failed_count,
            "queued": message.recipient_count - message.sent_count - message.failed_count,
        }

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {name: request.GET[name] for name in ("event", "kind") if name in request.GET}
        return messaging.compose(request, self, initial=initial)


@admin.action(description=_("Write to the selected registrants"))
def message_registrants(modeladmin, request, queryset):
    """Open the composer for exactly the registrations ticked (or filtered and all selected)."""
    if not request.user.has_perm("registration.add_message"):
        raise PermissionDenied
    event_ids = set(queryset.values_list("event_id", flat=True).distinct())
    if len(event_ids) != 1:
        modeladmin.message_user(
            request, _("Select registrations of one event at a time."), messages.WARNING
        )
        return None
    initial = {
        "event": event_ids.pop(),
        "registrations": list(queryset.values_list("pk", flat=True)),
    }
    message_admin = modeladmin.admin_site.get_model_admin(Message)
    return messaging.compose(request, message_admin, initial=initial)
