"""
Organisers write to registrants: compose one message, in every language of the site, for an
audience, preview it as people will receive it, send it through the site's own e-mail path, and
keep the record.

Two kinds share the path: a free message (a subject and a text in each language of
settings.LANGUAGES), and the notice of an agenda change, whose text is the site's own (with an
optional note, in each language too) and which carries each confirmed participant's updated
calendar. Each person receives it in their own language.

The pages are the "add" view of MessageAdmin (registration/admin_console.py): the composer is
reached from Messages → Add, from an event's "Notify registrants" action, right after rescheduling
an event, and from the registrations list's "Write to the selected registrants" action.
"""

import copy
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import IntegrityError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.utils import build_localized_fieldname

from agenda.models import Event

from . import emails, services
from .models import (
    AttendanceMode,
    AudienceCategory,
    Message,
    Registration,
)

# The preview lists this many recipients by name, then counts the rest.
PREVIEW_RECIPIENTS = 200


class ComposeForm(forms.Form):
    """The message and its audience. Valid only if the audience has at least one person."""

    event = forms.ModelChoiceField(Event.objects.all(), label=gettext_lazy("Event"))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of message"),
        choices=Message.Kind.choices,
        initial=Message.Kind.MESSAGE,
        widget=forms.RadioSelect,
    )
    statuses = forms.MultipleChoiceField(
        label=gettext_lazy("Status"),
        choices=Registration.Status.choices,
        initial=[Registration.Status.CONFIRMED],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    modes = forms.MultipleChoiceField(
        label=gettext_lazy("Attendance"),
        choices=AttendanceMode.choices,
        initial=AttendanceMode.values,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.ModelMultipleChoiceField(
        AudienceCategory.objects.all(),
        label=gettext_lazy("Audience categories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Leave all unticked to write to every category."),
    )
    # Set when the composer comes from registrations selected in the admin list.
    registrations = forms.ModelMultipleChoiceField(
        Registration.objects.all(), required=False, widget=forms.MultipleHiddenInput
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A subject and a text per language of the site, named as the Message's columns.
        for code, name in settings.LANGUAGES:
            self.fields[build_localized_fieldname("subject", code)] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": name},
                max_length=200,
                required=False,
            )
            self.fields[build_localized_fieldname("body", code)] = forms.CharField(
                label=_("Message (%(language)s)") % {"language": name},
                required=False,
                widget=forms.Textarea,
            )
        self.fields["submission_key"].initial = uuid.uuid4
        event_id = self.data.get("event") if self.is_bound else self.initial.get("event")
        if event_id and str(event_id).isdigit():
            # Only this event's categories: another event's would match nobody.
            self.fields["categories"].queryset = AudienceCategory.objects.filter(event_id=event_id)

    @property
    def text_fields(self):
        """(subject, body) bound fields for each language, in the order of settings.LANGUAGES."""
        return [
            (
                self[build_localized_fieldname("subject", code)],
                self[build_localized_fieldname("body", code)],
            )
            for code, _name in settings.LANGUAGES
        ]

    @staticmethod
    def _text_names(field):
        return [build_localized_fieldname(field, code) for code, _name in settings.LANGUAGES]

    @property
    def selected(self):
        """Whether the audience is a hand-picked selection rather than filters."""
        value = self["registrations"].value()
        return bool(value)

    def clean(self):
        data = super().clean()
        event, kind = data.get("event"), data.get("kind")
        # Each person reads the message in their own language: it is written in all of them.
        if kind == Message.Kind.MESSAGE:
            for name in (*self._text_names("subject"), *self._text_names("body")):
                if not data.get(name, "").strip():
                    self.add_error(
                        name, _("A message needs a subject and a text in every language.")
                    )
        else:
            bodies = self._text_names("body")
            written = [name for name in bodies if data.get(name, "").strip()]
            if written:
                for name in bodies:
                    if name not in written:
                        self.add_error(name, _("Write the note in every language, or in none."))
        selected = data.get("registrations")
        if selected:
            if event is not None and any(r.event_id != event.pk for r in selected):
                self.add_error(
                    None, _("Every selected registration must belong to the chosen event.")
                )
        else:
            if not data.get("statuses"):
                self.add_error("statuses", _("Tick at least one status."))
            if not data.get("modes"):
                self.add_error("modes", _("Tick at least one way of attending."))
        if event is None or self.errors:
            return data
        if not self.recipients().exists():
            raise forms.ValidationError(_("No registration matches this audience."))
        return data

    def recipients(self):
        """The registrations the message goes to, in name order."""
        data = self.cleaned_data
        return Registration.objects.for_event(data["event"]).audience(
            registrations=data.get("registrations"),
            statuses=data.get("statuses"),
            modes=data.get("modes"),
            categories=data.get("categories"),
        )

    def audience_description(self):
        """The audience in words, kept with the message: “Status: Confirmed · Attendance: Virtual”."""
        data = self.cleaned_data
        if data.get("registrations"):
            count = len(data["registrations"])
            return ngettext(
                "%(count)d registration selected in the list",
                "%(count)d registrations selected in the list",
                count,
            ) % {"count": count}
        statuses = dict(Registration.Status.choices)
        modes = dict(AttendanceMode.choices)
        parts = [
            _("Status: %(values)s")
            % {"values": ", ".join(str(statuses[value]) for value in data["statuses"])},
            _("Attendance: %(values)s")
            % {"values": ", ".join(str(modes[value]) for value in data["modes"])},
        ]
        if data.get("categories"):
            parts.append(
                _("Categories: %(values)s")
                % {"values": ", ".join(str(category) for category in data["categories"])}
            )
        return " · ".join(parts)

    def unsaved_message(self, *, by=None):
        data = self.cleaned_data
        texts = {
            name: data[name].strip()
            for name in (*self._text_names("subject"), *self._text_names("body"))
        }
        return Message(
            event=data["event"],
            kind=data["kind"],
            **texts,
            audience=self.audience_description()[:500],
            sent_by=by,
            submission_key=data["submission_key"],
        )


def preview_emails(form, recipients):
    """The e-mail as a reader of each language will receive it, from real recipients."""
    message = form.unsaved_message()
    previews = []
    for language, label in settings.LANGUAGES:
        sample = next((r for r in recipients if r.preferred_language == language), recipients[0])
        # A copy whose secret personal link is a placeholder: the preview shows the organiser the
        # mail's shape, not a participant's private join link.
        sample = copy.copy(sample)
        sample.preferred_language = language
        sample.personal_token = "personal-link"
        email = emails.build_message(sample, message.kind, message=message)
        previews.append(
            {
                "language": label,
                "sample": sample,
                "subject": email.subject,
                "body": email.body,
                "attachments": [attachment.filename for attachment in email.attachments],
            }
        )
    return previews


def compose(request, model_admin, *, initial=None):
    """The composer's three steps on one URL: compose (GET), preview, then send (POST)."""
    form_url = reverse(f"admin:{Message._meta.app_label}_message_add")
    if request.method == "POST" and ACTION_CHECKBOX_NAME not in request.POST:
        form = ComposeForm(request.POST)
    else:
        form = ComposeForm(initial=initial)
    step = "compose"
    context = {}
    if form.is_bound and form.is_valid():
        recipients = list(form.recipients())
        if "_send" in request.POST:
            return _send(request, form, recipients)
        if "_edit" not in request.POST:
            step = "preview"
            context = {
                "recipients": recipients[:PREVIEW_RECIPIENTS],
                "more_recipients": max(len(recipients) - PREVIEW_RECIPIENTS, 0),
                "recipient_count": len(recipients),
                "audience": form.audience_description(),
                "previews": preview_emails(form, recipients),
            }
    opts = Message._meta
    return TemplateResponse(
        request,
        f"admin/registration/message/{step}.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "title": _("Preview the message") if step == "preview" else _("Write to registrants"),
            "form": form,
            "form_url": form_url,
            "media": model_admin.media + form.media,
            **context,
        },
    )


def _send(request, form, recipients):
    message = form.unsaved_message(by=request.user)
    try:
        message = services.send_message(message, recipients)
    except IntegrityError:
        # The same form sent twice (a double click, the back button): the first one stands.
        message = Message.objects.get(submission_key=message.submission_key)
        messages.warning(request, _("This message had already been sent; it was not sent again."))
    else:
        messages.success(
            request,
            ngettext(
                "The message is on its way to %(count)d person.",
                "The message is on its way to %(count)d people.",
                len(recipients),
            )
            % {"count": len(recipients)},
        )
    return redirect(reverse("admin:registration_message_change", args=[message.pk]))
