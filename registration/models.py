"""
Participants' registrations for an event, with the seat accounting that decides who is confirmed.

Every rule about places lives here: a registration is confirmed only while its attendance mode has
room, otherwise it waits in arrival order; freeing a place promotes the first in line. Callers hold
the event's lock (Event row, `select_for_update`) around any change, so two requests never count
the same free seat — see `lock_event`.
"""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_tasks_db.models import DBTaskResult

from agenda import timezones
from agenda.models import Event

# Unambiguous letters and digits (no 0/O, 1/I/L): a reference is read aloud at a desk in Lima.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8


def new_reference():
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_personal_token():
    return secrets.token_urlsafe(24)


# Long enough for any language tag settings.LANGUAGES may hold ("pt-br", "zh-hans").
LANGUAGE_CODE_LENGTH = 10


def language_choices():
    """
    The site's languages, from settings.LANGUAGES: a language added there is offered at once,
    with no migration (a callable, which migrations record by name, not by its values).
    """
    return settings.LANGUAGES


def default_language():
    return settings.LANGUAGE_CODE


class AttendanceMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person in Lima")
    VIRTUAL = "virtual", _("Virtual")


def lock_event(event_id):
    """
    Take the event's row lock for the rest of the transaction.

    On PostgreSQL this is SELECT … FOR UPDATE: concurrent registrations for the same event queue
    here, so counting places and inserting happen as one step. SQLite ignores FOR UPDATE, but the
    settings open every transaction with BEGIN IMMEDIATE, which serialises writers the same way.
    """
    return Event.objects.select_for_update().get(pk=event_id)


def lock_places(event_id):
    """
    Take the event's lock (as lock_event) and return its RegistrationSettings read under it, in
    one query: what placing a registration needs. Only the event's row is locked (`of`), and of
    it only the id is read; the caller keeps the event it already has.
    """
    locked = (
        Event.objects.select_for_update(of=("self",))
        .select_related("registration_settings")
        .only("pk", "registration_settings")
        .get(pk=event_id)
    )
    return RegistrationSettings.objects.for_event(locked)


