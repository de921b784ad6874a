"""
Undelivered e-mails in admin: the mails the server never took once their retries were spent (or
that failed for good at the first attempt), for organisers to see and send again once the mail
server is back.

They are rows of the task queue's own table (django-tasks-db), seen through the UndeliveredMail
proxy. The page shows who the mail was for and what it was, never the queued data itself: an
account mail's body holds links (a password reset) that only its recipient may see.
"""

import datetime

from django.contrib import admin, messages
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import formats, timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mailqueue import MAIL_TASKS, MailDeferred, send_stored_email

from .emails import Kind
from .models import MessageDelivery, Registration, UndeliveredMail
from .tasks import send_message_delivery, send_registration_email

MAIL_DEFERRED = f"{MailDeferred.__module__}.{MailDeferred.__qualname__}"


def undelivered(queryset):
    """The mail tasks that failed and queued no retry: each is a mail that never left."""
    return queryset.filter(status=TaskResultStatus.FAILED, task_path__in=MAIL_TASKS).exclude(
        exception_class_path=MAIL_DEFERRED
    )


def describe(rows):
    """Set `recipient` and `subject` on each task row: one query per kind of mail task at most."""
    by_path = {}
    for row in rows:
        by_path.setdefault(row.task_path, []).append(row)
        row.recipient = row.subject = ""

    registration_rows = by_path.get(send_registration_email.module_path, [])
    registrations = Registration.objects.in_bulk(
        [row.args_kwargs["args"][0] for row in registration_rows]
    )
    for row in registration_rows:
        registration_id, kind = row.args_kwargs["args"][:2]
        registration = registrations.get(registration_id)
        if registration is not None:
            label = Kind(kind).label if kind in Kind.values else kind
            row.recipient = registration.email
            row.subject = f"{label} ({registration.reference})"

    delivery_rows = by_path.get(send_message_delivery.module_path, [])
    deliveries = MessageDelivery.objects.select_related("message").in_bulk(
        [row.args_kwargs["args"][0] for row in delivery_rows]
    )
    for row in delivery_rows:
        delivery = deliveries.get(row.args_kwargs["args"][0])
        if delivery is not None:
            row.recipient, row.subject = delivery.email, str(delivery.message)

    for row in by_path.get(send_stored_email.module_path, []):
        message = row.args_kwargs["args"][0]
        row.recipient, row.subject = ", ".join(message["to"]), message["subject"]
    return rows


@admin.register(UndeliveredMail)
class UndeliveredMailAdmin(admin.ModelAdmin):
    list_display = [
        "last_attempt",
        "recipient_display",
        "subject_display",
        "attempts",
        "failure",
        "sent_again",
    ]
    list_display_links = ["last_attempt"]
    fields = readonly_fields = list_display
    ordering = ["-finished_at"]
    actions = ["send_again"]

    def get_queryset(self, request):
        return undelivered(super().get_queryset(request))

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        describe(changelist.result_list)
        return changelist

    def get_object(self, request, object_id, from_field=None):
        row = super().get_object(request, object_id, from_field)
        return describe([row])[0] if row is not None else None

    # A record of what happened: nobody adds, edits or deletes one here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.resend_{opts.model_name}")

    @admin.display(description=_("last attempt"), ordering="finished_at")
    def last_attempt(self, row):
        return row.finished_at

    @admin.display(description=_("to"))
    def recipient_display(self, row):
        return row.recipient or _("(no longer registered)")

    @admin.display(description=_("e-mail"))
    def subject_display(self, row):
        return row.subject

    @admin.display(description=_("attempts"))
    def attempts(self, row):
        return row.args_kwargs["kwargs"].get("attempt", 1)

    @admin.display(description=_("last error"))
    def failure(self, row):
        # The traceback's last line names the error and what the server said.
        lines = [line for line in row.traceback.splitlines() if line.strip()]
        return lines[-1] if lines else row.exception_class_path

    @admin.display(description=_("sent again"))
    def sent_again(self, row):
        if not row.return_value:
            return ""
        when = timezone.localtime(datetime.datetime.fromisoformat(row.return_value["when"]))
        return _("%(when)s by %(who)s") % {
            "when": formats.localize(when),
            "who": row.return_value["who"],
        }

    @admin.action(description=_("Send the selected e-mails again"), permissions=["resend"])
    def send_again(self, request, queryset):
        sent = skipped = 0
        for row in queryset:
            with transaction.atomic():
                # The mark is taken first and only once: two organisers clicking together, or one
                # clicking twice, send the mail once.
                claimed = UndeliveredMail.objects.filter(
                    pk=row.pk, return_value__isnull=True
                ).update(
                    return_value={
                        "when": timezone.now().isoformat(),
                        "who": request.user.get_username(),
                    }
                )
                if not claimed:
                    skipped += 1
                    continue
                # In the same transaction as the mark: with the database backend both are saved or
                # neither. A fresh first attempt, with its own retries.
                mail = import_string(row.task_path).using(backend=row.backend_name)
                mail.enqueue(
                    *row.args_kwargs["args"], **{**row.args_kwargs["kwargs"], "attempt": 1}
                )
            sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail is queued to be sent again.",
                    "%(count)d e-mails are queued to be sent again.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail had already been sent again and was left alone.",
                    "%(count)d e-mails had already been sent again and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
