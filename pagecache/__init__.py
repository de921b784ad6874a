"""
The public-page cache: project infrastructure every app uses, and which imports none of them.

Public pages and calendars are kept in their own cache (settings.PAGE_CACHE_ALIAS: per process
locally, Redis in production, never the store of the rate limits), answered by
PublicPageFront in front of Django's handler or by PublicPageCacheMiddleware before the session,
the user, CSRF or the URL resolver are looked at, and answered with 304 Not Modified to calendar
clients that already have them.

What a public page shows depends on the state of the database, the language, the address it was
asked at (calendar links are absolute), what the page's variant reads of the request (the agenda's
pages: the visitor's time zone, from ?tz= or the cookie) and the clock, but only where a
registration window opens or closes. The cache key is made of these and nothing else: other query
parameters (utm tags, made-up ones) find the same stored page, and pages link back only with the
parameters that count.

The database's part of the key is a fingerprint read in one query from what the apps registered
(`register`, called from each app's AppConfig.ready()): for each model, how many rows there are
and their latest `updated_at`, and for each of its "moments" (a registration window's opening and
closing) how many have passed by now. A change committed by any process moves it, in the same
transaction as the change. Each process reads it at most every PUBLIC_PAGE_FINGERPRINT_MAX_AGE
seconds (one by default), so a cached page costs no query at all, and again at once after a
change it saved itself (signals connected by `register`, for the registered models only): the
process that saved shows the change on its next request, every other gunicorn worker and host
within that second, whether they share Redis or each keep a local-memory cache. A generation
counter kept in the cache (cache.incr) would need no database, but with per-process caches the
other workers would never hear of the change, the counter could be evicted and start again at a
number whose pages are still stored, and an edit made without calling the code that bumps it would
never show. Each app keeps the fingerprint honest for its own models: agenda/models.py makes
whatever changes what an event or a session shows (its speakers, their organisations, a deletion)
move that event's or session's `updated_at`.

While the database cannot be reached, the fingerprint last read stands in: nothing can change the
agenda meanwhile, so pages already drawn are served and only the others get the 503 "try again".

Entries of an older fingerprint are never read again and expire after CACHE_TIMEOUT, which also
bounds how long something no fingerprint sees stays visible (new templates after a deploy, an edit
made in SQL without touching `updated_at`).

Pages are stored compressed, one copy per encoding the clients accept (brotli, gzip, none: the
encoding is part of the key), so a page served from the cache costs no compression;
CompressionMiddleware, right after this one, compresses what is drawn (compression.py).

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
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIRequest
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404, HttpResponse
from django.middleware.csp import get_nonce
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_http_date_safe
from django.utils.translation import get_language_from_path
from django.views.decorators.http import condition

from . import compression

logger = logging.getLogger(__name__)

KEY_PREFIX = "pagecache"
# Long enough for anything not in the fingerprint to catch up; entries of an old fingerprint
# mostly just wait here to expire.
CACHE_TIMEOUT = 10 * 60


def _digest(*parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# The registry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PublicState:
    model: type
    moments: tuple = ()


# What public pages show, as the apps registered it: [(model, moments)], in registration order.
_public_state = []


def register(model, *, moments=(), watch=()):
    """
    Tell the cache that public pages show `model`'s rows: how many there are and their latest
    `updated_at` enter the fingerprint, and so does how many of each `moments` field (a datetime:
    a registration window's opening, say) have passed. `watch` names models whose changes move
    `model`'s `updated_at` (a session's speakers): the process that saves one reads the state again
    at once, as it does for `model` itself. Called from each app's AppConfig.ready().
    """
    if any(state.model is model for state in _public_state):
        return
    _public_state.append(_PublicState(model, tuple(moments)))
    _fingerprint_query.cache_clear()
    for watched in (model, *watch):
        uid = f"pagecache.{watched._meta.label_lower}"
        post_save.connect(_forget_after_change, sender=watched, dispatch_uid=f"{uid}.saved")
        post_delete.connect(_forget_after_change, sender=watched, dispatch_uid=f"{uid}.deleted")
        m2m_changed.connect(_forget_after_change, sender=watched, dispatch_uid=f"{uid}.m2m")


@functools.cache
def _fingerprint_query():
    # Plain SQL: building this aggregate through the ORM cost several times what running it does,
    # on every request. Table and column names still come from the models.
    quote = connection.ops.quote_name
    parts, moment_count = [], 0
    for state in _public_state:
        meta = state.model._meta
        table = quote(meta.db_table)
        updated_at = quote(meta.get_field("updated_at").column)
        parts += [f"(SELECT COUNT(*) FROM {table})", f"(SELECT MAX({updated_at}) FROM {table})"]
        for moment in state.moments:
            column = quote(meta.get_field(moment).column)
            parts.append(f"(SELECT COUNT(*) FROM {table} WHERE {column} <= %s)")
            moment_count += 1
    return f"SELECT {', '.join(parts) or '0'}", moment_count


def public_state_fingerprint(now=None):
    """
    A digest of the state of every public page, in one query: it changes whenever a registered
    model's rows change (an organiser edits the agenda) and whenever a registered moment passes (a
    registration window opens or closes).
    """
    # Moments are compared with the clock, never with the meeting's own date.
    now = connection.ops.adapt_datetimefield_value(now or timezone.now())
    query, moment_count = _fingerprint_query()
    with connection.cursor() as cursor:
        cursor.execute(query, [now] * moment_count)
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
    The public state's fingerprint, read from the database at most every
    settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE seconds in this process, and at once after a change
    this process committed. While the database cannot be reached the agenda cannot change either:
    the last reading stands in, so pages drawn under it are still served rather than a 503.
    """
    # The wall clock, as the registration windows are compared with it; one set back (or moved by
    # a test) makes the reading too old as well.
    age = time.time() - _latest.read_at
    if _latest.fingerprint is None or not 0 <= age < settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE:
        try:
            fingerprint = public_state_fingerprint()
        except DatabaseError:
            # A connection the database dropped is closed, so the next reading opens a new one:
            # PublicPageFront reads outside Django's request signals, which would close it.
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            if _latest.fingerprint is None:
                raise
            logger.warning("Database unreachable; public pages served as last drawn", exc_info=True)
        else:
            _latest.fingerprint, _latest.read_at = fingerprint, time.time()
    return _latest.fingerprint


