"""
Registration workflows: lock the event, apply the model rules, and tell people after the commit.

The site's views, the admin actions and the management commands all call these functions, so a
registration changes the same way whoever changes it.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import emails, tasks
from .models import (
    Certificate,
    Consent,
    MessageDelivery,
    Registration,
    RegistrationError,
    StatusChange,
    lock_event,
    lock_places,
)

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
        tasks.send_after_commit(registration, emails.Kind.PROMOTED)


def register(*, event, user, details, photography_consent=False, sensitive_data_consent=False):
    """
    Register `user` for `event` with `details` (a dict of Registration fields), or renew a
    registration they cancelled. Returns the registration, confirmed, waiting or pending approval.
    """
    with transaction.atomic():
        registration_settings = lock_places(event.pk)
        if not registration_settings.is_open():
            raise RegistrationError(registration_settings.window().label)
        category = details["category"]
        mode = details["attendance_mode"]
        if category.event_id != event.pk or not category.is_active:
            raise RegistrationError(_("Choose one of the audience categories offered."))
        if not category.allows(mode):
            raise RegistrationError(
                _("The category “%(category)s” cannot attend this way.") % {"category": category}
            )
        registration = Registration.objects.of_participant(event, user)
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
        registration._registration_settings = registration_settings
        registration.place(by=user)

        decisions = {
            Consent.Purpose.PRIVACY_NOTICE: True,
            Consent.Purpose.PHOTOGRAPHY: photography_consent,
        }
        if sensitive_data_consent:
            decisions[Consent.Purpose.SENSITIVE_DATA] = True
        registration.record_consents(decisions, user=user)
        tasks.send_after_commit(registration, MAIL_FOR_STATUS[registration.status])
    return registration


def _locked(registration):
    """Lock the registration's event and re-read the registration inside the same transaction."""
    lock_event(registration.event_id)
    return Registration.objects.select_related("event", "category").get(pk=registration.pk)


