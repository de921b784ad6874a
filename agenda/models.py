"""
The meeting's agenda: events, the organisations and speakers taking part, and the sessions.

Fields in every language of the site are added by django-modeltranslation from
agenda/translation.py: `title` reads in the active language, `title_es`, `title_en`… are columns.
"""

import datetime
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import F, Prefetch, Q
from django.db.models.signals import m2m_changed, post_delete, pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from modeltranslation.utils import build_localized_fieldname

from .materials import FORMAT_CHOICES, FORMATS, check_document, is_registered_participant
from .timezones import validate_time_zone

# Cache invalidation. Public pages and calendars are cached under a fingerprint of the events' and
# sessions' `updated_at` (pagecache), so every change to what they show must move one of
# those timestamps: a session's speakers, a speaker's or an organisation's details, a deletion. The
# save() methods below and the few receivers at the end of this module do it, in the same
# transaction as the change; a QuerySet.update() on these models must set `updated_at` itself.


def _lines(text):
    """Text fields that hold one item per line (objectives, topics) read as lists."""
    return [line.strip().lstrip("-•").strip() for line in (text or "").splitlines() if line.strip()]


class TracksLoadedValues(models.Model):
    """Remembers the values a row had when read, so save() can tell what an edit changed."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def changed_fields(self, names):
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            return set()
        return {
            name
            for name in names
            if name in loaded and loaded[name] != getattr(self, self._meta.get_field(name).attname)
        }


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    # The row's key in the meeting file (agenda/loader.py): the next load finds it by this key even
    # after an organiser renamed it in admin. Empty for rows made in admin.
    key = models.SlugField(
        _("key in the meeting file"), max_length=80, unique=True, null=True, blank=True
    )
    country = CountryField(_("country"), blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def short_name(self):
        return self.acronym or self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Shown as an event's organiser and beside its speakers, in pages and calendar entries.
        Event.objects.filter(organisers=self).mark_changed()
        Session.objects.filter(session_speakers__speaker__organisation=self).mark_changed()


class RoundtableQuerySet(models.QuerySet):
    def with_meetings(self):
        """The roundtables, each with its published meetings newest first, in two queries."""
        return self.prefetch_related(
            Prefetch(
                "events",
                queryset=Event.objects.published().newest_first(),
                to_attr="published_meetings",
            )
        )


class Roundtable(models.Model):
    """
    One of the forum's working roundtables (axes): the 2022 forum set up five, and each holds its
    own meetings, whose outcomes feed the regional convergence matrix.
    """

    # The row's key in the meeting file (agenda/loader.py): events name their roundtable by it, and
    # the next load finds the row by it even after an organiser renamed it in admin.
    key = models.SlugField(_("key in the meeting file"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("short description"), blank=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Roundtables are listed by this number.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RoundtableQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("roundtable")
        verbose_name_plural = _("roundtables")

    def __str__(self):
        return self.name


# An event that starts "tomorrow" in its own zone starts within this much of now, whatever the
# zone and its daylight saving: a cheap bound before the exact check in Python.
TOMORROW_HORIZON = datetime.timedelta(hours=50)


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def featured(self):
        """The event the home page presents: the published one that starts last."""
        return self.published().order_by("-starts_at").first()

    def mark_changed(self):
        """Moves `updated_at` to now, so cached pages and calendars of these events are redrawn."""
        return self.update(updated_at=timezone.now())

    mark_changed.alters_data = True

    def past(self, now=None):
        """Events that have ended: the clock decides how a meeting is worded, never registration."""
        return self.filter(ends_at__lte=now or timezone.now())

    def upcoming(self, now=None):
        return self.filter(ends_at__gt=now or timezone.now())

    def newest_first(self):
        return self.order_by("-starts_at", "-pk")

    def starting_the_day_after(self, now):
        """
        Published events whose start, read in the event's own time zone, falls on the calendar
        day after `now` read in that same zone (a list: the zone differs per event).

        A reminder is "the day before" by nature, so here — and only here — the clock is compared
        with a meeting's date; registration itself never does.
        """
        candidates = self.published().filter(
            starts_at__gt=now, starts_at__lt=now + TOMORROW_HORIZON
        )
        return [
            event
            for event in candidates
            if event.local_starts_at.date()
            == timezone.localtime(now, event.zone).date() + datetime.timedelta(days=1)
        ]


class Event(TracksLoadedValues):
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=250)
    summary = models.TextField(_("summary"), blank=True)
    general_objective = models.TextField(_("general objective"), blank=True)
    specific_objectives = models.TextField(
        _("specific objectives"), blank=True, help_text=_("One objective per line.")
    )
    target_audience = models.TextField(_("target audience"), blank=True)
    format_description = models.TextField(_("format"), blank=True)
    organisers = models.ManyToManyField(
        Organisation, verbose_name=_("organisers"), related_name="organised_events", blank=True
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="America/Lima",
        validators=[validate_time_zone],
        help_text=_("IANA name of the time zone the meeting is held in, e.g. America/Lima."),
    )
    venue_name = models.CharField(_("venue"), max_length=250, blank=True)
    venue_address = models.CharField(_("venue address"), max_length=250, blank=True)
    virtual_platform_name = models.CharField(_("virtual platform"), max_length=200, blank=True)
    # Private: shown only to confirmed virtual participants, never on a public page or calendar.
    virtual_join_url = models.URLField(
        _("virtual join link (private)"),
        blank=True,
        max_length=500,
        help_text=_("Private. Only confirmed virtual participants receive it."),
    )
    virtual_access_details = models.TextField(
        _("virtual access details (private)"),
        blank=True,
        help_text=_("Private. Meeting ID, passcode or other instructions to join."),
    )
    is_published = models.BooleanField(_("published"), default=True)
    roundtable = models.ForeignKey(
        Roundtable,
        verbose_name=_("roundtable"),
        related_name="events",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("agenda:event-detail", kwargs={"slug": self.slug})

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_starts_at(self):
        return timezone.localtime(self.starts_at, self.zone)

    @property
    def local_ends_at(self):
        return timezone.localtime(self.ends_at, self.zone)

    @property
    def specific_objectives_list(self):
        return _lines(self.specific_objectives)

    @property
    def is_hybrid(self):
        return bool(self.venue_name) and bool(self.virtual_platform_name)

    @property
    def is_past(self):
        """
        Whether the meeting has ended, by the clock: it changes how pages and calendars word the
        meeting ("took place on …"), never whether people may register (RegistrationSettings'
        window alone decides that). The page cache moves its key at `ends_at` (agenda/apps.py).
        """
        return self.ends_at <= timezone.now()

    def clean(self):
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})

    def save(self, *args, **kwargs):
        venue_changed = self.changed_fields(
            [
                build_localized_fieldname(field, code)
                for field in ("venue_name", "venue_address")
                for code, _name in settings.LANGUAGES
            ]
        )
        super().save(*args, **kwargs)
        if venue_changed:
            # Every session takes place at the venue: its calendar entries changed place.
            self.sessions.update(sequence=F("sequence") + 1, updated_at=timezone.now())


class Speaker(models.Model):
    class ConfirmationStatus(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        TO_BE_CONFIRMED = "to_be_confirmed", _("To be confirmed")

    honorific = models.CharField(
        _("honorific"), max_length=60, blank=True, help_text=_("For example “Ambassador”.")
    )
    name = models.CharField(_("name"), max_length=200)
    # The row's key in the meeting file (agenda/loader.py): the next load finds it by this key even
    # after an organiser renamed it in admin. Empty for rows made in admin.
    key = models.SlugField(
        _("key in the meeting file"), max_length=80, unique=True, null=True, blank=True
    )
    position = models.CharField(_("position"), max_length=250, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        related_name="speakers",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    bio = models.TextField(_("short biography"), blank=True)
    confirmation_status = models.CharField(
        _("confirmation"),
        max_length=20,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.TO_BE_CONFIRMED,
    )
    confirmation_note = models.CharField(
        _("confirmation note"),
        max_length=200,
        blank=True,
        help_text=_("For example “confirmed by e-mail”."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return f"{self.honorific} {self.name}" if self.honorific else self.name

    @property
    def is_confirmed(self):
        return self.confirmation_status == self.ConfirmationStatus.CONFIRMED

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # The speaker's name, position and confirmation are part of each of their sessions.
        Session.objects.filter(session_speakers__speaker=self).mark_changed()


def speakers_prefetch():
    """A session's speakers in order, with their organisations: one query for many sessions."""
    return Prefetch(
        "session_speakers",
        queryset=SessionSpeaker.objects.select_related("speaker__organisation").order_by(
            "order", "pk"
        ),
    )