def forget_fingerprint():
    """The next request reads the fingerprint from the database again."""
    _latest.read_at = -math.inf


class KeptWhileUnchanged:
    """
    What public pages are drawn from (a published event, its sessions), read from the database once
    and kept in this process for as long as the public state's fingerprint stays the same: the
    agenda drawn again in another time zone or language, or with the page cache cold, costs no
    query for it. Whatever would change a kept value moves the fingerprint (the promise `register`
    asks of each app, the one the page cache itself relies on), and the first reading under a new
    fingerprint drops every value kept under the old one.

    A value is computed after the fingerprint that keys it was read, so it is never older than the
    state that fingerprint names. Values are shared by every request of the process: callers read
    them and never change them. Bounded: when full, everything kept is dropped and read again.
    """

    def __init__(self, max_entries=500):
        self.max_entries = max_entries
        self._fingerprint = None
        self._values = {}

    def get(self, request, key, compute):
        """
        The value kept under `key` for the state this request reads (the fingerprint the page
        is cached under), or `compute()`, kept now.
        """
        fingerprint = _request_fingerprint(request)
        if fingerprint != self._fingerprint:
            self._values, self._fingerprint = {}, fingerprint
        # This state's dictionary, even if another thread moves to a newer one meanwhile.
        values = self._values
        try:
            return values[key]
        except KeyError:
            pass
        value = compute()
        if len(values) >= self.max_entries:
            values.clear()
        values[key] = value
        return value

    def forget(self):
        self._values, self._fingerprint = {}, None


def _forget_after_change(sender, **kwargs):
    # Whatever changes what public pages show is saved through a registered model: the process that
    # saved it shows the change on its next request, the others within
    # PUBLIC_PAGE_FINGERPRINT_MAX_AGE. Now for this process's next request, and again once
    # committed, in case another thread of this process read the fingerprint in between.
    forget_fingerprint()
    transaction.on_commit(forget_fingerprint)


