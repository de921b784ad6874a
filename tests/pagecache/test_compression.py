"""
Compressed responses: pages, calendars and JSON in brotli or gzip for clients that accept them,
`Vary: Accept-Encoding` always, public pages stored compressed (one copy per encoding, so a page
from the cache costs no compression), personal pages never stored and only ever gzip with random
padding (BREACH).
"""

import gzip
import json

import brotli
import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

import pagecache
from pagecache import compression
from tests.agenda.factories import EventFactory, SessionFactory, SessionSpeakerFactory
from tests.languages import url
from tests.registration.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

DECOMPRESS = {"br": brotli.decompress, "gzip": gzip.decompress}


@pytest.fixture
def event():
    event = EventFactory()
    for _ in range(4):
        SessionSpeakerFactory(session=SessionFactory(event=event))
    return event


def agenda(event):
    return url("en", "agenda:event-agenda", event_slug=event.slug)


def varies_on_accept_encoding(response):
    return "accept-encoding" in response.get("Vary", "").lower()


def test_without_accept_encoding_a_page_is_sent_as_drawn_and_says_it_varies(client, event):
    response = client.get(agenda(event))
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert response.content.decode().startswith("<!doctype html>")
    assert varies_on_accept_encoding(response)


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip", "gzip"),
        ("br", "br"),
        ("*", "br"),
        ("br;q=0, gzip;q=0", None),
        ("deflate", None),
    ],
)
def test_a_public_page_comes_in_the_best_encoding_the_client_accepts(
    client, event, accept_encoding, coding
):
    plain = client.get(agenda(event)).content
    response = client.get(agenda(event), headers={"accept-encoding": accept_encoding})
    assert varies_on_accept_encoding(response)
    if coding is None:
        assert "Content-Encoding" not in response
        assert response.content == plain
    else:
        assert response["Content-Encoding"] == coding
        assert int(response["Content-Length"]) == len(response.content) < len(plain) / 3
        assert DECOMPRESS[coding](response.content) == plain


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_a_cached_page_is_served_as_stored_without_compressing_again(
    client, event, monkeypatch, coding
):
    plain = client.get(agenda(event)).content
    first = client.get(agenda(event), headers={"accept-encoding": coding})

    def must_not_compress(*args, **kwargs):
        raise AssertionError("a page served from the cache was compressed again")

    monkeypatch.setattr(compression, "compress", must_not_compress)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(agenda(event), headers={"accept-encoding": coding})

    assert len(queries) == 0
    assert again["Content-Encoding"] == coding
    assert again.content == first.content
    assert DECOMPRESS[coding](again.content) == plain
    assert varies_on_accept_encoding(again)


def test_each_encoding_is_stored_apart_from_the_others(client, event):
    responses = {
        coding: client.get(agenda(event), headers={"accept-encoding": coding})
        for coding in ("br", "gzip", "identity")
    }
    again = {
        coding: client.get(agenda(event), headers={"accept-encoding": coding})
        for coding in responses
    }
    assert again["br"]["Content-Encoding"] == "br"
    assert again["gzip"]["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in again["identity"]
    for coding, response in responses.items():
        assert again[coding].content == response.content


def test_the_meetings_calendar_is_compressed_and_parses_back(client, event):
    path = url("en", "agenda:event-calendar", event_slug=event.slug)
    response = client.get(path, headers={"accept-encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert varies_on_accept_encoding(response)
    calendar = Calendar.from_ical(gzip.decompress(response.content))
    assert len(calendar.events) == 4
    # Its validators still let a subscribed client get 304 Not Modified.
    not_modified = client.get(
        path, headers={"accept-encoding": "gzip", "if-none-match": response["ETag"]}
    )
    assert not_modified.status_code == 304


def test_a_personal_page_is_only_gzipped_with_padding_and_never_stored(client, event):
    user = RegistrationFactory(event=event).user
    client.force_login(user)
    path = url("en", "registration:export-data")
    pages_before = len(caches["pages"]._cache)

    answers = [client.get(path, headers={"accept-encoding": "br, gzip"}) for _ in range(2)]

    for response in answers:
        assert response["Content-Encoding"] == "gzip"
        assert varies_on_accept_encoding(response)
        assert json.loads(gzip.decompress(response.content))["account"]["email"] == user.email
    # The random padding: the same content, never the same bytes twice.
    assert answers[0].content != answers[1].content
    assert len(caches["pages"]._cache) == pages_before


def test_a_compressed_page_is_kept_under_the_key_of_its_encoding(client, event):
    client.get(agenda(event), headers={"accept-encoding": "br"})
    keys = [key for key in caches["pages"]._cache if pagecache.KEY_PREFIX in key]
    assert keys and all(key.endswith(".br") for key in keys)
