"""
Public pages and calendars kept in Django's cache (settings.CACHES: per process locally, Redis in
production), answered by PublicPageCacheMiddleware before the session, the user, CSRF or the URL
resolver are looked at, and answered with 304 Not Modified to calendar clients that already have
them.

What a public page shows depends on the agenda in the database, the language, the visitor's time
zone (from ?tz= or the cookie; an unknown ?tz= shows a warning, so it is its own page; calendars do
not depend on it), the address it was asked at (calendar links are absolute, the language links
keep the query string), and the clock, but only where a registration window opens or closes. The
cache key is made of all of these.

The agenda's part of the key is a fingerprint read from the database in one query: how many events
and sessions there are, their latest `updated_at`, and how many registration windows have opened
and closed by now. A change committed by any process moves it, in the same transaction as the
change. Each process reads it at most every PUBLIC_PAGE_FINGERPRINT_MAX_AGE seconds (one by
default), so a cached page costs no query at all, and again at once after a change it saved itself
(the signals below): the process that saved shows the change on its next request, every other
gunicorn worker and host within that second, whether they share Redis or each keep a local-memory
cache. An organiser cannot tell the second from "at once"; the page costs nothing to serve. A
generation counter kept in the cache (cache.incr) would need no database, but with per-process
caches the other workers would never hear of the change, the counter could be evicted and start
again at a number whose pages are still stored, and an edit made without calling the code that
bumps it would never show. agenda/models.py keeps the fingerprint honest: whatever changes what an
event or a session shows (its speakers, their organisations, a deletion) moves that event's or
session's `updated_at`.

While the database cannot be reached, the fingerprint last read stands in: nothing can change the
agenda meanwhile, so pages already drawn are served and only the others get the 503 "try again".

Entries of an older fingerprint are never read again and expire after CACHE_TIMEOUT, which also
bounds how long something no fingerprint sees stays visible (new templates after a deploy, an edit
made in SQL without touching `updated_at`).

A cached response carries nothing about the visitor. The page is stored only if drawing it read
neither the session (which would add `Vary: Cookie` and could show the signed-in person) nor the
messages, and asked for neither a CSRF token nor a CSP nonce; the time zone cookie a ?tz= link
sets is added to each response, stored or fresh, never stored with it.
"""

import datetime
import functools
import hashlib
import logging
import math
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import Http404, HttpResponse
from django.middleware.csp import get_nonce
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import parse_http_date_safe
from django.utils.translation import get_language_from_path
from django.views.decorators.http import condition

from .models import Event, Session
from .timezones import VisitorTimeZone

logger = logging.getLogger(__name__)

KEY_PREFIX = "agenda.public"
# Long enough for anything not in the fingerprint to catch up; entries of an old fingerprint
# mostly just wait here to expire.
CACHE_TIMEOUT = 10 * 60
# A longer query string is no link people share: such a page is drawn every time rather than
# filling the cache with one entry per made-up address.
MAX_CACHED_QUERY_LENGTH = 200


def _digest(*parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@functools.cache
def _fingerprint_query():
    # Plain SQL: building this aggregate through the ORM cost several times what running it does,
    # on every request. Table and column names still come from the models.
    event, session = Event._meta, Session._meta

    def column(meta, name):
        return connection.ops.quote_name(meta.get_field(name).column)

    events, sessions = (connection.ops.quote_name(meta.db_table) for meta in (event, session))
    return (
        f"SELECT (SELECT COUNT(*) FROM {events}),"
        f" (SELECT MAX({column(event, 'updated_at')}) FROM {events}),"
        f" (SELECT COUNT(*) FROM {sessions}),"
        f" (SELECT MAX({column(session, 'updated_at')}) FROM {sessions}),"
        f" (SELECT COUNT(*) FROM {events} WHERE {column(event, 'registration_opens_at')} <= %s),"
        f" (SELECT COUNT(*) FROM {events} WHERE {column(event, 'registration_closes_at')} <= %s)"
    )


def agenda_fingerprint(now=None):
    """
    A digest of the state of every public page, in one query: it changes whenever an organiser
    changes the agenda (see agenda/models.py) and whenever a registration window opens or closes.
    """
    # The registration window is compared with the clock, never the meeting's own date.
    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_query(), [now, now])
        summary = cursor.fetchone()
    return _digest(*summary)