class AudienceCategory(models.Model):
    """Who a participant comes as; decides the modes they may choose and whether approval is needed."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), related_name="audience_categories", on_delete=models.CASCADE
    )
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    allows_in_person = models.BooleanField(_("may attend in person"), default=True)
    allows_virtual = models.BooleanField(_("may attend virtually"), default=True)
    needs_approval = models.BooleanField(
        _("needs organisers' approval"),
        default=False,
        help_text=_("Registrations in this category wait for an organiser to approve them."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["event", "order", "pk"]
        verbose_name = _("audience category")
        verbose_name_plural = _("audience categories")
        constraints = [
            models.UniqueConstraint(fields=["event", "key"], name="category_key_unique_per_event")
        ]

    def __str__(self):
        return self.name

    @property
    def allowed_modes(self):
        modes = []
        if self.allows_in_person:
            modes.append(AttendanceMode.IN_PERSON)
        if self.allows_virtual:
            modes.append(AttendanceMode.VIRTUAL)
        return modes

    def allows(self, mode):
        return mode in self.allowed_modes


# The join link counts as attendance from this long before the start (people test their sound)
# until the end of the meeting; a click the week before or the day after does not.
ONLINE_ATTENDANCE_OPENS_BEFORE = datetime.timedelta(minutes=30)

# Who attended, as Registration.attended decides it: an organiser's decision by hand when there is
# one, otherwise an arrival recorded at the desk or a use of the join link during the meeting.
ATTENDED = Q(attendance_marked=True) | (
    Q(attendance_marked__isnull=True)
    & (Q(checked_in_at__isnull=False) | Q(joined_online_first_at__isnull=False))
)


class RegistrationQuerySet(models.QuerySet):
    def for_event(self, event):
        return self.filter(event=event)

    def of_participant(self, event, user):
        """
        The person's registration for the event, or None. At most one exists (a constraint
        says so), so no ordering: the default one would join the event table for nothing.
        """
        return self.filter(event=event, user=user).order_by().first()

    def confirmed(self):
        return self.filter(status=Registration.Status.CONFIRMED)

    def waiting(self):
        return self.filter(status=Registration.Status.WAITING_LIST)

    def pending_approval(self):
        return self.filter(status=Registration.Status.PENDING_APPROVAL)

    def active(self):
        """Registrations that still hold or wait for a place."""
        return self.filter(status__in=Registration.ACTIVE_STATUSES)

    def holds_registration(self, user, event):
        """
        Whether `user` registered for `event` and neither cancelled nor was declined (confirmed,
        waiting or pending approval): who may download the meeting's participants-only materials.
        """
        return (
            user.is_authenticated
            and self.filter(event=event, user=user)
            .exclude(status__in=[Registration.Status.CANCELLED, Registration.Status.DECLINED])
            .exists()
        )

    def in_person(self):
        return self.filter(attendance_mode=AttendanceMode.IN_PERSON)

    def virtual(self):
        return self.filter(attendance_mode=AttendanceMode.VIRTUAL)

    def in_mode(self, mode):
        return self.filter(attendance_mode=mode)

    def audience(self, *, registrations=None, statuses=None, modes=None, categories=None):
        """
        The registrations an organisers' message goes to, in name order: the ones ticked in the
        list, or those with one of `statuses` and `modes` (and of `categories`, if any given).
        """
        if registrations:
            audience = self.filter(pk__in=[registration.pk for registration in registrations])
        else:
            audience = self.filter(status__in=statuses or [], attendance_mode__in=modes or [])
            if categories:
                audience = audience.filter(category__in=categories)
        return audience.select_related("event", "category").order_by("full_name", "pk")

    def in_waiting_order(self):
        """The waiting list in arrival order: who joined it first is promoted first."""
        return self.waiting().order_by("queued_at", "pk")

    def counts_by_mode(self):
        """{mode: {"confirmed": n, "waiting": n}} in one query."""
        rows = self.values("attendance_mode").annotate(
            confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            waiting=Count("pk", filter=Q(status=Registration.Status.WAITING_LIST)),
        )
        counts = {mode: {"confirmed": 0, "waiting": 0} for mode in AttendanceMode.values}
        for row in rows:
            counts[row["attendance_mode"]] = {
                "confirmed": row["confirmed"],
                "waiting": row["waiting"],
            }
        return counts

    def attended(self):
        """Registrations of people who attended, in person or online (see Registration.attended)."""
        return self.filter(ATTENDED)

    def attendance_by_mode(self):
        """
        {mode: {"registered": n, "confirmed": n, "attended": n}} in one query. Registered counts
        the registrations still active (neither cancelled nor declined).
        """
        rows = self.values("attendance_mode").annotate(
            registered=Count("pk", filter=Q(status__in=Registration.ACTIVE_STATUSES)),
            confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            attended=Count("pk", filter=ATTENDED),
        )
        counts = {
            mode: {"registered": 0, "confirmed": 0, "attended": 0} for mode in AttendanceMode.values
        }
        for row in rows.order_by():
            counts[row["attendance_mode"]] = {
                "registered": row["registered"],
                "confirmed": row["confirmed"],
                "attended": row["attended"],
            }
        return counts

    def awaiting_reminder(self):
        """Confirmed registrations whose day-before reminder has not been sent, in arrival order."""
        return (
            self.confirmed()
            .filter(reminder_sent_at__isnull=True)
            .select_related("event", "category")
            .order_by("created_at", "pk")
        )

    def reminded(self):
        return self.filter(reminder_sent_at__isnull=False)

    def anonymised(self):
        """Registrations whose personal data is erased: no one's address, no one's account."""
        return self.filter(email="", user__isnull=True)

    def due_for_anonymisation(self, now, days):
        """
        Registrations of events that ended more than `days` days before `now`, not yet anonymised.

        Retention runs from the end of the event, so here the clock is compared with the event's
        end; registration never does.
        """
        cutoff = now - datetime.timedelta(days=days)
        return self.filter(event__ends_at__lt=cutoff).exclude(email="", user__isnull=True)


class RegistrationSettingsQuerySet(models.QuerySet):
    def for_event(self, event):
        """
        The event's settings; an event whose settings were never saved gets the defaults
        (registration closed, no in-person places), unsaved, so reading never writes.
        """
        if isinstance(event, Event):
            # One query, or none where the event was read with select_related.
            try:
                return event.registration_settings
            except RegistrationSettings.DoesNotExist:
                return self.model(event=event)
        return self.filter(event_id=event).first() or self.model(event_id=event)


class RegistrationSettings(models.Model):
    """
    How an event takes registrations: the window organisers open, and the places per attendance
    mode. The one object that answers "how many places are left", and the only code that counts
    them, promotes from the waiting lists, or tells whether registration is open.

    The window is compared with the clock, never with the meeting's own date: registration follows
    only what organisers set here.
    """

    class Window(models.TextChoices):
        NOT_SET = "not_set", _("Registration has not been opened yet.")
        NOT_YET_OPEN = "not_yet_open", _("Registration has not opened yet.")
        OPEN = "open", _("Registration is open.")
        CLOSED = "closed", _("Registration is closed.")

    event = models.OneToOneField(
        Event,
        verbose_name=_("event"),
        related_name="registration_settings",
        on_delete=models.CASCADE,
    )
    opens_at = models.DateTimeField(
        _("registration opens at"),
        null=True,
        blank=True,
        help_text=_("Leave both dates empty to keep registration closed."),
    )
    closes_at = models.DateTimeField(_("registration closes at"), null=True, blank=True)
    in_person_places = models.PositiveIntegerField(
        _("in-person places"), default=0, help_text=_("Seats in the room in Lima.")
    )
    virtual_places = models.PositiveIntegerField(
        _("virtual places"),
        null=True,
        blank=True,
        help_text=_("The virtual platform's limit. Leave empty for no limit."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RegistrationSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration settings")
        verbose_name_plural = _("registration settings")

    def __str__(self):
        return gettext("Registration settings")

    def clean(self):
        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("Registration must close after it opens.")})

    # The window ---------------------------------------------------------------------------------

    def window(self, now=None):
        """Where the registration window stands at `now` (default: the current instant)."""
        now = now or timezone.now()
        if self.opens_at is None and self.closes_at is None:
            return self.Window.NOT_SET
        if self.opens_at and now < self.opens_at:
            return self.Window.NOT_YET_OPEN
        if self.closes_at and now >= self.closes_at:
            return self.Window.CLOSED
        return self.Window.OPEN

    @property
    def current_window(self):
        return self.window()

    def is_open(self, now=None):
        return self.window(now) == self.Window.OPEN

    @property
    def has_window(self):
        return bool(self.opens_at or self.closes_at)

    # Places -------------------------------------------------------------------------------------

    def capacity_for(self, mode):
        """Places for an attendance mode; None means no limit."""
        if mode == AttendanceMode.IN_PERSON:
            return self.in_person_places
        return self.virtual_places

    def left_after(self, mode, confirmed):
        """Places of `mode` still free once `confirmed` people hold one; None: no limit."""
        capacity = self.capacity_for(mode)
        if capacity is None:
            return None
        return max(capacity - confirmed, 0)

    def places_left(self, mode):
        """Free places for a mode right now; None when the mode has no limit."""
        if self.capacity_for(mode) is None:
            return None
        confirmed = Registration.objects.for_event(self.event_id).confirmed().in_mode(mode).count()
        return self.left_after(mode, confirmed)

    def is_full(self, mode):
        """Whether a new registration in `mode` would wait (the mode has a limit, and it is met)."""
        left = self.places_left(mode)
        return left is not None and left <= 0

    def promote_waiting(self, mode, *, by=None):
        """
        Confirm people from the mode's waiting list, first come first served, while places are
        free; returns those promoted. Callers hold lock_event().
        """
        promoted = []
        left = self.places_left(mode)
        queue = Registration.objects.for_event(self.event_id).in_mode(mode).in_waiting_order()
        for registration in queue.select_related("event", "category"):
            if left is not None and left <= 0:
                break
            registration._set_status(
                Registration.Status.CONFIRMED, by=by, action=StatusChange.Action.PROMOTED
            )
            promoted.append(registration)
            if left is not None:
                left -= 1
        return promoted

    promote_waiting.alters_data = True


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITING_LIST = "waiting_list", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled by the participant")
        DECLINED = "declined", _("Declined by the organisers")

    ACTIVE_STATUSES = (Status.PENDING_APPROVAL, Status.CONFIRMED, Status.WAITING_LIST)

    event = models.ForeignKey(
        Event, verbose_name=_("event"), related_name="registrations", on_delete=models.PROTECT
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        related_name="registrations",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    reference = models.CharField(
        _("reference"),
        max_length=REFERENCE_LENGTH,
        unique=True,
        default=new_reference,
        editable=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_APPROVAL
    )
    attendance_mode = models.CharField(
        _("attendance"), max_length=20, choices=AttendanceMode.choices
    )
    category = models.ForeignKey(
        AudienceCategory,
        verbose_name=_("audience category"),
        related_name="registrations",
        on_delete=models.PROTECT,
    )
    honorific = models.CharField(_("honorific"), max_length=60, blank=True)
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    position = models.CharField(_("position"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200)
    country = CountryField(_("country"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=LANGUAGE_CODE_LENGTH,
        choices=language_choices,
        default=default_language,
    )
    # Sensitive data under Peru's Law 29733 (health, religion): kept only behind its own consent.
    dietary_needs = models.TextField(_("dietary needs"), blank=True)
    accessibility_needs = models.TextField(_("accessibility needs"), blank=True)
    # The desk sees the needs only where the organisers decided it must act on them (a meal to hand
    # over, a seat to show): Law 29733 allows showing only what the purpose needs.
    needs_shown_at_check_in = models.BooleanField(
        _("needs shown at the check-in desk"),
        default=False,
        help_text=_(
            "Tick if the check-in staff must see this person's dietary and accessibility needs to "
            "provide for them on arrival. Otherwise the desk does not show them."
        ),
    )
    # When the registration joined its current waiting list: the list's order.
    queued_at = models.DateTimeField(_("joined the waiting list at"), null=True, blank=True)
    personal_token = models.CharField(
        _("personal calendar token"),
        max_length=64,
        unique=True,
        default=new_personal_token,
        editable=False,
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    # Arrival at the venue in Lima, recorded by check-in staff on the day.
    checked_in_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # Online attendance: when the personal join link was used inside the attendance window
    # (ONLINE_ATTENDANCE_OPENS_BEFORE the start to the end), and how often. Nothing else about the
    # visit (no address, no browser) is kept: Law 29733 allows only what the purpose needs.
    joined_online_first_at = models.DateTimeField(
        _("first joined online at"), null=True, blank=True
    )
    joined_online_last_at = models.DateTimeField(_("last joined online at"), null=True, blank=True)
    online_join_count = models.PositiveIntegerField(_("times joined online"), default=0)
    # An organiser's decision overrides the records above: True marks attendance by hand (say, a
    # participant who signed the paper sheet), False takes it back; None follows the records.
    attendance_marked = models.BooleanField(_("attendance marked by hand"), null=True, blank=True)
    attendance_marked_at = models.DateTimeField(_("attendance marked at"), null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendance marked by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["event", "created_at"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"], name="one_registration_per_participant_and_event"
            )
        ]
        indexes = [models.Index(fields=["event", "attendance_mode", "status", "queued_at"])]
        permissions = [("check_in_participants", _("Can check in participants at the venue"))]

    def __str__(self):
        return f"{self.reference} – {self.full_name}"

    def get_absolute_url(self):
        return reverse("registration:my-registration", kwargs={"event_slug": self.event.slug})

    # Questions -----------------------------------------------------------------------------

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_confirmed(self):
        return self.status == self.Status.CONFIRMED

    @property
    def is_in_person(self):
        return self.attendance_mode == AttendanceMode.IN_PERSON

    @property
    def may_join_online(self):
        """Only confirmed virtual participants ever see the join link."""
        return self.is_confirmed and self.attendance_mode == AttendanceMode.VIRTUAL

    def waiting_position(self):
        if self.status != self.Status.WAITING_LIST:
            return None
        ahead = (
            Registration.objects.for_event(self.event_id)
            .in_mode(self.attendance_mode)
            .waiting()
            .filter(Q(queued_at__lt=self.queued_at) | Q(queued_at=self.queued_at, pk__lt=self.pk))
            .count()
        )
        return ahead + 1

    def renew_personal_token(self):
        """A new secret for the personal calendar and join links; the old links stop working."""
        self.personal_token = new_personal_token()
        self.save(update_fields=["personal_token", "updated_at"])

    renew_personal_token.alters_data = True

    @property
    def is_anonymised(self):
        return not self.email and self.user_id is None

    def anonymise(self):
        """
        Erase what identifies the participant once the retention period is over (Law 29733):
        name, contact details, position, organisation, sensitive needs, the link to their account,
        and the reference and personal token that were mailed to them. What the meeting's figures
        need stays: event, category, mode, status, country, language, dates and attendance
        (arrival, online joins). The consent records and the status history stay as the record of
        what happened, without who. A certificate of participation stays with its code, but its
        verification page then says only that it can no longer be verified (Certificate.state):
        there is no name left to confirm. Running it again changes nothing more.
        """
        participant_id = self.user_id
        was_anonymised = self.is_anonymised
        now = timezone.now()
        with transaction.atomic():
            Registration.objects.filter(pk=self.pk).update(
                user=None,
                honorific="",
                full_name="",
                email="",
                position="",
                organisation="",
                phone="",
                dietary_needs="",
                accessibility_needs="",
                reference=new_reference(),
                personal_token=new_personal_token(),
                updated_at=now,
            )
            self.consents.update(user=None)
            if participant_id is not None:
                self.status_changes.filter(changed_by_id=participant_id).update(changed_by=None)
            # A delivery's error may quote the address the server refused.
            MessageDelivery.objects.filter(registration=self).update(email="", error="")
            if not was_anonymised:
                self.record(StatusChange.Action.ANONYMISED)
        self.refresh_from_db()

    anonymise.alters_data = True

    # Consents ---------------------------------------------------------------------------------

    def consents_in_force(self):
        """{purpose: latest Consent row}: the latest grant or withdrawal is the one in force."""
        latest = {}
        for consent in self.consents.order_by("recorded_at", "pk"):
            latest[consent.purpose] = consent
        return latest

    def has_consent(self, purpose):
        consent = self.consents_in_force().get(purpose)
        return bool(consent and consent.is_granted)

    def record_consent(self, purpose, *, granted, user=None, language=None):
        """Append a grant or withdrawal; withdrawing the sensitive-data consent erases that data."""
        from .privacy import PRIVACY_NOTICE_VERSION

        consent = self.consents.create(
            user=user,
            purpose=purpose,
            notice_version=PRIVACY_NOTICE_VERSION,
            language=language or self.preferred_language,
            is_granted=granted,
        )
        if purpose == Consent.Purpose.SENSITIVE_DATA and not granted:
            Registration.objects.filter(pk=self.pk).update(dietary_needs="", accessibility_needs="")
            self.dietary_needs = self.accessibility_needs = ""
        return consent

    record_consent.alters_data = True

    def record_consents(self, decisions, *, user=None, language=None):
        """
        Append several grants or withdrawals, {purpose: granted}, in one INSERT (registering
        records two or three at once); the rules of record_consent apply.
        """
        from .privacy import PRIVACY_NOTICE_VERSION

        consents = Consent.objects.bulk_create(
            Consent(
                registration=self,
                user=user,
                purpose=purpose,
                notice_version=PRIVACY_NOTICE_VERSION,
                language=language or self.preferred_language,
                is_granted=granted,
            )
            for purpose, granted in decisions.items()
        )
        if decisions.get(Consent.Purpose.SENSITIVE_DATA) is False:
            Registration.objects.filter(pk=self.pk).update(dietary_needs="", accessibility_needs="")
            self.dietary_needs = self.accessibility_needs = ""
        return consents

    record_consents.alters_data = True

    # Status changes: callers hold lock_event() -----------------------------------------------

    @property
    def registration_settings(self):
        """The event's window and places: the one object that counts what is left."""
        if not hasattr(self, "_registration_settings"):
            self._registration_settings = RegistrationSettings.objects.for_event(self.event_id)
        return self._registration_settings

    def record(self, action, *, by=None, previous_status=None):
        """Append a line to the registration's history."""
        return self.status_changes.create(
            action=action,
            from_status=self.status if previous_status is None else previous_status,
            to_status=self.status,
            attendance_mode=self.attendance_mode,
            changed_by=by,
        )

    record.alters_data = True

    def _set_status(self, status, *, by=None, action):
        previous = self.status if self.pk else ""
        self.status = status
        self.queued_at = timezone.now() if status == self.Status.WAITING_LIST else None
        self.save()
        self.record(action, by=by, previous_status=previous)

    _set_status.alters_data = True

    def _place_by_capacity(self, *, by=None, action):
        """Confirm if the mode has a free place, otherwise join the end of its waiting list."""
        if self.registration_settings.is_full(self.attendance_mode):
            self._set_status(self.Status.WAITING_LIST, by=by, action=action)
        else:
            self._set_status(self.Status.CONFIRMED, by=by, action=action)

    _place_by_capacity.alters_data = True

    def _give_on_place(self, mode, *, by):
        return self.registration_settings.promote_waiting(mode, by=by)

    def place(self, *, by=None):
        """Decide a new (or renewed) registration's status: approval first where the category asks."""
        action = StatusChange.Action.PLACED
        if self.category.needs_approval:
            self._set_status(self.Status.PENDING_APPROVAL, by=by, action=action)
        else:
            self._place_by_capacity(by=by, action=action)

    place.alters_data = True

    def approve(self, *, by):
        """An organiser approves a pending registration: confirmed if there is room, else waiting."""
        if self.status != self.Status.PENDING_APPROVAL:
            raise RegistrationError(_("Only registrations pending approval can be approved."))
        self._place_by_capacity(by=by, action=StatusChange.Action.APPROVED)
        return []

    approve.alters_data = True

    def confirm(self, *, by):
        """
        An organiser confirms a waiting or pending registration on purpose, even beyond capacity
        (a speaker's assistant, say). Returns nothing to promote.
        """
        if self.status not in (self.Status.PENDING_APPROVAL, self.Status.WAITING_LIST):
            raise RegistrationError(_("Only pending or waiting registrations can be confirmed."))
        self._set_status(self.Status.CONFIRMED, by=by, action=StatusChange.Action.CONFIRMED)
        return []

    confirm.alters_data = True

    def decline(self, *, by):
        """Organisers decline; a freed place goes to the first on the waiting list."""
        if self.status in (self.Status.DECLINED, self.Status.CANCELLED):
            raise RegistrationError(_("This registration is no longer active."))
        held_place = self.is_confirmed
        self._set_status(self.Status.DECLINED, by=by, action=StatusChange.Action.DECLINED)
        return self._give_on_place(self.attendance_mode, by=by) if held_place else []

    decline.alters_data = True

    def cancel(self, *, by):
        """The participant cancels; a freed place goes to the first on the waiting list."""
        if not self.is_active:
            raise RegistrationError(_("This registration is already cancelled."))
        held_place = self.is_confirmed
        self._set_status(self.Status.CANCELLED, by=by, action=StatusChange.Action.CANCELLED)
        return self._give_on_place(self.attendance_mode, by=by) if held_place else []

    cancel.alters_data = True

    def switch_mode(self, mode, *, by):
        """
        Move to the other attendance mode. The registration takes a place there if one is free,
        otherwise it joins the end of that mode's waiting list; a place it held is given on.
        """
        if mode == self.attendance_mode:
            return []
        if not self.category.allows(mode):
            raise RegistrationError(_("Your audience category cannot attend in this way."))
        if not self.is_active:
            raise RegistrationError(_("This registration is no longer active."))
        previous_mode, held_place = self.attendance_mode, self.is_confirmed
        self.attendance_mode = mode
        action = StatusChange.Action.MODE_SWITCHED
        if self.status == self.Status.PENDING_APPROVAL:
            self.save()
            self.record(action, by=by)
        else:
            self._place_by_capacity(by=by, action=action)
        return self._give_on_place(previous_mode, by=by) if held_place else []

    switch_mode.alters_data = True

    def would_wait_in(self, mode):
        """Whether switching to `mode` now would put this registration on the waiting list."""
        return self.registration_settings.is_full(mode)

    # Arrival at the venue ---------------------------------------------------------------------

    @property
    def is_checked_in(self):
        return self.checked_in_at is not None

    @property
    def may_check_in(self):
        """Only confirmed in-person participants hold a seat in the room."""
        return self.is_confirmed and self.is_in_person

    def check_in_refusal(self):
        """Why this registration cannot be marked as arrived, in plain words; "" when it can."""
        if self.status == self.Status.WAITING_LIST:
            return _("On the waiting list: this person has no confirmed place.")
        if self.status == self.Status.PENDING_APPROVAL:
            return _("Pending the organisers' approval: this person has no confirmed place yet.")
        if self.status == self.Status.CANCELLED:
            return _("Cancelled: this person cancelled their registration.")
        if self.status == self.Status.DECLINED:
            return _("Declined: the organisers declined this registration.")
        if not self.is_in_person:
            return _("Registered to take part online, not in person.")
        return ""

    def check_in(self, *, by, now=None):
        """
        Record the participant's arrival at the venue, with who recorded it.

        The row is claimed with a conditional UPDATE, so two desks scanning the same code at once
        record one arrival, and a registration cancelled or switched meanwhile is not marked.
        """
        now = now or timezone.now()
        claimed = Registration.objects.filter(
            pk=self.pk,
            status=self.Status.CONFIRMED,
            attendance_mode=AttendanceMode.IN_PERSON,
            checked_in_at__isnull=True,
        ).update(checked_in_at=now, checked_in_by=by, updated_at=now)
        self.refresh_from_db()
        if not claimed:
            raise RegistrationError(self.check_in_refusal() or _("Already marked as arrived."))
        self.record(StatusChange.Action.CHECKED_IN, by=by)

    check_in.alters_data = True

    def undo_check_in(self, *, by):
        """Take back an arrival recorded by mistake; the history keeps both steps."""
        now = timezone.now()
        undone = Registration.objects.filter(pk=self.pk, checked_in_at__isnull=False).update(
            checked_in_at=None, checked_in_by=None, updated_at=now
        )
        self.refresh_from_db()
        if not undone:
            raise RegistrationError(_("This person is not marked as arrived."))
        self.record(StatusChange.Action.CHECK_IN_UNDONE, by=by)

    undo_check_in.alters_data = True

    # Attendance, in person or online ----------------------------------------------------------

    @property
    def has_joined_online(self):
        return self.joined_online_first_at is not None

    @property
    def attended(self):
        """
        Whether the participant attended: as an organiser marked it by hand if they did, otherwise
        as the records show (an arrival at the desk, or the join link used during the meeting).
        """
        if self.attendance_marked is not None:
            return self.attendance_marked
        return self.is_checked_in or self.has_joined_online

    def counts_as_online_attendance(self, now):
        """Whether using the join link at `now` is taking part in the meeting (see the window)."""
        event = self.event
        return event.starts_at - ONLINE_ATTENDANCE_OPENS_BEFORE <= now <= event.ends_at

    def record_online_join(self, now=None):
        """
        Record that the participant used their join link, if it was during the attendance window:
        the first and last use and how many times, nothing more. One UPDATE, so two clicks at
        once count twice and lose neither. Returns whether it counted.
        """
        now = now or timezone.now()
        if not self.counts_as_online_attendance(now):
            return False
        Registration.objects.filter(pk=self.pk).update(
            joined_online_first_at=Coalesce(
                F("joined_online_first_at"), Value(now, output_field=models.DateTimeField())
            ),
            joined_online_last_at=now,
            online_join_count=F("online_join_count") + 1,
        )
        self.refresh_from_db(
            fields=["joined_online_first_at", "joined_online_last_at", "online_join_count"]
        )
        return True

    record_online_join.alters_data = True

    def mark_attendance(self, attended, *, by):
        """
        An organiser marks attendance by hand (True) or takes it back (False); the decision wins
        over the desk's and the join link's records, and the history keeps who and when.
        """
        if self.attendance_marked is attended:
            raise RegistrationError(
                _("Attendance is already marked by hand.")
                if attended
                else _("Attendance is already taken back by hand.")
            )
        self.attendance_marked = attended
        self.attendance_marked_at = timezone.now()
        self.attendance_marked_by = by
        self.save(
            update_fields=[
                "attendance_marked",
                "attendance_marked_at",
                "attendance_marked_by",
                "updated_at",
            ]
        )
        action = (
            StatusChange.Action.ATTENDANCE_MARKED
            if attended
            else StatusChange.Action.ATTENDANCE_UNMARKED
        )
        self.record(action, by=by)

    mark_attendance.alters_data = True

    # The certificate of participation --------------------------------------------------------

    def meeting_has_ended(self, now=None):
        return (now or timezone.now()) >= self.event.ends_at

    def certificate_refusal(self, now=None):
        """
        Why this registration has no certificate of participation to download now, in plain words;
        "" when it has one.
        """
        now = now or timezone.now()
        if self.is_anonymised:
            return _(
                "The personal data of this registration was erased after the retention period."
            )
        if not self.meeting_has_ended(now):
            event = self.event
            return _(
                "Certificates of participation are available here once the meeting ends, on "
                "%(date)s at %(time)s %(city)s time, for those who attended in person or online."
            ) % {
                "date": date_format(event.local_ends_at, "DATE_FORMAT"),
                "time": f"{event.local_ends_at:%H:%M}",
                "city": timezones.zone_city(event.time_zone),
            }
        if not self.attended:
            return _(
                "Certificates of participation go to those who attended. Our records do not show "
                "your attendance: no arrival was recorded at the venue, and your personal join "
                "link was not used during the meeting. If you took part, write to the organisers "
                "with your reference."
            )
        certificate = self.existing_certificate
        if certificate is not None and certificate.is_revoked:
            return _(
                "Your certificate of participation was revoked by the organisers. Write to them, "
                "with your reference, if you think this is a mistake."
            )
        return ""

    @property
    def existing_certificate(self):
        """The certificate issued so far, or None: reading never issues one."""
        try:
            return self.certificate
        except Certificate.DoesNotExist:
            return None

    def issue_certificate(self, now=None):
        """
        The registration's certificate of participation, issued on first use with a new secret
        code; raises RegistrationError, saying why, when there is none to give.
        """
        refusal = self.certificate_refusal(now)
        if refusal:
            raise RegistrationError(refusal)
        certificate = self.existing_certificate
        if certificate is None:
            certificate, _created = Certificate.objects.get_or_create(
                registration=self, defaults={"attendance_mode": self.attendance_mode}
            )
            self.certificate = certificate
        return certificate

    issue_certificate.alters_data = True

    # The personal join link -------------------------------------------------------------------

    def join_refusal(self):
        """
        (status code, why) when the personal join link must not open the meeting for this
        registration; (None, "") when it may.
        """
        if not self.is_active:
            return 403, _(
                "Your registration is no longer active, so this link does not open the meeting."
            )
        if self.attendance_mode != AttendanceMode.VIRTUAL:
            return 403, _(
                "Your registration is for attending in person in Lima. If you would rather take "
                "part online, switch on your registration page."
            )
        if self.status == self.Status.WAITING_LIST:
            return 403, _(
                "You are on the waiting list for virtual places. This link opens the meeting as "
                "soon as your place is confirmed; we will write to you."
            )
        if self.status == self.Status.PENDING_APPROVAL:
            return 403, _(
                "Your registration awaits the organisers' approval. This link opens the meeting "
                "once it is confirmed."
            )
        if not self.event.virtual_join_url:
            return 404, _(
                "The organisers have not published the link to the virtual room yet. Come back "
                "before the meeting starts: this same link will take you there."
            )
        return None, ""


