"""
Times on the site: every instant in the visitor's chosen zone, with the event's own time beside it.

A visitor in Santiago reads “10:00 Santiago time (09:00 Lima time)”: their clock first, and the
meeting's official clock so nobody argues about which one the programme means. The instant itself
travels in <time datetime="…Z"> for anything that reads the page by machine.
"""

import datetime
import zoneinfo
from functools import lru_cache

from django import template
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from agenda import timezones
from agenda.timezones import VisitorTimeZone, zone_choices

register = template.Library()


def _visitor(context):
    visitor = context.get("visitor_time_zone")
    if visitor is None and context.get("request") is not None:
        visitor = VisitorTimeZone.of(context["request"])
    return visitor


def _zone_names(context, event):
    visitor = _visitor(context)
    visitor_zone = visitor.name_for(event) if visitor else event.time_zone
    return visitor_zone, event.time_zone


def _iso_utc(instant):
    return instant.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clock(local, event_date):
    """24-hour clock as the concept note prints it; the date only where the day is not the event's."""
    clock = local.strftime("%H:%M")
    if local.date() != event_date:
        clock = gettext("%(date)s, %(time)s") % {
            "date": date_format(local, "MONTH_DAY_FORMAT"),
            "time": clock,
        }
    return clock


def _in_zone(times, zone_name):
    """“09:00 Lima time”; `times` may already be HTML."""
    return mark_safe(
        conditional_escape(gettext("%(time)s %(city)s time"))
        % {
            "time": conditional_escape(times),
            "city": conditional_escape(timezones.zone_city(zone_name)),
        }
    )


def _render(instants, event, context, labelled):
    visitor_zone, event_zone = _zone_names(context, event)
    return _times_html(
        tuple(instants),
        visitor_zone,
        event_zone,
        event.local_starts_at.date(),
        labelled,
        get_language(),
    )


# An agenda draws the same few times over and over, in a handful of zones: each is written once.
@lru_cache(maxsize=2048)
def _times_html(instants, visitor_zone, event_zone, event_date, labelled, language):
    visitor_times = mark_safe(
        "–".join(
            format_html(
                '<time datetime="{}">{}</time>',
                _iso_utc(instant),
                _clock(instant.astimezone(zoneinfo.ZoneInfo(visitor_zone)), event_date),
            )
            for instant in instants
        )
    )
    if visitor_zone == event_zone:
        return _in_zone(visitor_times, event_zone) if labelled else visitor_times
    event_times = "–".join(
        _clock(instant.astimezone(zoneinfo.ZoneInfo(event_zone)), event_date)
        for instant in instants
    )
    return format_html(
        '{} <span class="event-time">({})</span>',
        _in_zone(visitor_times, visitor_zone) if labelled else visitor_times,
        _in_zone(event_times, event_zone),
    )


@register.simple_tag(takes_context=True)
def event_time(context, instant, event, labelled=True):
    """One instant: `{% event_time event.starts_at event %}`."""
    return _render([instant], event, context, labelled)


@register.simple_tag(takes_context=True)
def event_time_range(context, start, end, event, labelled=False):
    """A start and an end: `{% event_time_range session.starts_at session.ends_at event %}`."""
    return _render([start, end], event, context, labelled)


@register.simple_tag(takes_context=True)
def visitor_zone_name(context, event):
    """The zone the page's times are in: the visitor's choice, else the event's own."""
    return _zone_names(context, event)[0]


@register.simple_tag(takes_context=True)
def time_zone_options(context, event):
    """
    Every page's selector: the region's <optgroup>, then the audience's few other zones, the
    visitor's zone selected. The page listing every zone (`all_time_zone_options`) is one link away.
    """
    return _short_options_html(event.starts_at, _zone_names(context, event)[0], get_language())


@register.simple_tag(takes_context=True)
def all_time_zone_options(context, event):
    """The selector of the page listing every zone: the region, then each continent and ocean."""
    return _all_options_html(event.starts_at, _zone_names(context, event)[0], get_language())


def _options(choices, selected, label=lambda choice: choice.label):
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (choice.name, mark_safe(" selected") if choice.name == selected else "", label(choice))
            for choice in choices
        ),
    )


def _optgroup(label, options):
    return format_html('<optgroup label="{}">{}</optgroup>', label, options)


# Built once per instant, choice and language: the same few kilobytes on every page.
@lru_cache(maxsize=128)
def _short_options_html(instant, selected, language):
    region, audience = timezones.short_zone_choices(instant, selected)
    return _optgroup(gettext("Latin America and the Caribbean"), _options(region, selected)) + (
        _optgroup(gettext("Other time zones"), _options(audience, selected))
    )


def _place_and_offset(choice):
    # Under its continent's heading a zone is named without it: “Madrid (UTC+2)”.
    place = choice.name.split("/", 1)[1].replace("_", " ")
    return f"{place} ({timezones.format_offset(choice.offset)})"


@lru_cache(maxsize=32)
def _all_options_html(instant, selected, language):
    region, _others = zone_choices(instant)
    groups = [_optgroup(gettext("Latin America and the Caribbean"), _options(region, selected))]
    areas = timezones.zone_areas(instant)
    for area in areas[:-1]:
        groups.append(_optgroup(area.label, _options(area.choices, selected, _place_and_offset)))
    rest = areas[-1]
    groups.append(_optgroup(rest.label, _options(rest.choices, selected)))
    return mark_safe("\n".join(groups))


@register.filter
def zone_city(zone_name):
    """`{{ "America/Santiago"|zone_city }}` → “Santiago”, translated."""
    return timezones.zone_city(zone_name)


@register.filter
def clock(instant):
    """The wall-clock time an aware datetime already carries, without moving it to another zone."""
    return instant.strftime("%H:%M")


@register.filter
def iso_utc(instant):
    return _iso_utc(instant)


@register.filter
def long_date(instant):
    """The date in the zone the datetime carries (Django's |date would move it to Lima first)."""
    return date_format(instant, "DATE_FORMAT")
