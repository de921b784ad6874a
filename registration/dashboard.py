"""
The organisers' dashboard of an event: who is coming, how, from where, and since when.

Every figure comes from a fixed number of aggregate queries (values() + annotate()), so the page
costs the same with ten registrations or ten thousand. Charts are drawn here as SVG on the server:
they need no JavaScript, and each carries a <title> and <desc> for screen readers while the page
prints the same numbers in a table beside it.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext
from django_countries import countries

from .models import AttendanceMode, AudienceCategory, Registration, RegistrationSettings

# Colours with at least 4.5:1 contrast against white (WCAG AA), so a bar reads without its label.
BAR_COLOUR = "#205067"
WAITING_COLOUR = "#8a4b08"
TRACK_COLOUR = "#d9e2e8"
TEXT_COLOUR = "currentColor"  # follows the admin's light or dark theme


@dataclass(frozen=True)
class Places:
    """Where one attendance mode stands: confirmed against capacity (None: no limit), and waiting."""

    mode: str
    label: str
    confirmed: int
    capacity: int | None
    waiting: int
    # Places still free (None: no limit), as RegistrationSettings counts them.
    left: int | None

    @property
    def has_limit(self):
        return self.capacity is not None


@dataclass(frozen=True)
class Attendance:
    """Who came, for one attendance mode: registered (still active), confirmed, attended."""

    mode: str
    label: str
    registered: int
    confirmed: int
    attended: int


@dataclass(frozen=True)
class Dashboard:
    event: object
    total: int
    places: list
    by_status: list  # [(label, count)]
    by_mode: list
    by_category: list
    by_country: list
    per_day: list  # [(date, count)], every day of the range, zeros included
    attendance: list = ()  # [Attendance], one per mode

    @property
    def attended(self):
        return sum(row.attended for row in self.attendance)

    @property
    def days_with_registrations(self):
        return [(day, count) for day, count in self.per_day if count]


def build_dashboard(event, today=None):
    """All the dashboard's figures for `event`, in seven queries whatever the number of registrations."""
    registrations = Registration.objects.for_event(event)
    registration_settings = RegistrationSettings.objects.for_event(event)

    by_status_and_mode = {
        (row["status"], row["attendance_mode"]): row["count"]
        for row in registrations.values("status", "attendance_mode")
        .annotate(count=Count("pk"))
        .order_by()
    }

    def count(status=None, mode=None):
        return sum(
            n
            for (row_status, row_mode), n in by_status_and_mode.items()
            if (status is None or row_status == status) and (mode is None or row_mode == mode)
        )

    places = [
        Places(
            mode=mode,
            label=label,
            confirmed=count(Registration.Status.CONFIRMED, mode),
            capacity=registration_settings.capacity_for(mode),
            waiting=count(Registration.Status.WAITING_LIST, mode),
            left=registration_settings.left_after(mode, count(Registration.Status.CONFIRMED, mode)),
        )
        for mode, label in AttendanceMode.choices
    ]
    by_status = [(label, count(status=value)) for value, label in Registration.Status.choices]
    by_mode = [(label, count(mode=value)) for value, label in AttendanceMode.choices]

    category_counts = dict(
        registrations.values_list("category").annotate(count=Count("pk")).order_by()
    )
    by_category = [
        (category.name, category_counts.get(category.pk, 0))
        for category in AudienceCategory.objects.filter(event=event)
    ]

    by_country = sorted(
        (
            (countries.name(row["country"]) or row["country"], row["count"])
            for row in registrations.values("country").annotate(count=Count("pk")).order_by()
        ),
        key=lambda item: (-item[1], item[0].casefold()),
    )

    per_day = _per_day(
        registrations,
        event,
        registration_settings,
        today or timezone.localdate(timezone=event.zone),
    )
    attendance_counts = registrations.attendance_by_mode()
    attendance = [
        Attendance(mode=mode, label=label, **attendance_counts[mode])
        for mode, label in AttendanceMode.choices
    ]
    return Dashboard(
        event=event,
        attendance=attendance,
        total=sum(by_status_and_mode.values()),
        places=places,
        by_status=by_status,
        by_mode=by_mode,
        by_category=by_category,
        by_country=by_country,
        per_day=per_day,
    )