def _request_fingerprint(request):
    # One reading per request, however many times it is asked for.
    if not hasattr(request, "_public_state_fingerprint"):
        request._public_state_fingerprint = current_fingerprint()
    return request._public_state_fingerprint


def _address(request):
    # The language as LocaleMiddleware will read it: the middleware below asks before it has run.
    return (
        request.scheme,
        request.get_host(),
        request.path,
        get_language_from_path(request.path_info),
    )


class NoVariant:
    """A public response that is the same for every visitor (a calendar)."""

    @staticmethod
    def key(request):
        return ""

    @staticmethod
    def remember(request, response):
        return response


def page_key(request, variant):
    """
    The cache key of a public page for this request, or None when it should not be stored.

    Only what changes the page enters it: the state of the database, the address without its query
    string, and what `variant` reads of the request (the visitor's time zone). Any other query
    parameter (utm tags, made-up ones) finds the same stored page: it costs nothing to keep.
    """
    if request.method not in ("GET", "HEAD"):
        return None
    part = variant.key(request)
    if part is None:
        return None
    digest = _digest(_request_fingerprint(request), *_address(request), part)
    # One copy per encoding, stored compressed: what a hit serves is already in that encoding.
    return f"{KEY_PREFIX}.page.{digest}.{_public_coding(request)}"


def _public_coding(request):
    # META, not request.headers: a stored page is served in microseconds, and building the
    # headers' mapping reads every header of the request.
    return compression.negotiate(request.META.get("HTTP_ACCEPT_ENCODING"), allow_brotli=True)


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


def _page_cache():
    # Its own store (settings.PAGE_CACHE_ALIAS): pages may be evicted to make room, but never the
    # rate-limit counters kept in the default cache.
    return caches[settings.PAGE_CACHE_ALIAS]


def _cache_get(key):
    # A cache that cannot be reached (Redis restarting) costs speed, never the page.
    try:
        return _page_cache().get(key)
    except Exception:
        logger.warning("Public page cache unreachable; drawing the page", exc_info=True)
        return None


def _cache_set(key, value):
    try:
        _page_cache().set(key, value, CACHE_TIMEOUT)
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


# The paths public pages answered in this process, each with how its page varies (in the visitor's
# time zone, or not at all for calendars). What code a path leads to, not what the database holds,
# so each process may learn it on its own; bounded, so made-up addresses cannot grow it without end
# (a path past the bound is still served, only drawn each time).
_public_paths = {}


def mark_public_page(request, *, variant=NoVariant):
    """
    Called by a public page's view before it draws anything: PublicPageCacheMiddleware may keep
    the page. `variant` says what of the request, beside the address, changes the page: its
    `key(request)` (None: this one is not to be stored) and `remember(request, response)`, applied
    to every response, stored or fresh. The fingerprint is read first, so an edit committed while
    the page is being drawn cannot be stored under the fingerprint that already includes it.
    """
    request._public_page_variant = variant
    _request_fingerprint(request)


def stored_response(request):
    """
    The stored copy of the public page this request asks for, as the response to send (304 Not
    Modified to a client that already has this version), or None when there is none.
    """
    variant = _public_paths.get(request.path)
    key = page_key(request, variant) if variant is not None else None
    stored = _cache_get(key) if key else None
    if stored is None:
        return None
    response = _thaw(stored)
    etag, last_modified = response.get("ETag"), response.get("Last-Modified")
    if etag is not None or last_modified is not None:
        # A calendar client that already has this version gets 304 Not Modified.
        response = get_conditional_response(
            request,
            etag=etag,
            last_modified=last_modified and parse_http_date_safe(last_modified),
            response=response,
        )
    # A ?tz= link sets the cookie on the stored copy as on a fresh one.
    return variant.remember(request, response)


