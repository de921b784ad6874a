"""
PublicPageFront, the WSGI application gunicorn serves: a stored public page is answered before
Django's handler, byte for byte and header for header what Django itself would answer; everything
else, and anything that goes wrong in the front, is Django's to answer.
"""

import brotli
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

import pagecache
from agenda.timezones import COOKIE_NAME
from pagecache import PublicPageFront
from tests.agenda.test_caching import small_meeting

pytestmark = pytest.mark.django_db


class CountingApplication:
    """Django's own WSGI application, counting the requests that reach it."""

    def __init__(self):
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


@pytest.fixture
def connections_kept():
    # As the test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def django_application(connections_kept):
    return CountingApplication()


@pytest.fixture
def front(django_application):
    return PublicPageFront(django_application)


@pytest.fixture
def meeting():
    return small_meeting()


def agenda_path(event, language="en"):
    with translation.override(language):
        return reverse("agenda:event-agenda", kwargs={"event_slug": event.slug})


def feed_path(event):
    with translation.override("en"):
        return reverse("agenda:event-feed", kwargs={"event_slug": event.slug})


def call(application, path, method="GET", **headers):
    """(status, headers, body) of a WSGI application's answer, as gunicorn would send it."""
    request = RequestFactory().generic(method, path, headers=headers)
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = status, response_headers

    chunks = application(request.environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer["status"], answer["headers"], body


def header(headers, name):
    values = [value for key, value in headers if key.lower() == name.lower()]
    return values[0] if values else None


def test_a_stored_page_is_answered_by_the_front_exactly_as_django_answers_it(
    front, django_application, meeting, django_assert_num_queries
):
    drawn = call(front, agenda_path(meeting))
    assert django_application.calls == 1
    from_django = call(django_application, agenda_path(meeting))
    with django_assert_num_queries(0):
        from_front = call(front, agenda_path(meeting))
    assert django_application.calls == 2
    assert from_front[0] == "200 OK"
    assert from_front == from_django
    assert from_front[2] == drawn[2]
    assert "Opening" in from_front[2].decode()
    # What every middleware added when the page was drawn, SecurityMiddleware's headers included.
    assert header(from_front[1], "X-Content-Type-Options") == "nosniff"
    assert header(from_front[1], "Content-Security-Policy")
    assert header(from_front[1], "Vary") == "Accept-Encoding, Cookie"


def test_each_encoding_is_served_as_stored(front, django_application, meeting):
    call(front, agenda_path(meeting), **{"Accept-Encoding": "br"})
    status, headers, body = call(front, agenda_path(meeting), **{"Accept-Encoding": "br"})
    assert django_application.calls == 1
    assert header(headers, "Content-Encoding") == "br"
    assert "Opening" in brotli.decompress(body).decode()
    # A client that accepts no compression gets its own stored copy, drawn once.
    call(front, agenda_path(meeting))
    status, headers, body = call(front, agenda_path(meeting))
    assert django_application.calls == 2
    assert header(headers, "Content-Encoding") is None
    assert "Opening" in body.decode()


def test_a_calendar_client_that_has_the_version_gets_not_modified_from_the_front(
    front, django_application, meeting
):
    status, headers, _ = call(front, feed_path(meeting))
    etag = header(headers, "ETag")
    status, headers, body = call(front, feed_path(meeting), **{"If-None-Match": etag})
    assert django_application.calls == 1
    assert status == "304 Not Modified"
    assert body == b""


def test_a_shared_time_zone_link_sets_the_cookie_when_the_front_answers(
    front, django_application, meeting
):
    path = agenda_path(meeting) + "?tz=Europe/Madrid"
    drawn = call(front, path)
    status, headers, body = call(front, path)
    assert django_application.calls == 1
    assert body == drawn[2]
    assert header(headers, "Set-Cookie").startswith(f'{COOKIE_NAME}="Europe/Madrid";')
    assert header(headers, "Set-Cookie") == header(drawn[1], "Set-Cookie")


def test_the_page_of_a_remembered_zone_is_its_own_stored_page(front, django_application, meeting):
    call(front, agenda_path(meeting))
    cookie = {"Cookie": f"{COOKIE_NAME}=Asia/Tokyo"}
    call(front, agenda_path(meeting), **cookie)
    assert django_application.calls == 2
    status, headers, body = call(front, agenda_path(meeting), **cookie)
    assert django_application.calls == 2
    assert "Tokyo" in body.decode()


@pytest.mark.parametrize("method", ["HEAD", "POST"])
def test_other_methods_are_left_to_django(front, django_application, meeting, method):
    call(front, agenda_path(meeting))
    status, _, _ = call(front, agenda_path(meeting), method=method)
    assert django_application.calls == 2
    # A POST without a CSRF token is refused, never answered with the stored page.
    assert status == ("200 OK" if method == "HEAD" else "403 Forbidden")


def test_pages_that_are_not_stored_are_left_to_django(front, django_application, meeting):
    call(front, agenda_path(meeting))
    with translation.override("en"):
        privacy = reverse("registration:privacy-notice")
    call(front, privacy)
    call(front, privacy)
    call(front, "/en/made-up/")
    assert django_application.calls == 4


def test_a_page_stored_after_an_edit_is_not_the_old_one(front, django_application, meeting):
    call(front, agenda_path(meeting))
    opening = meeting.sessions.get(title_en="Opening")
    opening.title_en = "Welcome"
    opening.save()
    status, _, body = call(front, agenda_path(meeting))
    assert django_application.calls == 2
    assert "Welcome" in body.decode()


def test_anything_going_wrong_in_the_front_is_left_to_django(
    front, django_application, meeting, monkeypatch, caplog
):
    call(front, agenda_path(meeting))

    def broken(environ):
        raise RuntimeError("broken front")

    # What only the front does: Django's own handler builds its requests elsewhere.
    monkeypatch.setattr(pagecache, "WSGIRequest", broken)
    status, _, body = call(front, agenda_path(meeting))
    assert status == "200 OK"
    assert "Opening" in body.decode()
    assert django_application.calls == 2
    assert "broken front" in caplog.text


def test_plain_http_is_still_redirected_to_https(meeting, settings, connections_kept):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    # SecurityMiddleware reads its settings when the handler is built.
    django_application = CountingApplication()
    front = PublicPageFront(django_application)
    https = {"secure": True}
    request = RequestFactory().get(agenda_path(meeting), **https)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    for _ in range(2):
        b"".join(front(request.environ, start_response))
    assert django_application.calls == 1
    assert header(answer["headers"], "Strict-Transport-Security") == "max-age=3600"
    status, headers, _ = call(front, agenda_path(meeting))
    assert status == "301 Moved Permanently"
    assert header(headers, "Location").startswith("https://")
