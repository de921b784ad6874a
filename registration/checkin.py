"""
The check-in desk in Lima: find a participant, mark their arrival, undo a mistake.

Only people with the `registration.check_in_participants` permission reach these pages (the
"Check-in staff" group has that and nothing else; organisers have it too). The pages show
personal and sensitive data (dietary and accessibility needs), so nothing here is cached.

A scanned QR code is the bare reference typed by the scanner into the search field, so one search
serves the keyboard, a USB scanner and a phone's scanner alike.
"""

import re
import unicodedata

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from agenda.models import Event

from .models import REFERENCE_LENGTH, Registration, RegistrationError

CHECK_IN_PERMISSION = "registration.check_in_participants"
# A desk needs a short list: more matches than this ask for a longer search.
MAX_RESULTS = 20

check_in_staff_only = [
    never_cache,
    login_required,
    permission_required(CHECK_IN_PERMISSION, raise_exception=True),
]


def folded(text):
    """Lower case without accents: “Pérez” and “PEREZ” match, as a desk clerk types them."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def as_reference(text):
    """The reference a scanner or a person typed, ignoring spaces, dashes and case."""
    return re.sub(r"[\s-]", "", text or "").upper()


def find_registrations(event, query):
    """
    Registrations of `event` matching every word of `query` in the name, organisation, e-mail or
    reference, whatever their status: the desk must also see who is *not* expected.

    The words are compared without accents or case in Python: the portable databases we run on
    (SQLite, PostgreSQL without the unaccent extension) cannot, and an event has a few hundred
    registrations at most. A full reference (a scan) is looked up directly.
    """
    registrations = Registration.objects.for_event(event).select_related(
        "category", "checked_in_by"
    )
    code = as_reference(query)
    if len(code) == REFERENCE_LENGTH:
        exact = registrations.filter(reference=code).first()
        if exact:
            return [exact]
    words = folded(query).split()
    if not words:
        return []
    matches = []
    for registration in registrations:
        text = _searchable(registration)
        if all(word in text for word in words):
            matches.append(registration)
    # Who can be checked in first, then by name.
    matches.sort(
        key=lambda registration: (not registration.may_check_in, folded(registration.full_name))
    )
    return matches


def _searchable(registration):
    return folded(
        " ".join(
            [
                registration.honorific,
                registration.full_name,
                registration.organisation,
                registration.email,
                registration.reference,
            ]
        )
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Name, organisation or reference"),
        help_text=gettext_lazy("Type, or scan the QR code of the participant's confirmation."),
        max_length=200,
        required=False,
    )


@method_decorator(check_in_staff_only, name="dispatch")
class CheckInView(TemplateView):
    """The desk's page: a search field, the matching registrations, and who has arrived so far."""

    template_name = "registration/checkin/search.html"

    def get_context_data(self, **kwargs):
        event = get_object_or_404(Event, slug=self.kwargs["event_slug"])
        form = SearchForm(self.request.GET)
        query = form.cleaned_data["q"].strip() if form.is_valid() else ""
        results = find_registrations(event, query) if query else []
        # Right after a check-in or an undo: the person just handled, with the way back.
        just_handled = None
        if not query and self.request.GET.get("shown"):
            just_handled = (
                Registration.objects.for_event(event)
                .select_related("category", "checked_in_by")
                .filter(reference=self.request.GET["shown"])
                .first()
            )
        expected = Registration.objects.for_event(event).confirmed().in_person()
        return super().get_context_data(
            event=event,
            form=SearchForm(),
            query=query,
            results=results[:MAX_RESULTS],
            more_results=max(len(results) - MAX_RESULTS, 0),
            just_handled=just_handled,
            arrived_count=expected.filter(checked_in_at__isnull=False).count(),
            expected_count=expected.count(),
            **kwargs,
        )


def _back_to_desk(event_slug, reference):
    url = reverse("registration:check-in", kwargs={"event_slug": event_slug})
    return redirect(f"{url}?{urlencode({'shown': reference})}")


def _registration(event_slug, reference):
    return get_object_or_404(
        Registration.objects.select_related("event"), event__slug=event_slug, reference=reference
    )


def _clock(registration):
    """The arrival time on the venue's clock, whatever the staff's browser says."""
    return f"{timezone.localtime(registration.checked_in_at, registration.event.zone):%H:%M}"


@never_cache
@login_required
@permission_required(CHECK_IN_PERMISSION, raise_exception=True)
@require_POST
def mark_arrived(request, event_slug, reference):
    registration = _registration(event_slug, reference)
    name = registration.full_name
    try:
        registration.check_in(by=request.user)
    except RegistrationError as refusal:
        if registration.is_checked_in:
            messages.warning(
                request,
                _("%(name)s was already marked as arrived at %(time)s.")
                % {"name": name, "time": _clock(registration)},
            )
        else:
            messages.error(
                request,
                _("%(name)s cannot be checked in. %(reason)s") % {"name": name, "reason": refusal},
            )
    else:
        messages.success(
            request,
            _("%(name)s is marked as arrived at %(time)s.")
            % {"name": name, "time": _clock(registration)},
        )
    return _back_to_desk(event_slug, reference)


@never_cache
@login_required
@permission_required(CHECK_IN_PERMISSION, raise_exception=True)
@require_POST
def undo_arrival(request, event_slug, reference):
    registration = _registration(event_slug, reference)
    try:
        registration.undo_check_in(by=request.user)
    except RegistrationError as refusal:
        messages.warning(request, str(refusal))
    else:
        messages.success(
            request,
            _("The arrival of %(name)s was undone.") % {"name": registration.full_name},
        )
    return _back_to_desk(event_slug, reference)