class RegistrationError(Exception):
    """A status change the rules do not allow; its message is shown to the person who asked."""


class StatusChange(models.Model):
    """
    Append-only history of a registration: what happened (the action), its status before and
    after, the attendance mode it was in, who did it and when. An arrival changes no status, but
    it is recorded here all the same, as its own action.
    """

    class Action(models.TextChoices):
        PLACED = "placed", _("Registered")
        PROMOTED = "promoted", _("Promoted from the waiting list")
        MODE_SWITCHED = "mode_switched", _("Switched attendance mode")
        APPROVED = "approved", _("Approved by the organisers")
        CONFIRMED = "confirmed", _("Confirmed by the organisers")
        DECLINED = "declined", _("Declined by the organisers")
        CANCELLED = "cancelled", _("Cancelled")
        CHECKED_IN = "checked_in", _("Checked in at the venue")
        CHECK_IN_UNDONE = "check_in_undone", _("Check-in undone")
        ATTENDANCE_MARKED = "attendance_marked", _("Attendance marked by the organisers")
        ATTENDANCE_UNMARKED = "attendance_unmarked", _("Attendance taken back by the organisers")
        CERTIFICATE_SENT = "certificate_sent", _("Certificate of participation sent")
        CERTIFICATE_REVOKED = "certificate_revoked", _("Certificate of participation revoked")
        ANONYMISED = "anonymised", _("Personal data anonymised")

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        related_name="status_changes",
        on_delete=models.CASCADE,
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(
        _("from"), max_length=20, choices=Registration.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=Registration.Status.choices)
    attendance_mode = models.CharField(
        _("attendance"), max_length=20, choices=AttendanceMode.choices, blank=True
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.get_action_display()}: {self.from_status or '—'} → {self.to_status}"


