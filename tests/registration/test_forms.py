"""
Every field of the registration form, given bad input through the real page, answers with a clear
message tied to that field, in the language of the page.

Messages are read in the page as rendered, next to their field, and compared with gettext() of the
English text under the page's language: today the Spanish catalogue may still lack a message, but
a message fixed before the language is known (at import time, say) fails in /es/ once it has one.
Django's own messages are checked in Spanish.
"""

import html

import pytest
from crispy_forms.utils import render_crispy_form
from django import forms
from django.test.html import parse_html
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from registration.forms import LongSelect, RegistrationForm
from registration.models import AttendanceMode, Consent, Registration
from tests.languages import LANGUAGES

from .factories import AudienceCategoryFactory, RegistrationFactory, open_event

pytestmark = pytest.mark.django_db

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL


def form_data(category, /, **overrides):
    data = {
        "attendance_mode": IN_PERSON,
        "category": category.pk,
        "honorific": "",
        "full_name": "Carlos Mamani",
        "position": "Asesor",
        "organisation": "Cancillería",
        "country": "BO",
        "phone": "",
        "preferred_language": "es",
        "dietary_needs": "",
        "accessibility_needs": "",
        "privacy_consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_register(client, event, data, language="en"):
    with translation.override(language):
        path = reverse("registration:register", kwargs={"event_slug": event.slug})
    return client.post(path, data)


def in_language(language, message, **params):
    with translation.override(language):
        text = gettext(message)
    return text % params if params else text


def field_error(response, field):
    """The messages the page shows under a field (crispy's error block, tied by its id)."""
    page = response.content.decode()
    marker = f'id="error_1_id_{field}"'
    assert marker in page, f"no error shown for {field}"
    start = page.index("<strong>", page.index(marker)) + len("<strong>")
    return html.unescape(page[start : page.index("</strong>", start)])


# (field, bad value, English message, its parameters); None as value leaves the field out.
BAD_INPUT = [
    ("attendance_mode", None, "Choose whether you will attend in person or online.", {}),
    ("attendance_mode", "teleport", "Choose in person in Lima or virtual.", {}),
    ("category", None, "Choose the category you take part as.", {}),
    ("category", "999999", "Choose one of the categories offered.", {}),
    ("full_name", "", "Write your full name.", {}),
    ("full_name", "   ", "Write your full name.", {}),
    ("position", "", "Write your position.", {}),
    ("organisation", "", "Write the name of your organisation.", {}),
    ("country", "", "Choose your country.", {}),
    ("country", "XX", "Choose a country from the list.", {}),
    (
        "phone",
        "call me",
        "Write the phone number with digits; spaces, +, - and brackets are allowed.",
        {},
    ),
    (
        "phone",
        "+51 123",
        "A phone number has between %(min)d and %(max)d digits; this one has %(count)d.",
        {"min": 6, "max": 20, "count": 5},
    ),
    (
        "phone",
        "+" + "1" * 21,
        "A phone number has between %(min)d and %(max)d digits; this one has %(count)d.",
        {"min": 6, "max": 20, "count": 21},
    ),
    ("preferred_language", "de", "Choose one of the languages offered.", {}),
    ("privacy_consent", None, "To register, please accept the privacy notice.", {}),
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(("field", "value", "message", "params"), BAD_INPUT)
def test_bad_input_gets_a_clear_message_on_its_field_in_the_page_language(
    client, participant, event, category, language, field, value, message, params
):
    response = post_register(client, event, form_data(category, **{field: value}), language)
    assert response.status_code == 200
    assert field_error(response, field) == in_language(language, message, **params)
    assert f'<html lang="{language}">' in response.content.decode()
    assert not Registration.objects.exists()


def test_english_messages_read_as_written(client, participant, event, category):
    response = post_register(client, event, form_data(category, full_name="", phone="abc"), "en")
    assert field_error(response, "full_name") == "Write your full name."
    assert (
        field_error(response, "phone")
        == "Write the phone number with digits; spaces, +, - and brackets are allowed."
    )


@pytest.mark.parametrize("phone", ["+51 1 710 6400", "(01) 710-6400", "0051017106400", "987654"])
def test_phone_numbers_written_the_usual_ways_are_accepted(
    client, participant, event, category, phone
):
    post_register(client, event, form_data(category, phone=phone))
    assert Registration.objects.get().phone == phone


@pytest.mark.parametrize(
    ("field", "length", "limit"),
    [("honorific", 61, 60), ("full_name", 201, 200), ("dietary_needs", 1001, 1000)],
)
def test_too_long_text_is_refused_in_both_languages(
    client, participant, event, category, field, length, limit
):
    data = form_data(category, **{field: "x" * length, "sensitive_data_consent": "on"})
    english = field_error(post_register(client, event, data, "en"), field)
    spanish = field_error(post_register(client, event, data, "es"), field)
    assert english == f"Ensure this value has at most {limit} characters (it has {length})."
    assert (
        spanish
        == f"Asegúrese de que este valor tenga menos de {limit} caracteres (tiene {length})."
    )


def test_honeypot_filled_in_rejects_plainly_and_saves_nothing(client, participant, event, category):
    response = post_register(client, event, form_data(category, website="http://spam.example"))
    page = response.content.decode()
    errors = page[page.index('class="alert alert-block alert-danger"') :]
    assert "Your registration could not be processed." in errors[: errors.index("</div>")]
    assert not Registration.objects.exists()
    assert not Consent.objects.exists()


def test_honeypot_is_hidden_by_a_class_and_out_of_the_keyboard_order(
    client, participant, event, category
):
    with translation.override("en"):
        path = reverse("registration:register", kwargs={"event_slug": event.slug})
    page = client.get(path).content.decode()
    assert 'class="form-honeypot"  aria-hidden="true"' in page
    field = page[page.index('name="website"') - 40 : page.index('name="website"') + 120]
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert "style=" not in page


@pytest.mark.parametrize("language", ["en", "es"])
def test_category_that_excludes_the_chosen_mode_says_so_on_the_category(
    client, participant, event, language
):
    online_only = AudienceCategoryFactory(
        event=event, name_es="Profesionales", name_en="Professionals", allows_in_person=False
    )
    response = post_register(client, event, form_data(online_only), language)
    with translation.override(language):
        expected = gettext(
            "People taking part as “%(category)s” attend online. Choose “%(mode)s”, or another "
            "category."
        ) % {"category": online_only.name, "mode": AttendanceMode.VIRTUAL.label}
    assert field_error(response, "category") == expected
    assert not Registration.objects.exists()


def test_category_of_another_event_or_not_offered_is_refused(client, participant, event, category):
    other_event_category = AudienceCategoryFactory(event=open_event())
    retired = AudienceCategoryFactory(event=event, is_active=False)
    for chosen in (other_event_category, retired):
        response = post_register(client, event, form_data(chosen))
        assert field_error(response, "category") == "Choose one of the categories offered."
    assert not Registration.objects.exists()


def test_sensitive_needs_without_their_consent_ask_to_tick_or_empty_and_are_not_dropped(
    client, participant, event, category
):
    response = post_register(
        client,
        event,
        form_data(category, dietary_needs="Sin gluten", accessibility_needs="Intérprete"),
    )
    assert field_error(response, "sensitive_data_consent") == (
        "You wrote dietary or accessibility needs: tick this box so that we may keep them, or "
        "empty those fields."
    )
    page = response.content.decode()
    assert "Sin gluten" in page
    assert "Intérprete" in page
    assert not Registration.objects.exists()


def test_registration_works_without_any_needs_or_their_consent(
    client, participant, event, category
):
    post_register(client, event, form_data(category))
    registration = Registration.objects.get()
    assert registration.dietary_needs == ""
    assert not registration.has_consent(Consent.Purpose.SENSITIVE_DATA)


def test_needs_are_asked_only_of_people_attending_in_person(client, participant, event, category):
    response = post_register(
        client,
        event,
        form_data(
            category, attendance_mode=VIRTUAL, dietary_needs="Vegan", sensitive_data_consent="on"
        ),
    )
    assert field_error(response, "dietary_needs") == (
        "We ask this only of people attending in person. Empty this field, or choose to attend "
        "in person."
    )
    assert not Registration.objects.exists()


def test_preferred_language_starts_as_the_page_language(client, participant, event, category):
    for language in LANGUAGES:
        with translation.override(language):
            path = reverse("registration:register", kwargs={"event_slug": event.slug})
        form = client.get(path).context["form"]
        assert form.initial["preferred_language"] == language


def test_privacy_consent_links_to_the_privacy_notice(client, participant, event, category):
    with translation.override("es"):
        path = reverse("registration:register", kwargs={"event_slug": event.slug})
        notice = reverse("registration:privacy-notice")
    page = client.get(path).content.decode()
    assert f'href="{notice}"' in page


@pytest.mark.parametrize("value", ["PE", "", "XX"])
def test_the_country_list_is_the_same_select_django_would_draw(value):
    choices = [("", "Elija su país"), ("PE", "Perú"), ("CO", "Colombia & <otros>")]
    attrs = {"id": "id_country", "class": "form-select is-invalid", "required": True}
    drawn = {
        widget: parse_html(widget(choices=choices).render("country", value, attrs))
        for widget in (forms.Select, LongSelect)
    }
    assert drawn[LongSelect] == drawn[forms.Select]


CONTROL_CHARACTERS_MESSAGE = (
    "This text contains invisible control characters (copied from another program, perhaps). "
    "Delete them or type the text again."
)


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "Vertical\x0btab\x1bESC"),
        ("honorific", "Dr.\x07"),
        ("position", "Asesor\x7f"),
        ("organisation", "Canciller\x85ía"),
        # A single-line field has no use for a tab either: only a textarea allows line breaks.
        ("full_name", "Carlos\tMamani"),
        ("dietary_needs", "Vegetariana\x1b[31m"),
        ("accessibility_needs", "Rampa\x0cde acceso"),
    ],
)
def test_control_characters_are_refused_in_the_page_language(
    client, participant, event, category, language, field, value
):
    data = form_data(category, **{field: value, "sensitive_data_consent": "on"})
    response = post_register(client, event, data, language)
    assert response.status_code == 200
    assert field_error(response, field) == in_language(language, CONTROL_CHARACTERS_MESSAGE)
    assert not Registration.objects.exists()


