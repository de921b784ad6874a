"""
The check-in desk in Lima: find a participant, mark their arrival, undo a mistake.

Only people with the `registration.check_in_participants` permission reach these pages (the
"Check-in staff" group has that and nothing else; organisers have it too), and only with
two-factor authentication (forum/admin_access.py). The desk sees what checking people in needs and
no more (Law 29733): the confirmed in-person participants, found by at least a few letters of a
name or organisation or by their reference, a page at a time; of anyone else only that they are
not expected; dietary and accessibility needs only where the organisers ticked that the desk must
provide for them. Nothing here is cached.

A scanned QR code is the bare reference typed by the scanner into the search field, so one search
serves the keyboard, a USB scanner and a phone's scanner alike.
"""

import re
import unicodedata

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
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

from .models import REFERENCE_LENGTH, AttendanceMode, Registration, RegistrationError

CHECK_IN_PERMISSION = "registration.check_in_participants"
# A search lists people only once it holds a word this long: one or two letters matched nearly
# everyone, and a few dozen such searches listed the whole meeting.
MIN_WORD_LENGTH = 3
# A desk needs a short list: more matches than this go on further pages.
RESULTS_PER_PAGE = 20

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


def expected_at_the_desk(event):
    """The registrations the desk may show and check in: confirmed, in person, of `event`."""
    return (
        Registration.objects.for_event(event)
        .confirmed()
        .in_person()
        .select_related("category", "checked_in_by")
    )


def is_specific_enough(query):
    """Whether `query` names someone rather than a few letters most names contain."""
    return any(len(word) >= MIN_WORD_LENGTH for word in folded(query).split())


def find_registrations(event, query):
    """
    The participants the desk expects (expected_at_the_desk) matching every word of `query` in
    the name, organisation or reference, sorted by name; none while the query is too short to
    name anyone (is_specific_enough). Not by e-mail: the desk has no use for addresses, and a
    search by one would tell whoever types it whether that person registered.

    The words are compared without accents or case in Python: the portable databases we run on
    (SQLite, PostgreSQL without the unaccent extension) cannot, and an event has a few hundred
    registrations at most. A full reference (a scan) is looked up directly.
    """
    registrations = expected_at_the_desk(event)
    code = as_reference(query)
    if len(code) == REFERENCE_LENGTH:
        exact = registrations.filter(reference=code).first()
        if exact:
            return [exact]
    if not is_specific_enough(query):
        return []
    words = folded(query).split()
    matches = [
        registration
        for registration in registrations
        if all(word in _searchable(registration) for word in words)
    ]
    matches.sort(key=lambda registration: folded(registration.full_name))
    return matches


def is_reference_not_expected(event, query):
    """
    Whether `query` is the reference of a registration of `event` the desk does not expect
    (virtual, on the waiting list, pending, cancelled, declined). The desk says only that: whose
    it is and why are for the organisers.
    """
    code = as_reference(query)
    if len(code) != REFERENCE_LENGTH:
        return False
    return (
        Registration.objects.for_event(event)
        .filter(reference=code)
        .exclude(status=Registration.Status.CONFIRMED, attendance_mode=AttendanceMode.IN_PERSON)
        .exists()
    )


def _searchable(registration):
    return folded(
        " ".join(
            [
                registration.honorific,
                registration.full_name,
                registration.organisation,
                registration.reference,
            ]
        )
    )


def not_expected_message(reference):
    return _(
        "The registration %(reference)s is not confirmed for attending in person. The organisers "
        "can help this person."
    ) % {"reference": reference}


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
        expected = expected_at_the_desk(event)
        results = None
        if query:
            results = Paginator(find_registrations(event, query), RESULTS_PER_PAGE).get_page(
                self.request.GET.get("page")
            )
        # Right after a check-in or an undo: the person just handled, with the way back.
        just_handled = None
        if not query and self.request.GET.get("shown"):
            just_handled = expected.filter(reference=self.request.GET["shown"]).first()
        return super().get_context_data(
            event=event,
            form=SearchForm(),
            query=query,
            is_specific_enough=is_specific_enough(query),
            min_word_length=MIN_WORD_LENGTH,
            results=results,
            not_expected=(
                not_expected_message(as_reference(query))
                if query and is_reference_not_expected(event, query)
                else ""
            ),
            just_handled=just_handled,
            arrived_count=expected.filter(checked_in_at__isnull=False).count(),
            expected_count=expected.count(),
            **kwargs,
        )


def _back_to_desk(event_slug, reference):
    url = reverse("registration:check-in", kwargs={"event_slug": event_slug})
    return redirect(f"{url}?{urlencode({'shown': reference})}")


def _registration(event_slug, reference):
    """The registration the desk acts on: of that event, and 404 for a reference of nobody."""
    return get_object_or_404(
        Registration.objects.select_related("event"), event__slug=event_slug, reference=reference
    )


def _refuse_if_not_expected(request, registration):
    """
    A redirect back to the desk, saying only that the person is not expected, for a registration
    the desk does not see (expected_at_the_desk); None for one it may check in.
    """
    if registration.may_check_in:
        return None
    messages.error(request, not_expected_message(registration.reference))
    return redirect("registration:check-in", event_slug=registration.event.slug)


def _clock(registration):
    """The arrival time on the venue's clock, whatever the staff's browser says."""
    return f"{timezone.localtime(registration.checked_in_at, registration.event.zone):%H:%M}"


@never_cache
@login_required
@permission_required(CHECK_IN_PERMISSION, raise_exception=True)
@require_POST
def mark_arrived(request, event_slug, reference):
    registration = _registration(event_slug, reference)
    if refusal := _refuse_if_not_expected(request, registration):
        return refusal
    name = registration.full_name
    try:
        registration.check_in(by=request.user)
    except RegistrationError:
        if not registration.is_checked_in:
            # Cancelled or switched to online a moment ago.
            return _refuse_if_not_expected(request, registration)
        messages.warning(
            request,
            _("%(name)s was already marked as arrived at %(time)s.")
            % {"name": name, "time": _clock(registration)},
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
    if refusal := _refuse_if_not_expected(request, registration):
        return refusal
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
