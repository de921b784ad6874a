"""
Registration workflows: lock the event, apply the model rules, and tell people after the commit.

The site's views, the admin actions and the management commands all call these functions, so a
registration changes the same way whoever changes it.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from . import emails
from .models import Consent, Registration, RegistrationError, lock_event

# Which e-mail a status tells the participant about.
MAIL_FOR_STATUS = {
    Registration.Status.CONFIRMED: emails.Kind.CONFIRMED,
    Registration.Status.WAITING_LIST: emails.Kind.WAITING_LIST,
    Registration.Status.PENDING_APPROVAL: emails.Kind.PENDING_APPROVAL,
    Registration.Status.DECLINED: emails.Kind.DECLINED,
    Registration.Status.CANCELLED: emails.Kind.CANCELLED,
}


def _tell_promoted(promoted):
    for registration in promoted:
        emails.send_after_commit(registration, emails.Kind.PROMOTED)


def register(*, event, user, details, photography_consent=False, sensitive_data_consent=False):
    """
    Register `user` for `event` with `details` (a dict of Registration fields), or renew a
    registration they cancelled. Returns the registration, confirmed, waiting or pending approval.
    """
    with transaction.atomic():
        event = lock_event(event.pk)
        if not event.is_registration_open():
            raise RegistrationError(event.registration_window().label)
        category = details["category"]
        mode = details["attendance_mode"]
        if category.event_id != event.pk or not category.is_active:
            raise RegistrationError(_("Choose one of the audience categories offered."))
        if not category.allows(mode):
            raise RegistrationError(
                _("The category “%(category)s” cannot attend this way.") % {"category": category}
            )
        registration = Registration.objects.filter(event=event, user=user).first()
        if registration and registration.is_active:
            raise RegistrationError(_("You are already registered for this meeting."))
        if registration and registration.status == Registration.Status.DECLINED:
            raise RegistrationError(
                _(
                    "The organisers declined your registration. Please write to them if this is a mistake."
                )
            )
        registration = registration or Registration(event=event, user=user)
        for field, value in details.items():
            setattr(registration, field, value)
        registration.email = user.email
        if not sensitive_data_consent:
            registration.dietary_needs = registration.accessibility_needs = ""
        registration.event = event
        registration.place(by=user)

        registration.record_consent(Consent.Purpose.PRIVACY_NOTICE, granted=True, user=user)
        registration.record_consent(
            Consent.Purpose.PHOTOGRAPHY, granted=photography_consent, user=user
        )
        if sensitive_data_consent:
            registration.record_consent(Consent.Purpose.SENSITIVE_DATA, granted=True, user=user)
        emails.send_after_commit(registration, MAIL_FOR_STATUS[registration.status])
    return registration


def _locked(registration):
    """Lock the registration's event and re-read the registration inside the same transaction."""
    lock_event(registration.event_id)
    return Registration.objects.select_related("event", "category").get(pk=registration.pk)


def cancel(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        promoted = registration.cancel(by=by)
        emails.send_after_commit(registration, emails.Kind.CANCELLED)
        _tell_promoted(promoted)
    return registration


def switch_mode(registration, mode, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        promoted = registration.switch_mode(mode, by=by)
        emails.send_after_commit(registration, MAIL_FOR_STATUS[registration.status])
        _tell_promoted(promoted)
    return registration


def approve(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        registration.approve(by=by)
        kind = emails.Kind.APPROVED if registration.is_confirmed else emails.Kind.WAITING_LIST
        emails.send_after_commit(registration, kind)
    return registration


def confirm(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        registration.confirm(by=by)
        emails.send_after_commit(registration, emails.Kind.CONFIRMED)
    return registration


def decline(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        promoted = registration.decline(by=by)
        emails.send_after_commit(registration, emails.Kind.DECLINED)
        _tell_promoted(promoted)
    return registration


def delete_account(user):
    """
    Erase a participant: their places go to the waiting lists, then their registrations, consents,
    history and account are deleted (the right of cancellation of Law 29733).
    """
    with transaction.atomic():
        for registration in Registration.objects.filter(user=user):
            if registration.is_active:
                registration = _locked(registration)
                _tell_promoted(registration.cancel(by=None))
            registration.delete()
        user.delete()