def test_line_breaks_and_tabs_are_kept_in_the_needs(client, participant, event, category):
    needs = "Sin gluten\r\nSin lactosa\tni nueces"
    post_register(
        client, event, form_data(category, dietary_needs=needs, sensitive_data_consent="on")
    )
    assert Registration.objects.get().dietary_needs == needs


@pytest.mark.parametrize("language", ["en", "es"])
def test_control_characters_are_refused_when_editing_details(
    client, participant, event, category, language
):
    registration = RegistrationFactory(event=event, category=category, user=participant)
    with translation.override(language):
        path = reverse("registration:edit", kwargs={"event_slug": event.slug})
    response = client.post(path, form_data(category, full_name="Vertical\x0btab\x1bESC"))
    assert response.status_code == 200
    assert field_error(response, "full_name") == in_language(language, CONTROL_CHARACTERS_MESSAGE)
    registration.refresh_from_db()
    assert registration.full_name.startswith("Participant")


# The blank form's markup, kept by each process -----------------------------------------------


def form_markup(page):
    """The fields between the CSRF token and the submit button, as the page has them."""
    start = page.index('name="csrfmiddlewaretoken"', page.index('class="registration-form"'))
    start = page.index(">", start) + 1
    return page[start : page.index('<button type="submit"', start)].strip()