def _per_day(registrations, event, registration_settings, today):
    """
    Registrations per day in the event's time zone, from the day the window opened (or the first
    registration, if earlier or if no window is set) to today or the day it closed, zeros included.
    """
    counts = dict(
        registrations.annotate(day=TruncDate("created_at", tzinfo=event.zone))
        .values_list("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    if not counts:
        return []
    first = min(counts)
    if registration_settings.opens_at:
        first = min(first, timezone.localtime(registration_settings.opens_at, event.zone).date())
    last = today
    if registration_settings.closes_at:
        # The window's end is exclusive: closing at midnight means the previous day was the last.
        closes = timezone.localtime(registration_settings.closes_at, event.zone)
        last = min(last, (closes - datetime.timedelta(microseconds=1)).date())
    last = max(last, max(counts), first)
    days = (last - first).days + 1
    return [
        (day, counts.get(day, 0))
        for day in (first + datetime.timedelta(days=offset) for offset in range(days))
    ]


# SVG charts ----------------------------------------------------------------------------------


def _svg(chart_id, title, description, width, height, body):
    """An <svg> that assistive technology reads as one image named by its title and description."""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="dashboard-chart__svg" role="img" '
        'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="13">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
        "{body}</svg>",
        id=chart_id,
        title=title,
        description=description,
        width=width,
        height=height,
        body=body,
    )


def _describe(rows):
    return "; ".join(f"{label}: {value}" for label, value in rows) or gettext("No data.")


def bar_chart(chart_id, title, rows, *, colour=BAR_COLOUR):
    """Horizontal bars, one per (label, value) row, scaled to the largest value."""
    label_width, bar_width, value_width, row_height = 190, 250, 50, 28
    width = label_width + bar_width + value_width
    height = max(len(rows), 1) * row_height + 8
    largest = max((value for _label, value in rows), default=0) or 1
    bars = format_html_join(
        "",
        '<g><text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
        '<text x="{}" y="{}" fill="{}">{}</text></g>',
        (
            (
                label_width - 8,
                index * row_height + 22,
                TEXT_COLOUR,
                Truncator(str(label)).chars(28),
                label_width,
                index * row_height + 8,
                round(bar_width * value / largest, 1),
                row_height - 10,
                colour,
                label_width + round(bar_width * value / largest, 1) + 6,
                index * row_height + 22,
                TEXT_COLOUR,
                value,
            )
            for index, (label, value) in enumerate(rows)
        ),
    )
    return _svg(chart_id, title, _describe(rows), width, height, bars)


def places_chart(chart_id, title, places):
    """
    A gauge per attendance mode: the track is the capacity, the filled part the confirmed places;
    the waiting list is a second bar below. A mode without a limit shows its count alone.
    """
    label_width, bar_width, value_width, block_height = 140, 250, 120, 64
    width = label_width + bar_width + value_width
    height = len(places) * block_height + 8
    largest = max(
        [place.capacity or 0 for place in places]
        + [place.confirmed for place in places]
        + [place.waiting for place in places]
        + [1]
    )
    parts = []
    descriptions = []
    for index, place in enumerate(places):
        top = index * block_height + 8
        scale = bar_width / largest
        if place.has_limit:
            taken = gettext("%(confirmed)s of %(capacity)s") % {
                "confirmed": place.confirmed,
                "capacity": place.capacity,
            }
            track = format_html(
                '<rect x="{}" y="{}" width="{}" height="22" fill="{}"></rect>',
                label_width,
                top,
                round(place.capacity * scale, 1),
                TRACK_COLOUR,
            )
        else:
            taken = gettext("%(confirmed)s, no limit") % {"confirmed": place.confirmed}
            track = ""
        waiting = gettext("%(count)s waiting") % {"count": place.waiting}
        descriptions.append(f"{place.label}: {taken}; {waiting}")
        parts.append(
            format_html(
                '<g><text x="{label_x}" y="{text_y}" text-anchor="end" fill="{text}">{label}</text>'
                "{track}"
                '<rect x="{bar_x}" y="{top}" width="{confirmed_width}" height="22" fill="{bar}"></rect>'
                '<text x="{value_x}" y="{text_y}" fill="{text}">{taken}</text>'
                '<rect x="{bar_x}" y="{waiting_top}" width="{waiting_width}" height="12" fill="{waiting_colour}"></rect>'
                '<text x="{value_x}" y="{waiting_text_y}" fill="{text}" font-size="12">{waiting}</text></g>',
                label_x=label_width - 8,
                text_y=top + 16,
                text=TEXT_COLOUR,
                label=place.label,
                track=track,
                bar_x=label_width,
                top=top,
                confirmed_width=round(place.confirmed * scale, 1),
                bar=BAR_COLOUR,
                value_x=label_width + bar_width + 8,
                taken=taken,
                waiting_top=top + 28,
                waiting_width=round(place.waiting * scale, 1),
                waiting_colour=WAITING_COLOUR,
                waiting_text_y=top + 38,
                waiting=waiting,
            )
        )
    return _svg(chart_id, title, "; ".join(descriptions), width, height, mark_safe("".join(parts)))


def daily_chart(chart_id, title, per_day):
    """Vertical bars, one per day, with the first and last day and the highest count marked."""
    left, bottom, plot_width, plot_height = 40, 40, 460, 180
    width, height = left + plot_width + 20, plot_height + bottom + 10
    if not per_day:
        return _svg(chart_id, title, gettext("No registrations yet."), width, 40, "")
    largest = max(count for _day, count in per_day) or 1
    slot = plot_width / len(per_day)
    bar = max(slot * 0.8, 0.5)
    base = plot_height + 10
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>',
        (
            (
                round(left + index * slot + (slot - bar) / 2, 2),
                round(base - plot_height * count / largest, 2),
                round(bar, 2),
                round(plot_height * count / largest, 2),
                BAR_COLOUR,
            )
            for index, (_day, count) in enumerate(per_day)
            if count
        ),
    )
    first, last = per_day[0][0], per_day[-1][0]
    axes = format_html(
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{text}"></line>'
        '<line x1="{left}" y1="{top}" x2="{right}" y2="{top}" stroke="{track}"></line>'
        '<text x="{label_x}" y="{top_text}" text-anchor="end" fill="{text}">{largest}</text>'
        '<text x="{label_x}" y="{base}" text-anchor="end" fill="{text}">0</text>'
        '<text x="{left}" y="{date_y}" fill="{text}">{first}</text>'
        '<text x="{right}" y="{date_y}" text-anchor="end" fill="{text}">{last}</text>',
        left=left,
        right=left + plot_width,
        base=base,
        top=base - plot_height,
        top_text=base - plot_height + 5,
        label_x=left - 6,
        text=TEXT_COLOUR,
        track=TRACK_COLOUR,
        largest=largest,
        date_y=base + 24,
        first=date_format(first, "SHORT_DATE_FORMAT"),
        last=date_format(last, "SHORT_DATE_FORMAT"),
    )
    busy = [(date_format(day, "SHORT_DATE_FORMAT"), count) for day, count in per_day if count]
    description = gettext("From %(first)s to %(last)s. Days with registrations: %(days)s") % {
        "first": date_format(first, "DATE_FORMAT"),
        "last": date_format(last, "DATE_FORMAT"),
        "days": _describe(busy),
    }
    return _svg(chart_id, title, description, width, height, axes + bars)
