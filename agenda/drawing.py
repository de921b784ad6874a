"""
Pieces of the public pages and calendars drawn once per version of what they show, then reused.

A session's part of the agenda and its VEVENT in the calendars depend only on the session, its
speakers and their organisations, the event (its slug, venue and zone) and the language. Whatever
changes any of those moves the session's or the event's `updated_at` (agenda/models.py keeps that
promise for the page cache already), so a key made of both, with the language, names one version:
an edit makes a new key, never a stale piece. A redraw of the agenda after one session is edited
(or in a language or time zone not drawn yet) then costs the sessions that changed, not all of them,
and an agenda of forty sessions costs little more than one of ten.

Pieces are kept per process and bounded: when full, they are dropped wholesale and drawn again.

What they are drawn from, the published event and its sessions, is read once per state of the
agenda (pagecache.KeptWhileUnchanged): the agenda drawn again in another time zone or language,
or with the page cache cold but the agenda unchanged, asks the database for neither.
"""

from django.db.models import prefetch_related_objects
from django.http import Http404
from django.template.loader import get_template
from django.utils.translation import get_language

from pagecache import KeptWhileUnchanged

from .models import Event, speakers_prefetch

MAX_PIECES = 2000


class DrawnPieces:
    """A bounded, per-process store of drawn pieces, keyed by what they were drawn from."""

    def __init__(self, max_pieces=MAX_PIECES):
        self.max_pieces = max_pieces
        self._pieces = {}

    def get(self, key):
        return self._pieces.get(key)

    def keep(self, key, piece):
        if len(self._pieces) >= self.max_pieces:
            self._pieces.clear()
        self._pieces[key] = piece

    def forget(self):
        self._pieces.clear()


def session_version(event, session):
    """
    What a session's pieces are drawn from, as a key: the session's and event's versions, and
    whether the meeting is over (a past meeting's entries say it took place).
    """
    return (
        session.pk,
        session.updated_at,
        session.sequence,
        event.pk,
        event.updated_at,
        event.is_past,
    )


# Each session's entry in the agenda; each session's VEVENT in the public calendars (calendars.py).
agenda_items = DrawnPieces()
calendar_entries = DrawnPieces()


def agenda_item_bodies(event, sessions):
    """
    The HTML of each session's entry in the agenda (everything but its time, which follows the
    visitor's zone), in the active language. Only sessions not drawn before have their speakers
    looked up: one query for all of them.
    """
    language = get_language()
    keys = [(*session_version(event, session), language) for session in sessions]
    bodies = {key: agenda_items.get(key) for key in keys}
    missing = [
        (session, key) for session, key in zip(sessions, keys, strict=True) if bodies[key] is None
    ]
    if missing:
        prefetch_related_objects([session for session, _key in missing], speakers_prefetch())
        template = get_template("agenda/_agenda_item.html")
        for session, key in missing:
            bodies[key] = template.render({"session": session, "event": event})
            agenda_items.keep(key, bodies[key])
    return [bodies[key] for key in keys]


# The published events and their sessions, as the public pages and calendars read them.
public_events = KeptWhileUnchanged()


def published_event(request, slug):
    """
    The published event at this address, with its roundtable, or None: read once per state of the
    agenda and shared by the process's requests, which only read it (filling its caches included).
    """

    def read():
        return Event.objects.published().select_related("roundtable").filter(slug=slug).first()

    return public_events.get(request, ("event", slug), read)


def published_event_or_404(request, slug):
    """published_event(), or Http404 when no published event has this address."""
    event = published_event(request, slug)
    if event is None:
        raise Http404
    return event


def event_sessions(request, event):
    """The sessions of a published event, in order, each knowing its event; kept as the event is."""
    return public_events.get(request, ("sessions", event.pk), lambda: tuple(event.sessions.all()))


def forget_drawn_pieces():
    """Draw every piece again (tests: ids come back after a rollback, with the same clock)."""
    agenda_items.forget()
    calendar_entries.forget()
    public_events.forget()