@dataclass
class _Reading:
    fingerprint: str | None = None
    read_at: float = -math.inf


# The fingerprint this process read last, and when (time.time()).
_latest = _Reading()


def current_fingerprint():
    """
    The agenda's fingerprint, read from the database at most every
    settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE seconds in this process, and at once after a change
    this process committed. While the database cannot be reached the agenda cannot change either:
    the last reading stands in, so pages drawn under it are still served rather than a 503.
    """
    # The wall clock, as the registration windows are compared with it; one set back (or moved by
    # a test) makes the reading too old as well.
    age = time.time() - _latest.read_at
    if _latest.fingerprint is None or not 0 <= age < settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE:
        try:
            fingerprint = agenda_fingerprint()
        except DatabaseError:
            if _latest.fingerprint is None:
                raise
            logger.warning("Database unreachable; public pages served as last drawn", exc_info=True)
        else:
            _latest.fingerprint, _latest.read_at = fingerprint, time.time()
    return _latest.fingerprint


def forget_fingerprint():
    """The next request reads the fingerprint from the database again."""
    _latest.read_at = -math.inf


@receiver(post_save, dispatch_uid="agenda.caching.saved")
@receiver(post_delete, dispatch_uid="agenda.caching.deleted")
@receiver(m2m_changed, dispatch_uid="agenda.caching.m2m_changed")
def _forget_after_agenda_change(sender, **kwargs):
    # Whatever an organiser changes in the agenda app is saved through a model: the process that
    # saved it shows the change on its next request, the others within
    # PUBLIC_PAGE_FINGERPRINT_MAX_AGE.
    if sender._meta.app_label == Event._meta.app_label:
        # Now for this process's next request, and again once committed, in case another thread
        # of this process read the fingerprint in between.
        forget_fingerprint()
        transaction.on_commit(forget_fingerprint)


def _request_fingerprint(request):
    # One reading per request, however many times it is asked for.
    if not hasattr(request, "_agenda_fingerprint"):
        request._agenda_fingerprint = current_fingerprint()
    return request._agenda_fingerprint


def _address(request):
    # The language as LocaleMiddleware will read it: the middleware below asks before it has run.
    return (
        request.scheme,
        request.get_host(),
        request.path,
        get_language_from_path(request.path_info),
    )


def page_key(request, *, by_time_zone=True):
    """The cache key of a public page for this request, or None when it should not be stored."""
    query = request.META.get("QUERY_STRING", "")
    if request.method not in ("GET", "HEAD") or len(query) > MAX_CACHED_QUERY_LENGTH:
        return None
    # The query string holds ?tz= and is repeated in the language links; the cookie's zone
    # counts only when the link chose none.
    zone = (VisitorTimeZone.of(request).name or "") if by_time_zone else None
    digest = _digest(_request_fingerprint(request), *_address(request), query, zone)
    return f"{KEY_PREFIX}.page.{digest}"


def _holds_visitor_state(request):
    """Whether drawing the page touched anything that belongs to this visitor alone."""
    session = getattr(request, "session", None)
    messages = getattr(request, "_messages", None)
    return bool(
        (session is not None and session.accessed)
        or (messages is not None and messages.used)
        or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        # A CSP nonce is good for one response only: the next would carry a new one in its header.
        or get_nonce(request)
    )


def _freeze(response):
    return {
        "status": response.status_code,
        "content": response.content,
        "headers": dict(response.headers.items()),
    }


def _thaw(stored):
    return HttpResponse(stored["content"], status=stored["status"], headers=stored["headers"])


def _cache_get(key):
    # A cache that cannot be reached (Redis restarting) costs speed, never the page.
    try:
        return cache.get(key)
    except Exception:
        logger.warning("Public page cache unreachable; drawing the page", exc_info=True)
        return None


def _cache_set(key, value):
    try:
        cache.set(key, value, CACHE_TIMEOUT)
    except Exception:
        logger.warning("Public page cache unreachable; page not kept", exc_info=True)


