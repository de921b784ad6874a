"""
The participant's pages: register, then see and manage one's own registration.

Views are thin: a form validates, one call to services.py (or a model method) acts, a template
renders. Every page here shows personal data, so none may be stored by a cache (`never_cache`),
and every lookup goes through the signed-in person (event slug + request.user): another
participant's registration is never found, let alone shown.

The personal calendar feed and the join link are reached by their secret token alone, because
calendar applications and e-mail clients carry no session.
"""

import json

from allauth.account.decorators import verified_email_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import FormView, TemplateView, View

from agenda.calendars import CONTENT_TYPE, build_calendar, feed_addresses
from agenda.drawing import published_event_or_404

from . import ratelimits, services
from .calendars import personal_calendar
from .forms import DETAIL_FIELDS, DeleteAccountForm, EditDetailsForm, RegistrationForm
from .models import (
    AttendanceMode,
    Consent,
    Registration,
    RegistrationError,
    RegistrationSettings,
)

Status = Registration.Status

personal_page = method_decorator([never_cache, login_required], name="dispatch")


def own_registration(request, event_slug):
    """The signed-in person's registration for the event, or 404: never anyone else's."""
    return get_object_or_404(
        Registration.objects.select_related("event", "category"),
        event__slug=event_slug,
        user=request.user,
    )


def status_message(registration):
    """What a participant's status means for them, with the reference they will be asked for."""
    reference = registration.reference
    if registration.status == Status.CONFIRMED:
        return _("Your registration is confirmed. Your reference is %(reference)s.") % {
            "reference": reference
        }
    if registration.status == Status.WAITING_LIST:
        return _(
            "All places of this kind are taken: you are number %(position)d on the waiting list, "
            "and we will write to you as soon as a place is yours. Your reference is %(reference)s."
        ) % {"position": registration.waiting_position(), "reference": reference}
    if registration.status == Status.PENDING_APPROVAL:
        return _(
            "Your registration was received and awaits the organisers' approval; we will write to "
            "you. Your reference is %(reference)s."
        ) % {"reference": reference}
    return _("Your registration is no longer active. Your reference is %(reference)s.") % {
        "reference": reference
    }


def places_notices(registration_settings):
    """Honest availability per attendance mode, as the registration page states it."""
    notices = []
    for mode in AttendanceMode:
        left = registration_settings.places_left(mode)
        if mode == AttendanceMode.IN_PERSON:
            if left:
                text = ngettext(
                    "%(count)d in-person place remains.", "%(count)d in-person places remain.", left
                )
            else:
                text = _(
                    "In-person places are taken: new in-person registrations go to the waiting list."
                )
        elif left is None:
            text = _("Virtual places are not limited.")
        elif left:
            text = ngettext(
                "%(count)d virtual place remains.", "%(count)d virtual places remain.", left
            )
        else:
            text = _("Virtual places are taken: new virtual registrations go to the waiting list.")
        notices.append({"mode": mode, "is_full": left == 0, "text": text % {"count": left or 0}})
    return notices


@method_decorator([never_cache, verified_email_required], name="dispatch")
@ratelimits.rate_limited_view(ratelimits.REGISTER)
class RegisterView(FormView):
    template_name = "registration/register.html"
    form_class = RegistrationForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # The event as the public pages read it, once per state of the agenda (agenda/drawing.py);
        # its settings too, which are part of that state. Placing a registration reads them
        # again under the event's lock (services.register).
        self.event = published_event_or_404(request, kwargs["event_slug"])
        self.registration_settings = RegistrationSettings.objects.for_event(self.event)

    def dispatch(self, request, *args, **kwargs):
        self.previous = Registration.objects.of_participant(self.event, request.user)
        if self.previous and self.previous.is_active:
            messages.info(request, _("You are already registered for this meeting."))
            return redirect(self.previous)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        declined = self.previous and self.previous.status == Status.DECLINED
        if declined or not self.registration_settings.is_open():
            # No form: the person could not send it. The page says why instead.
            return self.render_to_response(self.get_context_data(form=None, declined=declined))
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": self.event}

    def get_initial(self):
        # Someone who cancelled and registers again finds what they had entered.
        previous = self.previous
        if previous is None:
            return {}
        names = ["attendance_mode", "category", *DETAIL_FIELDS]
        return {name: getattr(previous, name) for name in names}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            event=self.event,
            nav_section="registration",
            registration_settings=self.registration_settings,
            window=self.registration_settings.window(),
            places=places_notices(self.registration_settings),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            registration = services.register(
                event=self.event,
                user=self.request.user,
                details=form.details(),
                photography_consent=form.cleaned_data["photography_consent"],
                sensitive_data_consent=form.cleaned_data["sensitive_data_consent"],
            )
        except RegistrationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, status_message(registration))
        return redirect(registration)


