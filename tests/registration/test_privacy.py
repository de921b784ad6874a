"""
The privacy notice: every language, which version is authoritative, the law it answers to, its
version, and working ARCO links.
"""

import re

import pytest
from django.urls import resolve
from django.utils.html import escape

from registration.privacy import AUTHORITATIVE_LANGUAGE, PRIVACY_NOTICE_VERSION
from tests.agenda.factories import EventFactory
from tests.languages import LANGUAGES, translated, url

from .page_reading import read

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_is_published_in_each_language(client, language):
    response = client.get(f"/{language}/privacy/")

    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    page = read(response)
    assert page.h1() == [translated(language, "Privacy notice")]
    assert page.title.startswith(translated(language, "Privacy notice"))
    assert page.skipped_heading_levels() == []
    assert page.inline_styles == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_answers_to_perus_personal_data_law(client, language):
    html = client.get(url(language, "registration:privacy-notice")).content.decode()

    assert "Ley N.º 29733" in html
    assert "016-2024-JUS" in html
    assert "Autoridad Nacional de Protección de Datos Personales" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_says_the_spanish_version_is_the_authoritative_one(client, language):
    html = client.get(url(language, "registration:privacy-notice")).content.decode()

    if language == AUTHORITATIVE_LANGUAGE:
        assert (
            translated(
                language,
                "This Spanish version of the notice is the authoritative one under Peruvian law.",
            )
            in html
        )
    else:
        statement = translated(
            language,
            "This notice is a translation provided for information. Only the Spanish version is "
            "authoritative under Peruvian law, and it prevails if the versions differ.",
        )
        assert escape(statement) in html
        spanish = url(AUTHORITATIVE_LANGUAGE, "registration:privacy-notice")
        assert f'<a href="{spanish}" hreflang="es">' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_shows_the_version_consents_record(client, language):
    html = client.get(url(language, "registration:privacy-notice")).content.decode()

    assert re.search(rf'<time datetime="{PRIVACY_NOTICE_VERSION}">', html)


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_notice_links_to_the_pages_that_exercise_the_arco_rights(client, language):
    event = EventFactory(is_published=True)

    page = read(client.get(url(language, "registration:privacy-notice")))

    links = {href for href, _text in page.links}
    arco = {
        "registration:export-data": url(language, "registration:export-data"),
        "registration:delete-account": url(language, "registration:delete-account"),
        "account_email": url(language, "account_email"),
        "registration:my-registration": url(
            language, "registration:my-registration", event_slug=event.slug
        ),
    }
    assert set(arco.values()) <= links
    for view_name, path in arco.items():
        assert resolve(path).view_name == view_name


def test_without_a_published_event_the_registration_links_go_to_the_home_page(client):
    page = read(client.get(url("en", "registration:privacy-notice")))

    assert page.h1() == ["Privacy notice"]
    assert not any("/my-registration/" in href for href, _text in page.links)
    assert ("/en/", "my registration") in page.links


def test_privacy_notice_is_a_public_page_without_per_visitor_state(client):
    response = client.get(url("es", "registration:privacy-notice"))

    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")