def cancel(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        promoted = registration.cancel(by=by)
        tasks.send_after_commit(registration, emails.Kind.CANCELLED)
        _tell_promoted(promoted)
    return registration


def switch_mode(registration, mode, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        promoted = registration.switch_mode(mode, by=by)
        tasks.send_after_commit(registration, MAIL_FOR_STATUS[registration.status])
        _tell_promoted(promoted)
    return registration


def approve(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        registration.approve(by=by)
        kind = emails.Kind.APPROVED if registration.is_confirmed else emails.Kind.WAITING_LIST
        tasks.send_after_commit(registration, kind)
    return registration


def confirm(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        registration.confirm(by=by)
        tasks.send_after_commit(registration, emails.Kind.CONFIRMED)
    return registration


def decline(registration, *, by):
    with transaction.atomic():
        registration = _locked(registration)
        promoted = registration.decline(by=by)
        tasks.send_after_commit(registration, emails.Kind.DECLINED)
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


def send_message(message, recipients):
    """
    Save an organisers' `message` with one delivery per recipient and queue each e-mail after the
    commit. Returns the saved message; raises IntegrityError if a message with the same submission
    key was already sent (a second click on “Send”).
    """
    with transaction.atomic():
        message.save()
        deliveries = MessageDelivery.objects.bulk_create(
            MessageDelivery(
                message=message,
                registration=registration,
                email=registration.email,
                language=registration.preferred_language,
            )
            for registration in recipients
        )
        for delivery in deliveries:
            tasks.send_delivery_after_commit(delivery)
    return message


def save_details(form, *, by, language):
    """
    Save a participant's edited details (an EditDetailsForm) and the consents they gave or
    withdrew with them, as one change: a consent is never recorded for details that were not saved.
    """
    with transaction.atomic():
        registration = form.save()
        for purpose, granted in form.consent_changes().items():
            registration.record_consent(purpose, granted=granted, user=by, language=language)
    return registration


def withdraw_consent(registration, purpose, *, by, language):
    """
    Withdraw one of the consents a participant may take back with one click. Returns False when
    it was not given; withdrawing the sensitive-data consent erases that data.
    """
    if purpose not in Consent.WITHDRAWABLE:
        raise RegistrationError(_("This consent cannot be withdrawn here."))
    if not registration.has_consent(purpose):
        return False
    registration.record_consent(purpose, granted=False, user=by, language=language)
    return True


@dataclass(frozen=True)
class ReminderRun:
    """What one reminder run did for an event."""

    sent: int
    failed: int
    already_sent: int


def remind(event, *, now):
    """
    Send the day-before reminder to each of `event`'s confirmed participants who has not had it,
    each at most once (`send_reminder_once`). A mail that failed gave its claim back (see
    tasks.send_registration_email), so the next run retries it.
    """
    due = list(Registration.objects.for_event(event).awaiting_reminder())
    already = Registration.objects.for_event(event).confirmed().reminded().count()
    claimed = [registration.pk for registration in due if send_reminder_once(registration, now=now)]
    # With the immediate task backend each mail has been attempted by now.
    failed = Registration.objects.filter(pk__in=claimed, reminder_sent_at__isnull=True).count()
    return ReminderRun(
        sent=len(claimed) - failed, failed=failed, already_sent=already + len(due) - len(claimed)
    )


def anonymise_due(event, *, now, days):
    """
    Anonymise `event`'s registrations once `days` have passed since it ended (Law 29733's
    retention); returns how many were anonymised now, [] if the period is not over.
    """
    due = list(
        Registration.objects.for_event(event)
        .due_for_anonymisation(now, days)
        .order_by("created_at", "pk")
    )
    for registration in due:
        registration.anonymise()
    return due


def send_reminder_once(registration, *, now=None):
    """
    Claim the registration's reminder and send it after the commit; False if it was already sent.

    The claim is a conditional UPDATE: of two runs at the same moment, only one changes the row,
    so only one sends.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimed = (
            Registration.objects.confirmed()
            .filter(pk=registration.pk, reminder_sent_at__isnull=True)
            .update(reminder_sent_at=now)
        )
        if claimed:
            tasks.send_after_commit(registration, emails.Kind.REMINDER)
    return bool(claimed)


def personal_data(user):
    """
    Everything the site holds about `user`, as JSON-ready data: the right of access of Law 29733.
    The personal token is left out: a file that travels must not be a key to their links.
    """
    registrations = []
    for registration in (
        Registration.objects.filter(user=user)
        .select_related("event", "category", "certificate")
        .prefetch_related("status_changes", "consents")
    ):
        row = {
            field.name: field.value_from_object(registration)
            for field in Registration._meta.concrete_fields
            # The token is a credential, not data about the person: a file that travels must not
            # be a key to their calendar and join links.
            if field.name not in {"personal_token", "event", "category", "user"}
        }
        row["country"] = str(registration.country.code)
        row["event"] = {"slug": registration.event.slug, "title": registration.event.title}
        row["category"] = {"key": registration.category.key, "name": registration.category.name}
        row["status_history"] = [
            {
                "from": change.from_status,
                "to": change.to_status,
                "at": change.changed_at,
                "by_you": change.changed_by_id == user.pk,
                "action": change.action,
                "attendance_mode": change.attendance_mode,
            }
            for change in registration.status_changes.all()
        ]
        row["consents"] = [
            {
                "purpose": consent.purpose,
                "granted": consent.is_granted,
                "notice_version": consent.notice_version,
                "language": consent.language,
                "recorded_at": consent.recorded_at,
            }
            for consent in registration.consents.all()
        ]
        certificate = registration.existing_certificate
        row["certificate"] = (
            {
                "verification_url": certificate.verification_url(),
                "attendance_mode": certificate.attendance_mode,
                "issued_at": certificate.issued_at,
                "emailed_at": certificate.emailed_at,
                "revoked_at": certificate.revoked_at,
            }
            if certificate
            else None
        )
        registrations.append(row)
    return {
        "account": {
            "email": user.email,
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user)
            ],
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "registrations": registrations,
    }


# Attendance and certificates of participation -----------------------------------------------


@dataclass(frozen=True)
class CertificateRun:
    """What one "send the certificates" did for an event."""

    queued: int
    already_sent: int
    revoked: int


def send_certificates(event, *, by, now=None):
    """
    E-mail each attendee of `event` their certificate of participation, once: a certificate
    already sent (or queued) is not sent again however often the organisers ask, and a revoked
    one never is. Raises RegistrationError before the meeting has ended.
    """
    now = now or timezone.now()
    if now < event.ends_at:
        raise RegistrationError(
            _("Certificates can be sent once the meeting has ended, not before.")
        )
    queued = already_sent = revoked = 0
    attendees = (
        Registration.objects.for_event(event)
        .attended()
        .exclude(email="")
        .select_related("event", "certificate")
        .order_by("created_at", "pk")
    )
    for registration in attendees:
        with transaction.atomic():
            certificate = registration.existing_certificate
            if certificate is not None and certificate.is_revoked:
                revoked += 1
                continue
            certificate = registration.issue_certificate(now)
            if certificate.claim_sending(now):
                registration.record(StatusChange.Action.CERTIFICATE_SENT, by=by)
                tasks.send_certificate_after_commit(certificate)
                queued += 1
            else:
                already_sent += 1
    return CertificateRun(queued=queued, already_sent=already_sent, revoked=revoked)


def revoke_certificate(registration, *, by):
    """Revoke the registration's certificate (issuing it first, so its address says "revoked")."""
    certificate = registration.existing_certificate
    if certificate is None:
        if not registration.attended:
            raise RegistrationError(_("This person has no certificate: they did not attend."))
        certificate, _created = Certificate.objects.get_or_create(
            registration=registration, defaults={"attendance_mode": registration.attendance_mode}
        )
    certificate.revoke(by=by)
    return certificate


def mark_attendance(registration, attended, *, by):
    """An organiser marks (True) or takes back (False) a registration's attendance by hand."""
    with transaction.atomic():
        registration.mark_attendance(attended, by=by)
    return registration