class OwnRegistrationMixin:
    """A page about the signed-in person's own registration for the event in the URL."""

    def get_registration(self):
        if not hasattr(self, "registration"):
            self.registration = own_registration(self.request, self.kwargs["event_slug"])
        return self.registration

    def get_context_data(self, **kwargs):
        registration = self.get_registration()
        return super().get_context_data(
            registration=registration,
            event=registration.event,
            nav_section="registration",
            **kwargs,
        )

    def back_to_registration(self):
        return redirect(self.get_registration())


def personal_links(request, registration):
    feed = reverse("registration:personal-feed", kwargs={"token": registration.personal_token})
    join = reverse("registration:join", kwargs={"token": registration.personal_token})
    return {
        **feed_addresses(feed),
        "join_url": settings.SITE_URL + join,
    }


@personal_page
class MyRegistrationView(OwnRegistrationMixin, TemplateView):
    template_name = "registration/my_registration.html"

    def get(self, request, *args, **kwargs):
        self.registration = (
            Registration.objects.select_related("event", "category")
            .filter(event__slug=kwargs["event_slug"], user=request.user)
            .first()
        )
        if self.registration is None:
            # The site's menu links here for everyone: who has not registered yet is offered to.
            return redirect("registration:register", event_slug=kwargs["event_slug"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        registration = self.get_registration()
        in_force = registration.consents_in_force()
        consents = [
            {
                "purpose": purpose,
                "label": label,
                "record": in_force.get(purpose),
                "is_granted": bool(in_force.get(purpose) and in_force[purpose].is_granted),
                "may_withdraw": purpose in Consent.WITHDRAWABLE,
            }
            for purpose, label in Consent.Purpose.choices
        ]
        other_mode = next(mode for mode in AttendanceMode if mode != registration.attendance_mode)
        return super().get_context_data(
            consents=consents,
            waiting_position=registration.waiting_position(),
            links=personal_links(self.request, registration),
            other_mode=other_mode,
            may_switch=registration.is_active and registration.category.allows(other_mode),
            **kwargs,
        )


@personal_page
class EditDetailsView(OwnRegistrationMixin, FormView):
    template_name = "registration/edit.html"
    form_class = EditDetailsForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_registration()}

    def form_valid(self, form):
        services.save_details(form, by=self.request.user, language=get_language())
        messages.success(self.request, _("Your details are saved."))
        return self.back_to_registration()


@personal_page
@ratelimits.rate_limited_view(ratelimits.SWITCH_MODE)
class SwitchModeView(OwnRegistrationMixin, TemplateView):
    """Switching is confirmed on a page that says first what it will cost (a place, a queue)."""

    template_name = "registration/switch_mode.html"

    def get_context_data(self, **kwargs):
        registration = self.get_registration()
        target = next(mode for mode in AttendanceMode if mode != registration.attendance_mode)
        return super().get_context_data(
            target_mode=target,
            is_allowed=registration.category.allows(target),
            would_wait=registration.status != Status.PENDING_APPROVAL
            and registration.would_wait_in(target),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        registration = self.get_registration()
        mode = request.POST.get("mode")
        if mode not in AttendanceMode.values:
            messages.error(request, _("Choose how you want to take part."))
            return redirect("registration:switch-mode", event_slug=registration.event.slug)
        if mode == registration.attendance_mode:
            messages.info(request, _("You already take part this way."))
            return self.back_to_registration()
        try:
            registration = services.switch_mode(registration, mode, by=request.user)
        except RegistrationError as error:
            messages.error(request, str(error))
            return self.back_to_registration()
        messages.success(
            request,
            _("You now take part: %(mode)s.") % {"mode": registration.get_attendance_mode_display()}
            + " "
            + status_message(registration),
        )
        return self.back_to_registration()


@personal_page
@ratelimits.rate_limited_view(ratelimits.CANCEL)
class CancelView(OwnRegistrationMixin, TemplateView):
    template_name = "registration/cancel.html"

    def get(self, request, *args, **kwargs):
        if not self.get_registration().is_active:
            messages.info(request, _("This registration is already cancelled."))
            return self.back_to_registration()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            services.cancel(self.get_registration(), by=request.user)
        except RegistrationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Your registration is cancelled. We are sending you a confirmation by e-mail."),
            )
        return self.back_to_registration()


@personal_page
@ratelimits.rate_limited_view(ratelimits.RENEW_LINK)
class RenewTokenView(OwnRegistrationMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.get_registration().renew_personal_token()
        messages.success(
            request,
            _(
                "Your personal links are renewed: the old calendar subscription and join links no "
                "longer work. Subscribe again with the new link below."
            ),
        )
        return self.back_to_registration()


@personal_page
class WithdrawConsentView(OwnRegistrationMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        purpose = kwargs["purpose"]
        try:
            withdrawn = services.withdraw_consent(
                self.get_registration(), purpose, by=request.user, language=get_language()
            )
        except RegistrationError as error:
            messages.error(request, str(error))
            return self.back_to_registration()
        if not withdrawn:
            messages.info(request, _("You had not given this consent."))
            return self.back_to_registration()
        if purpose == Consent.Purpose.SENSITIVE_DATA:
            text = _(
                "Your consent is withdrawn, and your dietary and accessibility needs are erased."
            )
        else:
            text = _("Your consent to photographs and recording is withdrawn.")
        messages.success(request, text)
        return self.back_to_registration()


def _calendar_response(calendar, filename, *, as_attachment):
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    return response


def _base_url(request):
    # The configured address, never the request's Host (agenda.calendars.feed_addresses says why).
    return settings.SITE_URL


@never_cache
@login_required
@require_safe
def personal_calendar_download(request, event_slug):
    """The participant's own calendar, to import once (the join link only if confirmed virtual)."""
    registration = own_registration(request, event_slug)
    calendar = personal_calendar(registration, base_url=_base_url(request))
    return _calendar_response(
        calendar, f"{registration.event.slug}-{registration.reference}.ics", as_attachment=True
    )


@never_cache
@require_safe
def personal_feed(request, token):
    """
    The personal calendar for subscription, reached by its secret token (calendar applications
    carry no session). Once the registration is cancelled or declined the feed is empty, so a
    subscribed calendar drops the meeting instead of keeping a place the person no longer has.
    """
    registration = get_object_or_404(
        Registration.objects.select_related("event"), personal_token=token
    )
    base_url = _base_url(request)
    if registration.is_active:
        calendar = personal_calendar(registration, base_url=base_url, subscription=True)
    else:
        calendar = build_calendar(registration.event, [], base_url=base_url, subscription=True)
    return _calendar_response(calendar, f"{registration.event.slug}.ics", as_attachment=False)


@never_cache
@require_safe
def join_online(request, token):
    """
    The personal redirect to the virtual room: checked at each click, so cancelling or switching
    to in person revokes it, and the organisers may change the room's address at any time.
    """
    registration = Registration.objects.select_related("event").filter(personal_token=token).first()
    if registration is None:
        status, reason = (
            404,
            _(
                "This link to join is not valid. It may have been replaced by a newer one: your "
                "current link is on your registration page."
            ),
        )
    else:
        status, reason = registration.join_refusal()
    if status is None:
        # Online attendance, for the certificate and the organisers' figures: when, never who from.
        registration.record_online_join()
        return HttpResponseRedirect(registration.event.virtual_join_url)
    context = {
        "reason": reason,
        "event": registration.event if registration else None,
    }
    return render(request, "registration/join_refused.html", context, status=status)


@never_cache
@login_required
@require_safe
def export_my_data(request):
    """Everything we hold about the signed-in person, as JSON (the right of access, Law 29733)."""
    body = json.dumps(
        services.personal_data(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "my-data.json")
    return response


@personal_page
@ratelimits.rate_limited_view(ratelimits.DELETE_ACCOUNT)
class DeleteAccountView(FormView):
    template_name = "registration/delete_account.html"
    form_class = DeleteAccountForm

    def get_context_data(self, **kwargs):
        registrations = Registration.objects.filter(user=self.request.user).select_related("event")
        return super().get_context_data(registrations=registrations, **kwargs)

    def form_valid(self, form):
        user = self.request.user
        services.delete_account(user)
        logout(self.request)
        # Answered here rather than by a message on the home page: public pages do not read the
        # session, so a message would wait there until some later personal page.
        return render(self.request, "registration/account_deleted.html")
