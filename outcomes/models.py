"""
What a meeting produced: its outcomes (a formatted summary, published when organisers say so) and
the actions agreed there, which together, across every roundtable, make the regional convergence
matrix the concept note calls for ("identifying actions", "marking a roadmap").

The summary and each action's text exist in every language through django-modeltranslation
(outcomes/translation.py).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from agenda.formatted_text import clean_html, formatted
from agenda.models import Event, Organisation, Session


class Outcome(models.Model):
    event = models.OneToOneField(
        Event, verbose_name=_("event"), related_name="outcome", on_delete=models.CASCADE
    )
    summary = models.TextField(
        _("summary"),
        blank=True,
        help_text=_(
            "Formatted text: headings (h2–h4), paragraphs, lists, bold, italics and links. "
            "Anything else (scripts, styles, images) is removed when saved."
        ),
    )
    is_published = models.BooleanField(
        _("published"),
        default=False,
        help_text=_("Tick to show the summary and the actions on the site and in the matrix."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-event__starts_at"]
        verbose_name = _("meeting outcomes")
        verbose_name_plural = _("meeting outcomes")

    def __str__(self):
        return str(self.event)

    def get_absolute_url(self):
        return reverse("outcomes:event-outcomes", kwargs={"event_slug": self.event.slug})

    @property
    def summary_html(self):
        """The summary in the active language, cleaned again: a row written by SQL is safe too."""
        return formatted(self.summary)

    def save(self, *args, **kwargs):
        for field in self._meta.concrete_fields:
            if field.name.startswith("summary") and isinstance(field, models.TextField):
                setattr(self, field.attname, clean_html(getattr(self, field.attname)))
        super().save(*args, **kwargs)


class ActionQuerySet(models.QuerySet):
    def published(self):
        """Actions of outcomes organisers published, of meetings on the site."""
        return self.filter(outcome__is_published=True, outcome__event__is_published=True)

    def for_display(self):
        """What a row of the matrix shows, in a number of queries that does not grow with rows."""
        return self.select_related("outcome__event__roundtable", "session").prefetch_related(
            "lead_organisations", "participating_organisations"
        )

    def with_organisation(self, organisation):
        """Actions the organisation leads or takes part in (a row may appear twice: see filtered)."""
        return self.filter(
            Q(lead_organisations=organisation) | Q(participating_organisations=organisation)
        )

    def filtered(self, *, roundtable=None, organisation=None, horizon="", status=""):
        """The matrix's filters: any left empty does not narrow the list."""
        actions = self
        if roundtable is not None:
            actions = actions.filter(outcome__event__roundtable=roundtable)
        if organisation is not None:
            # Through a subquery, so an action led and joined by it is not listed twice.
            actions = actions.filter(
                pk__in=Action.objects.with_organisation(organisation).values("pk")
            )
        if horizon:
            actions = actions.filter(horizon=horizon)
        if status:
            actions = actions.filter(status=status)
        return actions

    def in_matrix_order(self):
        return self.order_by(
            "outcome__event__roundtable__order",
            "-outcome__event__starts_at",
            "order",
            "pk",
        )

    def mark_changed(self):
        """Moves `updated_at` to now, so public pages showing these actions are redrawn."""
        return self.update(updated_at=timezone.now())

    mark_changed.alters_data = True


class Action(models.Model):
    """One action toward regional convergence agreed or proposed at a meeting."""

    class Horizon(models.TextChoices):
        SHORT_TERM = "short_term", _("Short term")
        MEDIUM_TERM = "medium_term", _("Medium term")
        LONG_TERM = "long_term", _("Long term")
        BY_DATE = "by_date", _("By a date")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        AGREED = "agreed", _("Agreed")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    outcome = models.ForeignKey(
        Outcome,
        verbose_name=_("meeting outcomes"),
        related_name="actions",
        on_delete=models.CASCADE,
    )
    description = models.TextField(_("action"))
    lead_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("lead organisations"),
        related_name="actions_led",
        blank=True,
    )
    participating_organisations = models.ManyToManyField(
        Organisation,
        verbose_name=_("participating organisations"),
        related_name="actions_joined",
        blank=True,
    )
    horizon = models.CharField(
        _("horizon"), max_length=20, choices=Horizon.choices, default=Horizon.MEDIUM_TERM
    )
    horizon_date = models.DateField(
        _("by"), null=True, blank=True, help_text=_("Only for the horizon “By a date”.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    session = models.ForeignKey(
        Session,
        verbose_name=_("session it came from"),
        related_name="actions",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(horizon="by_date", horizon_date__isnull=False)
                | (~Q(horizon="by_date") & Q(horizon_date__isnull=True)),
                name="action_date_only_for_a_dated_horizon",
            )
        ]

    def __str__(self):
        return self.description

    @property
    def event(self):
        return self.outcome.event

    @property
    def horizon_label(self):
        """The horizon as people read it: "Medium term", or the date when it has one."""
        if self.horizon == self.Horizon.BY_DATE and self.horizon_date:
            return date_format(self.horizon_date, "DATE_FORMAT")
        return str(self.get_horizon_display())

    def clean(self):
        super().clean()
        if self.horizon == self.Horizon.BY_DATE and self.horizon_date is None:
            raise ValidationError({"horizon_date": _("Give the date the action is due by.")})
        if self.horizon != self.Horizon.BY_DATE and self.horizon_date is not None:
            raise ValidationError(
                {"horizon_date": _("A date is given only with the horizon “By a date”.")}
            )
        if self.session_id and self.outcome_id and self.session.event_id != self.outcome.event_id:
            raise ValidationError({"session": _("Choose a session of this meeting.")})


@receiver(m2m_changed, sender=Action.lead_organisations.through, dispatch_uid="outcomes.leads")
@receiver(
    m2m_changed,
    sender=Action.participating_organisations.through,
    dispatch_uid="outcomes.participants",
)
def _organisations_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # The matrix shows each action's organisations: a change to them is a change to the action.
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        Action.objects.filter(pk=instance.pk).mark_changed()
    elif action == "pre_clear":
        Action.objects.with_organisation(instance).mark_changed()
    else:
        Action.objects.filter(pk__in=pk_set).mark_changed()


# An organisation's name is part of every action it leads or joins. Organisation.save() in the agenda
# moves what the agenda shows of it, and cannot know of the matrix (the agenda imports no app):
# these receivers are the matrix's side of it.


@receiver(post_save, sender=Organisation, dispatch_uid="outcomes.organisation_saved")
def _organisation_saved(sender, instance, created, **kwargs):
    if not created:
        Action.objects.with_organisation(instance).mark_changed()


@receiver(pre_delete, sender=Organisation, dispatch_uid="outcomes.organisation_deleted")
def _organisation_deleted(sender, instance, **kwargs):
    # Before the deletion, while the actions it leads or joins can still be found.
    Action.objects.with_organisation(instance).mark_changed()
