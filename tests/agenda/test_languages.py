"""
The site's languages (settings.LANGUAGES): the address decides the language and nothing else, the
root sends a browser to its own language, every page offers and announces the others, and content
missing in one language shows the Spanish text marked as Spanish.
"""

import re

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import to_locale

from agenda.templatetags.content_language import shown_language
from tests.languages import LANGUAGES, url

from .factories import EventFactory, SessionFactory, lima

pytestmark = pytest.mark.django_db

# What each language calls itself in the language switch.
OWN_NAMES = {"es": "Español", "en": "English", "pt-br": "Português", "fr": "Français"}


@pytest.fixture
def event():
    event = EventFactory(
        slug="cross-border",
        title_es="Reunión de trabajo",
        title_en="Working meeting",
        title_pt_br="Reunião de trabalho",
        title_fr="",  # An organiser has not translated it yet.
        summary_es="Resumen en español.",
        summary_en="Summary in English.",
        summary_pt_br="Resumo em português.",
        summary_fr="Résumé en français.",
    )
    SessionFactory(event=event, title_es="Apertura", title_en="Opening", starts_at=lima(9))
    return event


def test_the_languages_come_from_settings():
    assert tuple(code for code, _name in settings.LANGUAGES) == LANGUAGES
    assert set(OWN_NAMES) == set(LANGUAGES)


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("pt-BR,pt;q=0.9,en;q=0.5", "/pt-br/"),
        ("pt-PT", "/pt-br/"),
        ("pt", "/pt-br/"),
        ("fr-CA,fr;q=0.9", "/fr/"),
        ("fr-HT", "/fr/"),
        ("en-US,en;q=0.8", "/en/"),
        ("es-PE", "/es/"),
        ("de-DE,de;q=0.9", "/es/"),
        ("", "/es/"),
        ("*", "/es/"),
    ],
)
def test_the_root_sends_a_browser_to_its_language_else_spanish(client, accept_language, expected):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.status_code == 302
    assert response["Location"] == expected
    assert "Accept-Language" in response["Vary"]


def test_the_root_ignores_a_language_cookie_and_the_session(client):
    # An old site's cookie or a stale session must not override what the browser asks for.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response["Location"] == "/fr/"
    assert not response.cookies


def test_the_root_redirect_is_never_shared_between_visitors(client, event):
    # The pages behind it are cached for everyone; the redirect itself is answered per browser.
    for _ in range(2):
        for accept_language, expected in [("fr", "/fr/"), ("en", "/en/"), ("pt-BR", "/pt-br/")]:
            response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language)
            assert response["Location"] == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_prefixed_address_is_read_in_its_language_whatever_the_browser_asks(
    client, event, language
):
    page = url(language, "agenda:event-detail", slug=event.slug)
    response = client.get(page, HTTP_ACCEPT_LANGUAGE="de, en;q=0.5, fr;q=0.3")

    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    assert response["Content-Language"] == language


def test_there_is_no_set_language_view_that_would_keep_the_choice_in_a_cookie(client):
    assert client.post("/i18n/setlang/", {"language": "en"}).status_code == 404


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_links_to_itself_in_every_other_language(client, event, language):
    html = client.get(url(language, "agenda:event-agenda", event_slug=event.slug)).content.decode()

    for other in LANGUAGES:
        name = OWN_NAMES[other]
        if other == language:
            assert f'<span aria-current="true" lang="{other}">{name}</span>' in html
        else:
            page = url(other, "agenda:event-agenda", event_slug=event.slug)
            assert f'<a href="{page}" hreflang="{other}" lang="{other}">{name}</a>' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_search_engines_see_every_language_and_the_default_address(client, event, language):
    html = client.get(url(language, "agenda:event-detail", slug=event.slug)).content.decode()
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))

    expected = {
        to_locale(code).replace("_", "-"): settings.SITE_URL
        + url(code, "agenda:event-detail", slug=event.slug)
        for code in LANGUAGES
    }
    expected["x-default"] = f"{settings.SITE_URL}/events/cross-border/"
    assert alternates == expected
    assert alternates["pt-BR"] == f"{settings.SITE_URL}/pt-br/events/cross-border/"


def test_the_default_address_of_hreflang_leads_to_the_page_in_the_browsers_language(client, event):
    response = client.get("/events/cross-border/", HTTP_ACCEPT_LANGUAGE="pt-BR")

    assert response["Location"] == "/pt-br/events/cross-border/"


def test_a_text_left_empty_in_french_shows_the_spanish_one_marked_as_spanish(client, event):
    html = client.get(url("fr", "agenda:event-detail", slug=event.slug)).content.decode()

    assert '<h1 id="event-title" lang="es">Reunión de trabajo</h1>' in html
    # What is translated carries no mark: it is in the page's language.
    assert '<div class="event-summary">' in html
    assert "Résumé en français." in html


@pytest.mark.parametrize(
    ("language", "title"),
    [("es", "Reunión de trabajo"), ("en", "Working meeting"), ("pt-br", "Reunião de trabalho")],
)
def test_a_translated_text_carries_no_language_mark(client, event, language, title):
    html = client.get(url(language, "agenda:event-detail", slug=event.slug)).content.decode()

    assert f'<h1 id="event-title">{title}</h1>' in html


def test_a_session_title_missing_in_portuguese_and_french_is_marked_spanish_in_the_agenda(
    client, event
):
    for language in ("pt-br", "fr"):
        page = url(language, "agenda:event-agenda", event_slug=event.slug)
        html = client.get(page).content.decode()
        assert re.search(r'<a href="[^"]+" lang="es">Apertura</a>', html)


def test_the_language_shown_is_none_when_no_language_has_the_text(event):
    event.summary_es = event.summary_en = event.summary_pt_br = event.summary_fr = ""
    with translation.override("fr"):
        assert shown_language(event, "summary") is None
        assert shown_language(event, "title") == "es"


@pytest.mark.parametrize(
    ("language", "date"),
    [
        ("es", "15 de agosto de 2024"),
        ("pt-br", "15 de agosto de 2024"),
        ("fr", "15 août 2024"),
    ],
)
def test_the_meeting_date_is_written_as_each_language_writes_dates(client, event, language, date):
    html = client.get(url(language, "agenda:event-detail", slug=event.slug)).content.decode()

    assert date in html