class SessionQuerySet(models.QuerySet):
    def with_speakers(self):
        """Sessions with their speakers and organisations in a fixed number of queries."""
        return self.prefetch_related(speakers_prefetch())

    def with_materials(self):
        """Sessions with their materials, in the organisers' order, in one more query."""
        return self.prefetch_related(
            Prefetch("materials", queryset=Material.objects.order_by("order", "pk"))
        )

    def mark_changed(self):
        """
        Moves `updated_at` to now: the sessions' calendar entries changed (their LAST-MODIFIED) and
        cached pages showing them are redrawn. SEQUENCE stays: the time and place did not move.
        """
        return self.update(updated_at=timezone.now())

    mark_changed.alters_data = True


class Session(TracksLoadedValues):
    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening")
        SPECIALIST_INTERVENTION = "specialist_intervention", _("Specialist intervention")
        PRESENTATION = "presentation", _("Presentation")
        DISCUSSION = "discussion", _("Discussion round")
        BREAK = "break", _("Break")
        CLOSING = "closing", _("Closing")

    # A change of any of these moves the session in people's calendars.
    CALENDAR_FIELDS = ("starts_at", "ends_at", "location")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), related_name="sessions", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    topics = models.TextField(_("topics"), blank=True, help_text=_("One topic per line."))
    participants_note = models.CharField(
        _("participants"),
        max_length=300,
        blank=True,
        help_text=_(
            "Who takes part when they are not individual speakers, e.g. “Secretaries General”."
        ),
    )
    speakers_to_be_confirmed = models.BooleanField(
        _("speakers to be confirmed"),
        default=False,
        help_text=_("Tick while the people taking part in this session are not confirmed."),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(
        _("room"), max_length=200, blank=True, help_text=_("Leave empty for the event's venue.")
    )
    speakers = models.ManyToManyField(
        Speaker,
        through="SessionSpeaker",
        verbose_name=_("speakers"),
        related_name="sessions",
        blank=True,
    )
    # iCalendar SEQUENCE: grows whenever the session's time or place changes (RFC 5545 §3.8.7.4).
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_it_starts"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse(
            "agenda:session-detail", kwargs={"event_slug": self.event.slug, "pk": self.pk}
        )

    @property
    def topics_list(self):
        return _lines(self.topics)

    @property
    def ordered_speakers(self):
        """SessionSpeaker rows in order; uses the prefetch of SessionQuerySet.with_speakers()."""
        return list(self.session_speakers.all())

    @property
    def is_to_be_confirmed(self):
        return self.speakers_to_be_confirmed or any(
            not link.speaker.is_confirmed for link in self.ordered_speakers
        )

    @property
    def duration(self):
        return self.ends_at - self.starts_at

    def clean(self):
        super().clean()
        if not (self.starts_at and self.ends_at):
            return
        if self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})
        if self.event_id is None:
            return
        event = self.event
        if self.starts_at < event.starts_at or self.ends_at > event.ends_at:
            zone = event.zone
            raise ValidationError(
                _(
                    "The session must take place within the event's hours, "
                    "%(start)s to %(end)s (%(zone)s)."
                ),
                params={
                    "start": timezone.localtime(event.starts_at, zone).strftime("%H:%M"),
                    "end": timezone.localtime(event.ends_at, zone).strftime("%H:%M"),
                    "zone": event.time_zone,
                },
                code="outside_event",
            )
        overlapping = (
            Session.objects.filter(
                event_id=self.event_id, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
            )
            .exclude(pk=self.pk)
            .first()
        )
        if overlapping:
            zone = event.zone
            raise ValidationError(
                _("This session overlaps “%(title)s” (%(start)s–%(end)s)."),
                params={
                    "title": overlapping.title,
                    "start": timezone.localtime(overlapping.starts_at, zone).strftime("%H:%M"),
                    "end": timezone.localtime(overlapping.ends_at, zone).strftime("%H:%M"),
                },
                code="overlap",
            )

    def save(self, *args, **kwargs):
        if self.changed_fields(self.CALENDAR_FIELDS):
            self.sequence += 1
        moved_from = self._loaded_values["event_id"] if self.changed_fields(["event_id"]) else None
        super().save(*args, **kwargs)
        if moved_from is not None:
            # The event it left has one session fewer, though none of its own rows changed.
            Event.objects.filter(pk=moved_from).mark_changed()


