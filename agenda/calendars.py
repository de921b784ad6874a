"""
The meeting's calendars (RFC 5545): the whole meeting, one session, and a subscription feed.

Each session is one VEVENT with the same UID in every file, so a calendar that imported the whole
meeting and later one session (or subscribes to the feed) updates the entry instead of doubling it.
Text follows the active language: the views run under /es/ or /en/, and a caller without a request
(an e-mail) wraps build_calendar() in translation.override().

The join link and access details are private: nothing here reads them. A personal calendar for a
confirmed virtual participant passes them in through build_calendar(extra_description=...).
"""

import copy
import datetime
from functools import lru_cache

from django.conf import settings
from django.db.models import Max, prefetch_related_objects
from django.http import HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_safe
from icalendar import Calendar, Timezone, vDuration
from icalendar import Event as CalendarEvent

from pagecache import CalendarSource, cached_calendar

from .drawing import calendar_entries, event_sessions, published_event, session_version
from .models import Session, SessionSpeaker, speakers_prefetch

CONTENT_TYPE = "text/calendar; charset=utf-8"
# How often subscribed clients should fetch the feed again (RFC 7986 and its Microsoft ancestor).
FEED_REFRESH_INTERVAL = datetime.timedelta(hours=1)


def session_uid(event, session):
    """A UID made of what never changes when an organiser edits the session (RFC 5545 §3.8.4.7)."""
    return f"session-{session.pk}@{event.slug}.forum"


def last_modified(event):
    """
    The latest instant at which anything in the event's public calendar changed.

    Editing a speaker or an organisation moves their sessions' `updated_at`, and deleting a session
    moves the event's (agenda/models.py), so this moves with every change a calendar shows.
    """
    latest_session = event.sessions.aggregate(latest=Max("updated_at"))["latest"]
    return max(instant for instant in (event.updated_at, latest_session) if instant)


