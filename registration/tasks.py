"""
The tasks that send participants' mail through the mail queue (mailqueue): each builds its message
in the worker from what the database holds then (registration/emails.py builds it), sends it, and
on a failure the server may get over, queues the next attempt after a back-off.

Mail leaves only after the database has committed (`send_after_commit`): a failing mail server can
neither lose nor roll back a registration.
"""

import logging

from django.db import transaction
from django.utils import timezone

from mailqueue import mail_task, retry_later

from .emails import Kind, build_message

logger = logging.getLogger(__name__)


@mail_task
def send_registration_email(registration_id, kind, attempt=1):
    from .models import Registration

    registration = (
        Registration.objects.select_related("event", "category").filter(pk=registration_id).first()
    )
    if registration is None:
        return "gone"
    if kind == Kind.REMINDER and not registration.is_confirmed:
        # Cancelled between the reminder run and the sending: a reminder would mislead.
        return "no longer confirmed"
    try:
        build_message(registration, kind).send()
    except Exception as error:
        logger.exception(
            "Could not send the %s e-mail for registration %s (attempt %s)",
            kind,
            registration_id,
            attempt,
        )
        # The reminder's claim stays while a retry is queued: a `send_reminders` run meanwhile
        # must not send it a second time.
        retry_later(send_registration_email, (registration_id, kind), attempt=attempt, error=error)
        if kind == Kind.REMINDER:
            # Given up: release the claim so the next `send_reminders` run tries again.
            Registration.objects.filter(pk=registration_id).update(reminder_sent_at=None)
        raise
    return "sent"


def send_after_commit(registration, kind):
    """Queue the e-mail once the surrounding transaction has committed."""
    registration_id, kind = registration.pk, str(kind)
    # robust: a task queue that cannot even accept the job is logged, and the committed
    # registration's request still succeeds.
    transaction.on_commit(
        lambda: send_registration_email.enqueue(registration_id, kind), robust=True
    )


@mail_task
def send_message_delivery(delivery_id, attempt=1):
    """Send one recipient's copy of an organisers' message and record whether it left."""
    from .models import MessageDelivery

    delivery = (
        MessageDelivery.objects.select_related(
            "message", "registration__event", "registration__category"
        )
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "gone"
    if delivery.status == MessageDelivery.Status.SENT:
        return "already sent"
    deliveries = MessageDelivery.objects.filter(pk=delivery_id)
    try:
        email = build_message(
            delivery.registration, delivery.message.kind, message=delivery.message
        )
        email.to = [delivery.email]
        email.send()
    except Exception as error:
        logger.exception(
            "Could not send message %s to delivery %s", delivery.message_id, delivery_id
        )
        # Still queued while a retry waits; failed once the retries are spent.
        deliveries.update(error=repr(error)[:300])
        retry_later(send_message_delivery, (delivery_id,), attempt=attempt, error=error)
        deliveries.update(status=MessageDelivery.Status.FAILED)
        raise
    deliveries.update(status=MessageDelivery.Status.SENT, sent_at=timezone.now(), error="")
    return "sent"


def send_delivery_after_commit(delivery):
    """Queue one recipient's copy of an organisers' message once the transaction has committed."""
    delivery_id = delivery.pk
    transaction.on_commit(lambda: send_message_delivery.enqueue(delivery_id), robust=True)


@mail_task
def send_certificate(certificate_id, attempt=1):
    """E-mail a participant their certificate of participation, the PDF attached."""
    from .certificate_pdf import certificate_pdf
    from .emails import build_certificate_message
    from .models import Certificate

    certificate = (
        Certificate.objects.select_related("registration__event").filter(pk=certificate_id).first()
    )
    if certificate is None:
        return "gone"
    if certificate.is_revoked or certificate.registration.is_anonymised:
        return "revoked"
    try:
        build_certificate_message(certificate, certificate_pdf(certificate)).send()
    except Exception as error:
        logger.exception("Could not send certificate %s (attempt %s)", certificate_id, attempt)
        retry_later(send_certificate, (certificate_id,), attempt=attempt, error=error)
        # Given up: release the claim, so the organisers' next "send" tries this one again.
        Certificate.objects.filter(pk=certificate_id).update(emailed_at=None)
        raise
    return "sent"


def send_certificate_after_commit(certificate):
    certificate_id = certificate.pk
    transaction.on_commit(lambda: send_certificate.enqueue(certificate_id), robust=True)