class PublicPageCacheMiddleware:
    """
    Answers public pages and calendars from the cache before the rest of the middleware and the
    URL resolver run, and stores them once drawn. It comes first in MIDDLEWARE, so a stored page
    carries every header the others added when it was drawn (SecurityMiddleware's included) and
    nothing of the visitor. HTTPS redirects still happen: the key holds the scheme, and a request
    on plain HTTP is redirected by SecurityMiddleware before any page could be stored under it.
    The language is read from the path, as LocaleMiddleware does.

    Only paths a public page answered in this process cost the fingerprint query up front: any
    other request passes straight through. In production PublicPageFront answers most stored
    pages before Django's handler; the ones it leaves (HEAD) come here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (response := stored_response(request)) is not None:
            return response
        response = self.get_response(request)
        variant = getattr(request, "_public_page_variant", None)
        if variant is None:
            return response
        known = request.path in _public_paths
        if response.status_code == 200 and (
            known or len(_public_paths) < settings.PUBLIC_PAGE_PATHS_MAX
        ):
            _public_paths[request.path] = variant
        if key := page_key(request, variant):
            _keep_if_public(key, request, response)
        return variant.remember(request, response)


class PublicPageFront:
    """
    The WSGI application gunicorn serves (forum/wsgi.py), in front of Django's: a GET for a stored
    public page is answered here, before Django's request signals, middleware and URL resolver,
    with the very response PublicPageCacheMiddleware would send (stored_response above). A page
    served from the cache then costs about a third of what it did through the whole handler.

    Everything else, and anything that goes wrong here, is left to Django, which answers it as if
    this front were not there: the front only ever saves work.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        response = None
        if environ.get("REQUEST_METHOD") == "GET" and _public_paths:
            try:
                response = stored_response(WSGIRequest(environ))
            except Exception:
                logger.exception("Stored page not served by the front; left to Django")
        if response is None:
            return self.application(environ, start_response)
        headers = [
            *response.items(),
            *(("Set-Cookie", cookie.OutputString()) for cookie in response.cookies.values()),
        ]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        # The bytes alone: closing the response would send request_finished for a request whose
        # request_started was never sent.
        return [response.content]


class CompressionMiddleware:
    """
    Compresses pages, calendars and JSON for clients that accept it, with `Vary: Accept-Encoding`.
    It sits inside PublicPageCacheMiddleware, which then stores a public page as compressed
    here; pages that are not public get only gzip with random padding (compression.py says why).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or not compression.is_compressible(response):
            return response
        patch_vary_headers(response, ["Accept-Encoding"])
        if len(response.content) < compression.MIN_LENGTH:
            return response
        public = getattr(
            request, "_public_page_variant", None
        ) is not None and not _holds_visitor_state(request)
        coding = compression.negotiate(request.headers.get("Accept-Encoding"), allow_brotli=public)
        if coding == compression.IDENTITY:
            return response
        compressed = compression.compress(response.content, coding, padded=not public)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response["Content-Encoding"] = coding
        response["Content-Length"] = str(len(compressed))
        # A strong ETag promises the same bytes; these are other bytes of the same content
        # (RFC 9110 §8.8.1), as GZipMiddleware does.
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response["ETag"] = "W/" + etag
        return response


# Calendars --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSource:
    """What a calendar is drawn from (an event, a session) and what tells whether it changed."""

    subject: object
    last_modified: datetime.datetime
    version: tuple


def cached_calendar(find):
    """
    Decorates a public calendar view: `find(request, **url_kwargs)` looks up its CalendarSource
    (None: 404) and the view is called as view(request, source.subject). The calendar is kept by
    PublicPageCacheMiddleware like a page (one copy for every time zone); ETag and Last-Modified
    let subscribed clients get 304 Not Modified until the source changes.
    """

    def decorator(view):
        def source(request, **kwargs):
            # The ETag, the Last-Modified date and the view all ask: one lookup per request.
            if not hasattr(request, "_calendar_source"):
                request._calendar_source = find(request, **kwargs)
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
            mark_public_page(request)
            response = conditional(request, **kwargs)
            if response.status_code in (200, 304):
                # Kept by browsers and proxies, but asked about each time: a change shows at once.
                patch_cache_control(response, no_cache=True)
            return response

        return wrapper

    return decorator