def build_calendar(
    event,
    sessions,
    *,
    base_url,
    extra_description="",
    method="PUBLISH",
    subscription=False,
    stamp=None,
):
    """
    An icalendar.Calendar with one VEVENT per session, its times in the event's own time zone.

    `sessions` should come from Session.objects.with_speakers() so the speakers cost no query per
    session. `base_url` ("https://host", no trailing slash) makes each session's URL absolute.
    `extra_description` is appended to every description: the place for a personal calendar to add
    what only its owner may see. `subscription` adds the feed's name and refresh interval.
    """
    stamp = stamp or timezone.now()
    calendar = Calendar()
    calendar.add(
        "PRODID", f"-//SGCAN//Forum agenda//{(get_language() or settings.LANGUAGE_CODE).upper()}"
    )
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    if subscription:
        calendar.calendar_name = event.title  # NAME, and X-WR-CALNAME for older clients
        calendar.add("X-WR-TIMEZONE", event.time_zone)
        # VALUE=DURATION is required by RFC 7986; X-PUBLISHED-TTL is what Outlook still reads.
        calendar.add("REFRESH-INTERVAL", FEED_REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", vDuration(FEED_REFRESH_INTERVAL))

    sessions = list(sessions)
    for session in sessions:
        if session.event_id != event.pk:
            raise ValueError(f"Session {session.pk} is not part of event {event.slug!r}.")
        # The session's page URL reads session.event: reuse ours instead of a query per session.
        session.event = event
        calendar.add_component(
            _session_component(event, session, base_url, extra_description, stamp)
        )
    _add_time_zones(calendar, event, sessions)
    return calendar


def _session_component(event, session, base_url, extra_description, stamp):
    zone = event.zone
    return CalendarEvent.new(
        uid=session_uid(event, session),
        stamp=stamp,
        created=session.created_at,
        last_modified=session.updated_at,
        sequence=session.sequence,
        start=timezone.localtime(session.starts_at, zone),
        end=timezone.localtime(session.ends_at, zone),
        summary=session.title,
        location=_location(event, session),
        url=base_url + session.get_absolute_url(),
        description=_description(event, session, extra_description),
        categories=[str(session.get_kind_display())],
        status="CONFIRMED",
    )


def _location(event, session):
    place = ", ".join(
        part for part in (session.location, event.venue_name, event.venue_address) if part
    )
    if not event.virtual_platform_name:
        return place
    if not place:
        return gettext("Online")
    also_online = gettext("Also online")
    return f"{place} · {also_online}"


def past_meeting_note(event):
    """What a calendar entry of a meeting that has ended says first: that it took place, and when."""
    return gettext("This meeting took place on %(date)s.") % {
        "date": date_format(event.local_starts_at, "DATE_FORMAT")
    }


def _description(event, session, extra_description):
    paragraphs = [str(session.get_kind_display())]
    if event.is_past:
        paragraphs.insert(0, past_meeting_note(event))
    links = session.ordered_speakers
    if links:
        paragraphs.append(
            "\n".join([gettext("Speakers:"), *(f"- {_speaker_line(link)}" for link in links)])
        )
    if session.participants_note:
        paragraphs.append(gettext("Participants: %(note)s") % {"note": session.participants_note})
    if session.is_to_be_confirmed:
        paragraphs.append(gettext("Participation to be confirmed."))
    topics = session.topics_list
    if topics:
        paragraphs.append("\n".join([gettext("Topics:"), *(f"- {topic}" for topic in topics)]))
    if extra_description:
        paragraphs.append(extra_description)
    return "\n\n".join(paragraphs)


def _speaker_line(link):
    speaker = link.speaker
    parts = [speaker.display_name, speaker.position]
    if speaker.organisation:
        parts.append(str(speaker.organisation))
    line = ", ".join(part for part in parts if part)
    if link.role == SessionSpeaker.Role.MODERATOR:
        moderator = gettext("moderator")
        line += f" ({moderator})"
    if not speaker.is_confirmed:
        to_be_confirmed = gettext("to be confirmed")
        line += f" ({to_be_confirmed})"
    return line


def _add_time_zones(calendar, event, sessions):
    """Add a VTIMEZONE for every TZID in use, covering only the days the calendar spans."""
    instants = [event.starts_at, event.ends_at]
    for session in sessions:
        instants += [session.starts_at, session.ends_at]
    first = timezone.localtime(min(instants), event.zone).date() - datetime.timedelta(days=1)
    last = timezone.localtime(max(instants), event.zone).date() + datetime.timedelta(days=1)
    # The event's own zone goes in even without sessions: a VCALENDAR needs one component.
    tzids = sorted(calendar.get_missing_tzids() | {event.time_zone})
    # Per RFC 5545 every VTIMEZONE precedes the components that refer to it.
    for position, tzid in enumerate(tzids):
        calendar.subcomponents.insert(position, copy.deepcopy(_time_zone(tzid, first, last)))


@lru_cache(maxsize=32)
def _time_zone(tzid, first, last):
    # Generating a VTIMEZONE from zoneinfo takes tens of milliseconds; the answer never changes.
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _drawn_session_key(event, session, base_url):
    # The language names the kind and the labels; the site address is in every URL.
    return (*session_version(event, session), get_language(), base_url)


def _draw_session(event, session, base_url):
    """The session's VEVENT as bytes, without DTSTAMP: that is the instant the file is made."""
    component = _session_component(event, session, base_url, "", stamp=None)
    del component["DTSTAMP"]
    return component.to_ical()


def public_calendar_file(event, sessions, *, base_url, subscription=False, stamp=None):
    """
    The bytes of build_calendar(event, sessions, ...) for the public calendars: the same content,
    but each session's VEVENT is serialised once per version and language and then reused
    (drawing.py), so a redraw after an edit, or in the other language, costs the sessions that
    changed. `sessions` may come without their speakers: only those not drawn before are looked
    up, in one query.
    """
    stamp = stamp or timezone.now()
    sessions = list(sessions)
    for session in sessions:
        if session.event_id != event.pk:
            raise ValueError(f"Session {session.pk} is not part of event {event.slug!r}.")
        session.event = event
    keys = [_drawn_session_key(event, session, base_url) for session in sessions]
    entries = {key: calendar_entries.get(key) for key in keys}
    missing = [
        (session, key) for session, key in zip(sessions, keys, strict=True) if entries[key] is None
    ]
    if missing:
        prefetch_related_objects([session for session, _key in missing], speakers_prefetch())
        for session, key in missing:
            entries[key] = _draw_session(event, session, base_url)
            calendar_entries.keep(key, entries[key])

    # The calendar's own properties through icalendar (a few lines), then its VTIMEZONE, drawn
    # once per zone and span of days, then the sessions.
    frame = build_calendar(event, [], base_url=base_url, subscription=subscription, stamp=stamp)
    frame.subcomponents = []
    head, end = frame.to_ical().rsplit(b"END:VCALENDAR", 1)
    dtstamp = b"DTSTAMP:" + stamp.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ").encode()
    events = (
        entries[key].replace(b"BEGIN:VEVENT\r\n", b"BEGIN:VEVENT\r\n" + dtstamp + b"\r\n", 1)
        for key in keys
    )
    return b"".join([head, _time_zone_lines(event, sessions), *events, b"END:VCALENDAR", end])


def _time_zone_lines(event, sessions):
    """The event zone's VTIMEZONE over the days the calendar spans, as _add_time_zones adds it."""
    instants = [event.starts_at, event.ends_at]
    for session in sessions:
        instants += [session.starts_at, session.ends_at]
    first = timezone.localtime(min(instants), event.zone).date() - datetime.timedelta(days=1)
    last = timezone.localtime(max(instants), event.zone).date() + datetime.timedelta(days=1)
    return _time_zone_ical(event.time_zone, first, last)


@lru_cache(maxsize=32)
def _time_zone_ical(tzid, first, last):
    return _time_zone(tzid, first, last).to_ical()


def feed_addresses(path):
    """
    A feed's address for subscription (webcal://) and as a plain web address, on the site's
    configured address. Never on the request's Host header: ALLOWED_HOSTS matching ignores the
    port, so "Host: localhost:9999" was served and copied into links people keep for months.
    """
    web_address = settings.SITE_URL + path
    return {"webcal_url": "webcal://" + web_address.split("://", 1)[1], "feed_url": web_address}


def _calendar_response(content, filename, *, as_attachment):
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    return response


def _meeting_source(request, event_slug):
    """The published event, with the latest change to it or its sessions."""
    event = published_event(request, event_slug)
    if event is None:
        return None
    sessions = event_sessions(request, event)
    sessions_changed = max((session.updated_at for session in sessions), default=None)
    return CalendarSource(
        subject=event,
        last_modified=_changed_at(event, event.updated_at, sessions_changed),
        # The count notices a deleted session even where the clock could not; whether the meeting
        # is past changes every description ("took place on …").
        version=(event.pk, event.updated_at, sessions_changed, len(sessions), event.is_past),
    )


def _changed_at(event, *instants):
    """
    The latest change to what the calendar shows: the rows' `updated_at`, and the meeting's end
    once it has passed, since from then on its entries say it took place.
    """
    return max(filter(None, (*instants, event.ends_at if event.is_past else None)))


def _session_source(request, event_slug, pk):
    session = (
        Session.objects.select_related("event")
        .filter(event__slug=event_slug, event__is_published=True, pk=pk)
        .first()
    )
    if session is None:
        return None
    event = session.event
    return CalendarSource(
        subject=session,
        last_modified=_changed_at(event, session.updated_at, event.updated_at),
        version=(session.pk, session.updated_at, event.pk, event.updated_at, event.is_past),
    )


@require_safe
@cached_calendar(_meeting_source)
def event_calendar(request, event):
    """The whole meeting as a file to import once."""
    content = public_calendar_file(
        event, event_sessions(request, event), base_url=settings.SITE_URL
    )
    return _calendar_response(content, f"{event.slug}.ics", as_attachment=True)


@require_safe
@cached_calendar(_meeting_source)
def event_feed(request, event):
    """The whole meeting for subscription: its address never changes; 304 until the agenda does."""
    content = public_calendar_file(
        event, event_sessions(request, event), base_url=settings.SITE_URL, subscription=True
    )
    return _calendar_response(content, f"{event.slug}.ics", as_attachment=False)


@require_safe
@cached_calendar(_session_source)
def session_calendar(request, session):
    """One session as a file to import."""
    event = session.event
    content = public_calendar_file(event, [session], base_url=settings.SITE_URL)
    return _calendar_response(content, f"{event.slug}-session-{session.pk}.ics", as_attachment=True)