def _keep_if_public(key, request, response):
    """Store `response` under `key` if it is a whole page that carries nothing of this visitor."""
    storable = (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not _holds_visitor_state(request)
    )
    if storable:
        _cache_set(key, _freeze(response))


# The paths public pages answered in this process, each with whether its page is drawn in the
# visitor's time zone (calendars are not). What code a path leads to, not what the database holds,
# so each process may learn it on its own.
_public_paths = {}


def mark_public_page(request, *, by_time_zone=True):
    """
    Called by a public page's view before it draws anything: PublicPageCacheMiddleware may keep
    the page. The fingerprint is read first, so an edit committed while the page is being drawn
    cannot be stored under the fingerprint that already includes it.
    """
    request._public_page_by_time_zone = by_time_zone
    _request_fingerprint(request)


class PublicPageCacheMiddleware:
    """
    Answers public pages and calendars from the cache before the rest of the middleware and the
    URL resolver run: a stored page already carries the headers they added when it was drawn, and
    nothing of the visitor. It sits before sessions, languages (the key reads the language from
    the path, as LocaleMiddleware does), users and CSRF; only SecurityMiddleware and WhiteNoise
    come first, so HTTPS redirects and static files work as before.

    Only paths a public page answered in this process cost the fingerprint query up front: any
    other request passes straight through.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        by_time_zone = _public_paths.get(request.path)
        key = page_key(request, by_time_zone=by_time_zone) if by_time_zone is not None else None
        stored = _cache_get(key) if key else None
        if stored is not None:
            response = self._reuse(request, stored)
        else:
            response = self.get_response(request)
            by_time_zone = getattr(request, "_public_page_by_time_zone", None)
            if by_time_zone is None:
                return response
            if response.status_code == 200:
                _public_paths[request.path] = by_time_zone
            if key := page_key(request, by_time_zone=by_time_zone):
                _keep_if_public(key, request, response)
        if not by_time_zone:
            return response
        # A ?tz= link sets the cookie on the stored copy as on a fresh one.
        return VisitorTimeZone.of(request).remember(response, secure=request.is_secure())

    @staticmethod
    def _reuse(request, stored):
        response = _thaw(stored)
        etag, last_modified = response.get("ETag"), response.get("Last-Modified")
        if etag is None and last_modified is None:
            return response
        # A calendar client that already has this version gets 304 Not Modified.
        return get_conditional_response(
            request,
            etag=etag,
            last_modified=last_modified and parse_http_date_safe(last_modified),
            response=response,
        )


# Calendars --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSource:
    """What a calendar is drawn from (an event, a session) and what tells whether it changed."""

    subject: object
    last_modified: datetime.datetime
    version: tuple


def cached_calendar(find):
    """
    Decorates a public calendar view: `find(**url_kwargs)` looks up its CalendarSource in one query
    (None: 404) and the view is called as view(request, source.subject). The calendar is kept by
    PublicPageCacheMiddleware like a page (one copy for every time zone); ETag and Last-Modified
    let subscribed clients get 304 Not Modified until the source changes.
    """

    def decorator(view):
        def source(request, **kwargs):
            # The ETag, the Last-Modified date and the view all ask: one lookup per request.
            if not hasattr(request, "_calendar_source"):
                request._calendar_source = find(**kwargs)
            return request._calendar_source

        def last_modified(request, **kwargs):
            found = source(request, **kwargs)
            return found.last_modified if found else None

        def etag(request, **kwargs):
            found = source(request, **kwargs)
            if found is None:
                return None
            # Weak: two processes drawing the same version differ in DTSTAMP, not in meaning.
            return f'W/"{_digest(found.version, *_address(request))[:32]}"'

        def draw(request, **kwargs):
            found = source(request, **kwargs)
            if found is None:
                raise Http404
            return view(request, found.subject)

        conditional = condition(etag_func=etag, last_modified_func=last_modified)(draw)

        @wraps(view)
        def wrapper(request, **kwargs):
            mark_public_page(request, by_time_zone=False)
            response = conditional(request, **kwargs)
            if response.status_code in (200, 304):
                # Kept by browsers and proxies, but asked about each time: a change shows at once.
                patch_cache_control(response, no_cache=True)
            return response

        return wrapper

    return decorator
