"""
Moving a whole event to another date and time.

The event and every one of its sessions shift by the same amount, so each session keeps its
duration and its place in the order. Each session is saved through Session.save(), which bumps its
calendar SEQUENCE: calendars that imported or subscribed to the meeting replace their entries
instead of keeping the old times (RFC 5545 §3.8.7.4). The registration window does not move: when
registration opens and closes is the organisers' separate decision.
"""

import datetime

from django import forms
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Event


def reschedule(event, new_start):
    """Move `event` so that it starts at `new_start` (an aware datetime); return it, updated."""
    if new_start.tzinfo is None:
        raise ValueError("new_start must be an aware datetime")
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        shift = new_start - event.starts_at
        if not shift:
            return event
        event.starts_at += shift
        event.ends_at += shift
        event.save()
        for session in event.sessions.all():
            session.starts_at += shift
            session.ends_at += shift
            session.save()
    return event


class RescheduleForm(forms.Form):
    """The new start, read on the event's own clock (Lima's for the meeting), whoever types it."""

    date = forms.DateField(
        label=gettext_lazy("New date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    time = forms.TimeField(
        label=gettext_lazy("New start time"),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args, event, **kwargs):
        self.event = event
        local_start = event.local_starts_at
        kwargs.setdefault("initial", {"date": local_start.date(), "time": local_start.time()})
        super().__init__(*args, **kwargs)
        zone_note = _("In the event's time zone, %(zone)s.") % {"zone": event.time_zone}
        self.fields["time"].help_text = zone_note

    def clean(self):
        data = super().clean()
        date, time = data.get("date"), data.get("time")
        if date is None or time is None:
            return data
        zone = self.event.zone
        wall_clock = datetime.datetime.combine(date, time.replace(second=0, microsecond=0))
        new_start = wall_clock.replace(tzinfo=zone)
        # A time skipped when clocks go forward does not survive a round trip through UTC.
        if new_start.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != wall_clock:
            raise forms.ValidationError(
                _("%(time)s does not exist on that day in %(zone)s: the clocks change then."),
                params={"time": f"{wall_clock:%H:%M}", "zone": self.event.time_zone},
                code="nonexistent_time",
            )
        if new_start == self.event.starts_at:
            raise forms.ValidationError(
                _("The event already starts on %(date)s at %(time)s."),
                params={
                    "date": formats.date_format(date, "DATE_FORMAT"),
                    "time": f"{wall_clock:%H:%M}",
                },
                code="unchanged",
            )
        data["new_start"] = new_start
        return data