class Consent(models.Model):
    """
    Append-only record of consents (Peru's Law 29733 asks us to prove them): each grant or
    withdrawal is a new row; the latest row for a purpose is the one in force.
    """

    class Purpose(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", _("Processing of my data under the privacy notice")
        PHOTOGRAPHY = "photography", _("Photographs and recording of the meeting")
        SENSITIVE_DATA = "sensitive_data", _("Dietary and accessibility needs (sensitive data)")

    # Consents a participant withdraws with one click; the privacy notice's goes with the
    # registration itself.
    WITHDRAWABLE = (Purpose.PHOTOGRAPHY, Purpose.SENSITIVE_DATA)

    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        related_name="consents",
        on_delete=models.CASCADE,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    language = models.CharField(_("language"), max_length=LANGUAGE_CODE_LENGTH)
    is_granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self):
        state = _("granted") if self.is_granted else _("withdrawn")
        return f"{self.get_purpose_display()}: {state}"


class Message(models.Model):
    """
    A message the organisers sent to registrants, kept as a record: what was said, in every
    language of the site, to which audience, by whom and when. Each recipient is a
    MessageDelivery. `subject` and `body` are translated fields (registration/translation.py):
    `subject_es`, `subject_en`… are their columns, one per language of settings.LANGUAGES.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message from the organisers")
        AGENDA_CHANGED = "agenda_changed", _("Agenda change notice with the updated calendar")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), related_name="messages", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MESSAGE)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"), blank=True)
    audience = models.CharField(_("audience"), max_length=500)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # The compose form's one-time key: a second click on "Send" finds it taken and sends nothing.
    submission_key = models.UUIDField(_("submission key"), unique=True, editable=False)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("message to registrants")
        verbose_name_plural = _("messages to registrants")

    def __str__(self):
        return self.subject or str(self.get_kind_display())

    def subject_in(self, language):
        """The subject in `language`, else in Spanish (MODELTRANSLATION_FALLBACK_LANGUAGES)."""
        with translation.override(language):
            return self.subject

    def body_in(self, language):
        """The text in `language`, else in Spanish (MODELTRANSLATION_FALLBACK_LANGUAGES)."""
        with translation.override(language):
            return self.body


class MessageDelivery(models.Model):
    """One recipient of a Message: the address it went to, in which language, and whether it left."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(
        Message, verbose_name=_("message"), related_name="deliveries", on_delete=models.CASCADE
    )
    # Deleting a participant's account erases their deliveries too (Law 29733's cancellation).
    registration = models.ForeignKey(
        Registration,
        verbose_name=_("registration"),
        related_name="message_deliveries",
        on_delete=models.CASCADE,
    )
    email = models.EmailField(_("e-mail"))
    language = models.CharField(
        _("language"), max_length=LANGUAGE_CODE_LENGTH, choices=language_choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["message", "pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "registration"], name="one_delivery_per_message_and_registration"
            )
        ]

    def __str__(self):
        return self.email


