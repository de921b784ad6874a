"""
Django, allauth and django-countries bring their own Portuguese (Brazil) and French: the site's
pages show their strings in the visitor's language, never in English.
"""

import pytest
from django.utils.html import escape

from tests.languages import LANGUAGES, translated, url

from .factories import AudienceCategoryFactory, UserFactory, open_event

pytestmark = pytest.mark.django_db

OTHER_THAN_ENGLISH = [language for language in LANGUAGES if language != "en"]

# Two countries of the region as each language's catalogue of django-countries names them.
COUNTRIES = {
    "es": ("Brasil", "Haití"),
    "pt-br": ("Brasil", "Colômbia"),
    "fr": ("Brésil", "Haïti"),
}


@pytest.mark.parametrize("language", OTHER_THAN_ENGLISH)
@pytest.mark.parametrize("msgid", ["Forgot your password?", "Remember Me", "Password", "Sign In"])
def test_allauths_sign_in_page_speaks_the_visitors_language(client, language, msgid):
    text = translated(language, msgid)
    assert text != msgid, f"allauth has no {language} for {msgid!r}"

    html = client.get(url(language, "account_login")).content.decode()

    assert escape(text) in html


@pytest.mark.parametrize("language", OTHER_THAN_ENGLISH)
def test_djangos_own_form_errors_speak_the_visitors_language(client, language):
    response = client.post(url(language, "account_login"), {"login": "", "password": ""})

    required = translated(language, "This field is required.")
    assert required != "This field is required."
    assert escape(required) in response.content.decode()


@pytest.mark.parametrize("language", [*COUNTRIES])
def test_the_registration_form_names_countries_in_the_visitors_language(client, language):
    event = open_event()
    AudienceCategoryFactory(event=event)
    user = UserFactory()
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    client.force_login(user)

    response = client.get(url(language, "registration:register", event_slug=event.slug))

    assert response.status_code == 200
    html = response.content.decode()
    for name in COUNTRIES[language]:
        assert f">{escape(name)}</option>" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_registration_form_offers_every_language_and_starts_on_the_pages(client, language):
    event = open_event()
    AudienceCategoryFactory(event=event)
    user = UserFactory()
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    client.force_login(user)

    html = client.get(url(language, "registration:register", event_slug=event.slug)).text

    for code in LANGUAGES:
        selected = " selected" if code == language else ""
        assert f'<option value="{code}"{selected}>' in html