class SessionSpeaker(models.Model):
    class Role(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        MODERATOR = "moderator", _("Moderator")

    session = models.ForeignKey(
        Session,
        verbose_name=_("session"),
        related_name="session_speakers",
        on_delete=models.CASCADE,
    )
    speaker = models.ForeignKey(
        Speaker, verbose_name=_("speaker"), related_name="session_links", on_delete=models.CASCADE
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SPEAKER)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("session speaker")
        verbose_name_plural = _("session speakers")
        constraints = [
            models.UniqueConstraint(fields=["session", "speaker"], name="speaker_once_per_session")
        ]

    def __str__(self):
        return f"{self.speaker} – {self.session}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        Session.objects.filter(pk=self.session_id).mark_changed()


# Deletions leave no row whose save() could say so, and cascades (a speaker's session links, an
# event's sessions) and the admin's "delete selected" do not call delete() on each row; Django sends
# these signals for every row it deletes, whichever way, so they are where deletions are noticed.


@receiver(post_delete, sender=Session, dispatch_uid="agenda.session_deleted")
def _session_deleted(sender, instance, **kwargs):
    Event.objects.filter(pk=instance.event_id).mark_changed()


@receiver(post_delete, sender=SessionSpeaker, dispatch_uid="agenda.session_speaker_deleted")
def _session_speaker_deleted(sender, instance, **kwargs):
    Session.objects.filter(pk=instance.session_id).mark_changed()


@receiver(pre_delete, sender=Organisation, dispatch_uid="agenda.organisation_deleted")
def _organisation_deleted(sender, instance, **kwargs):
    # Before the deletion, while the events it organises can still be found.
    Event.objects.filter(organisers=instance).mark_changed()


@receiver(m2m_changed, sender=Event.organisers.through, dispatch_uid="agenda.organisers_changed")
def _organisers_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # The admin saves the event itself too; code that calls event.organisers.set() does not.
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        Event.objects.filter(pk=instance.pk).mark_changed()
    elif action == "pre_clear":
        Event.objects.filter(organisers=instance).mark_changed()
    else:
        Event.objects.filter(pk__in=pk_set).mark_changed()


# Materials: presentations, recordings and links, after the meeting -----------------------------


def material_file_name(material, original_name):
    """
    Where an upload is stored: under the event, with an unguessable part and the extension of the
    format its content showed (agenda/materials.py), never the one the organiser's file carried.
    Nobody reaches storage directly: downloads go through the view, which checks who may have it.
    """
    stem = slugify(original_name.rsplit(".", 1)[0])[:60] or "material"
    return (
        f"materials/{material.event_id}/{secrets.token_urlsafe(12)}-{stem}.{material.file_format}"
    )


class MaterialQuerySet(models.QuerySet):
    def in_order(self):
        """Each session's materials (the meeting's own first) in the order organisers set."""
        return self.order_by(
            F("session__starts_at").asc(nulls_first=True), "session_id", "order", "pk"
        )

    def for_meeting_page(self, event):
        """All of `event`'s materials, grouped by session, in one query."""
        return self.filter(event=event).select_related("session").in_order()


class Material(TracksLoadedValues):
    """Something organisers share about a meeting or one of its sessions: a file or a link."""

    class Kind(models.TextChoices):
        PRESENTATION = "presentation", _("Presentation or document")
        RECORDING = "recording", _("Recording")
        LINK = "link", _("Link")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        PARTICIPANTS = "participants", _("Registered participants only")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), related_name="materials", on_delete=models.CASCADE
    )
    session = models.ForeignKey(
        Session,
        verbose_name=_("session"),
        related_name="materials",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Leave empty for a material of the whole meeting."),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.PRESENTATION
    )
    title = models.CharField(_("title"), max_length=250)
    file = models.FileField(
        _("file"),
        upload_to=material_file_name,
        max_length=255,
        blank=True,
        help_text=_(
            "For a presentation or document: PDF, PowerPoint (.pptx), Word (.docx) or Excel (.xlsx)."
        ),
    )
    # Found in the file's content when it was uploaded (agenda/materials.py), never taken from its
    # name: the download's content type comes from here.
    file_format = models.CharField(
        _("format"), max_length=10, choices=FORMAT_CHOICES, blank=True, editable=False
    )
    file_size = models.PositiveBigIntegerField(_("size in bytes"), null=True, editable=False)
    url = models.URLField(
        _("web address"),
        max_length=500,
        blank=True,
        # No javascript:, data: or ftp: addresses on a public page.
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("For a recording or a link: an address starting with https:// or http://."),
    )
    visibility = models.CharField(
        _("visible to"),
        max_length=20,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text=_(
            "Participants-only materials open only for people signed in with a registration for "
            "this meeting that is not cancelled or declined; the address of a participants-only "
            "link is never shown on a public page."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MaterialQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.is_served_by_site:
            return reverse(
                "agenda:material",
                kwargs={"event_slug": self.event.slug, "pk": self.pk},
            )
        return self.url

    @property
    def is_file(self):
        return self.kind == self.Kind.PRESENTATION

    @property
    def is_for_participants_only(self):
        return self.visibility == self.Visibility.PARTICIPANTS

    @property
    def is_served_by_site(self):
        """Files, and links whose address only participants may see, go through the site's view."""
        return self.is_file or self.is_for_participants_only

    def is_open_to(self, user):
        """
        Whether `user` may open this material: anyone a public one; a participants-only one, only
        someone registration counts as a registered participant of the meeting, asked afresh at
        every download (agenda/materials.py).
        """
        return not self.is_for_participants_only or is_registered_participant(user, self.event)

    @property
    def document_format(self):
        return FORMATS.get(self.file_format)

    @property
    def download_name(self):
        """The file name a download is saved under: the title, in the visitor's language."""
        return f"{slugify(self.title)[:80] or 'material'}.{self.file_format}"

    def clean(self):
        super().clean()
        if self.session_id is not None:
            if self.event_id is None:
                # Added on the session's page, where the event is not asked for.
                self.event_id = self.session.event_id
            elif self.session.event_id != self.event_id:
                raise ValidationError(
                    {"session": _("This session belongs to another event.")}, code="other_event"
                )
        if self.is_file:
            if self.url:
                raise ValidationError(
                    {"url": _("A presentation or document is a file: leave the address empty.")},
                    code="url_with_file",
                )
            if not self.file:
                raise ValidationError(
                    {"file": _("Choose the file to upload.")}, code="file_missing"
                )
            if not self.file._committed:
                # A new upload: what it is, read from its bytes, decides how it is served.
                found = check_document(self.file.file)
                self.file_format, self.file_size = found.extension, self.file.size
        else:
            if self.file:
                raise ValidationError(
                    {"file": _("A recording or a link is an address: remove the file.")},
                    code="file_with_url",
                )
            if not self.url:
                raise ValidationError(
                    {"url": _("Give the address of the recording or the link.")},
                    code="url_missing",
                )

    def save(self, *args, **kwargs):
        if self.event_id is None and self.session_id is not None:
            self.event_id = self.session.event_id
        if not self.is_file:
            self.file_format, self.file_size = "", None
        replaced = self.changed_fields(["file"]) and self._loaded_values.get("file")
        super().save(*args, **kwargs)
        if replaced:
            # The old upload is no longer reachable from anything: remove it once this is saved.
            name, storage = replaced, self.file.storage
            transaction.on_commit(lambda: storage.delete(name))


@receiver(post_delete, sender=Material, dispatch_uid="agenda.material_deleted")
def _material_deleted(sender, instance, **kwargs):
    # Deleted rows (one by one, in bulk or by cascade) leave no file behind once committed.
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))