class UndeliveredMail(DBTaskResult):
    """
    The task queue's record of an e-mail, shown in admin once its retries are spent (see
    registration/mail_admin.py): a proxy, so organisers see and re-send undelivered mail without
    seeing, or being allowed, the rest of the queue.
    """

    class Meta:
        proxy = True
        verbose_name = _("undelivered e-mail")
        verbose_name_plural = _("undelivered e-mails")
        permissions = [("resend_undeliveredmail", _("Can send an undelivered e-mail again"))]


# Certificates of participation ----------------------------------------------------------------


def new_certificate_code():
    # 128 random bits: the verification address cannot be guessed, nor walked from a neighbour's.
    return secrets.token_urlsafe(16)


class CertificateSignatory(models.Model):
    """Who signs an event's certificates of participation: name, position, an optional signature."""

    event = models.OneToOneField(
        Event,
        verbose_name=_("event"),
        related_name="certificate_signatory",
        on_delete=models.CASCADE,
    )
    name = models.CharField(_("signatory's name"), max_length=200, blank=True)
    position = models.CharField(_("signatory's position"), max_length=200, blank=True)
    # PNG bytes, re-encoded from the upload (see registration/admin_forms.py). Kept in the
    # database, never served at an address: a signature is printed on certificates and nowhere else.
    signature = models.BinaryField(_("signature image"), blank=True, default=b"")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("certificate signatory")
        verbose_name_plural = _("certificate signatories")

    def __str__(self):
        return self.name or gettext("Certificate signatory")

    @property
    def has_signature(self):
        return bool(self.signature)