def register_path(event, language):
    with translation.override(language):
        return reverse("registration:register", kwargs={"event_slug": event.slug})


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_kept_blank_form_is_what_crispy_forms_draws(
    client, participant, event, category, language
):
    pages = [client.get(register_path(event, language)).content.decode() for _ in range(2)]
    with translation.override(language):
        drawn = render_crispy_form(RegistrationForm(event=event, initial={}))
    assert form_markup(pages[0]) == form_markup(pages[1]) == drawn.strip()
    assert 'name="full_name"' in drawn


def test_the_kept_blank_form_is_drawn_in_each_language(client, participant, event):
    AudienceCategoryFactory(event=event, name_es="Sector público", name_en="Public sector")
    spanish = client.get(register_path(event, "es")).content.decode()
    english = client.get(register_path(event, "en")).content.decode()
    assert "Sector público (presencial en Lima o virtual)" in html.unescape(spanish)
    assert "Public sector (in person in Lima or online)" in english
    assert "Sector público" not in html.unescape(english)
    assert '<option value="en" selected>' in english
    assert '<option value="es" selected>' in spanish


def test_the_kept_blank_form_follows_the_categories_organisers_change(client, participant, event):
    public = AudienceCategoryFactory(event=event, name_en="Public sector", order=1)
    private = AudienceCategoryFactory(event=event, name_en="Private sector", order=2)
    client.get(register_path(event, "en"))
    public.name_en = "Public institutions"
    public.save()
    private.is_active = False
    private.save()
    AudienceCategoryFactory(event=event, name_en="Academia", allows_in_person=False, order=3)
    page = client.get(register_path(event, "en")).content.decode()
    assert "Public institutions (in person in Lima or online)" in page
    assert "Public sector" not in page
    assert "Private sector" not in page
    assert "Academia (online only)" in page


def test_a_form_with_errors_or_earlier_details_is_drawn_for_its_reader(
    client, participant, event, category
):
    client.get(register_path(event, "en"))
    response = client.post(
        register_path(event, "en"),
        {"attendance_mode": IN_PERSON, "category": category.pk, "full_name": "Ana Quispe"},
    )
    page = response.content.decode()
    assert 'value="Ana Quispe"' in page
    assert "Write your position." in page
    registration = RegistrationFactory(
        event=event, user=participant, category=category, status=Registration.Status.CANCELLED
    )
    page = client.get(register_path(event, "en")).content.decode()
    assert f'value="{html.escape(registration.full_name)}"' in page
    blank = client.get(register_path(event, "es"))
    assert f'value="{html.escape(registration.full_name)}"' in blank.content.decode()