class CertificateQuerySet(models.QuerySet):
    def for_event(self, event):
        return self.filter(registration__event=event)

    def not_revoked(self):
        return self.filter(revoked_at__isnull=True)


class Certificate(models.Model):
    """
    A participant's certificate of participation, issued the first time it is downloaded or sent:
    the secret code of its verification address, the mode it certifies, when it was e-mailed (once)
    and whether the organisers revoked it. The PDF is drawn anew from these at each download.
    """

    class State(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        # Law 29733's retention: the registration was anonymised, so no name can be confirmed.
        ERASED = "erased", _("Personal data erased")

    registration = models.OneToOneField(
        Registration,
        verbose_name=_("registration"),
        related_name="certificate",
        on_delete=models.CASCADE,
    )
    code = models.CharField(
        _("verification code"),
        max_length=32,
        unique=True,
        default=new_certificate_code,
        editable=False,
    )
    attendance_mode = models.CharField(
        _("attendance"), max_length=20, choices=AttendanceMode.choices
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    emailed_at = models.DateTimeField(_("sent by e-mail at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["issued_at", "pk"]
        verbose_name = _("certificate of participation")
        verbose_name_plural = _("certificates of participation")

    def __str__(self):
        return self.code

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def get_state_display(self):
        return self.State(self.state).label

    @property
    def state(self):
        if self.registration.is_anonymised:
            return self.State.ERASED
        if self.is_revoked:
            return self.State.REVOKED
        return self.State.VALID

    def verification_path(self, language=None):
        """The verification page's path, in `language` (the participant's, on their certificate)."""
        with translation.override(language or self.registration.preferred_language):
            return reverse("registration:certificate-verification", kwargs={"code": self.code})

    def verification_url(self, language=None):
        return settings.SITE_URL + self.verification_path(language)

    def revoke(self, *, by):
        """Withdraw the certificate: its page says so, it is no longer downloaded nor sent."""
        revoked = Certificate.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        self.refresh_from_db()
        if not revoked:
            raise RegistrationError(_("This certificate is already revoked."))
        self.registration.record(StatusChange.Action.CERTIFICATE_REVOKED, by=by)

    revoke.alters_data = True

    def claim_sending(self, now=None):
        """
        Claim the one e-mail this certificate gets; False if it was sent (or revoked) already. A
        conditional UPDATE, so two clicks of "send" at once send one mail.
        """
        now = now or timezone.now()
        claimed = Certificate.objects.filter(
            pk=self.pk, emailed_at__isnull=True, revoked_at__isnull=True
        ).update(emailed_at=now)
        if claimed:
            self.emailed_at = now
        return bool(claimed)

    claim_sending.alters_data = True
