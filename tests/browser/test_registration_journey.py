"""
Participants register in Chromium, as they would: sign up and confirm the address from the mail,
register, keep the meeting in their calendar, switch to virtual and find the join link, cancel;
a second participant waits for a place and gets it; the form works with the keyboard alone, and
every account and registration page meets WCAG 2.2 AA in both languages.

Only the first journey signs up through the site: the others start from verified accounts made
in the database and sign in through the login page, which keeps the file quick.
"""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from icalendar import Calendar
from modeltranslation.utils import build_localized_fieldname
from playwright.sync_api import expect

from agenda.models import Event
from registration.models import AttendanceMode, Registration
from tests.languages import LANGUAGES, translated, url
from tests.registration.factories import RegistrationSettingsFactory

from .helpers import (
    PASSWORD,
    assert_accessible,
    assert_language_declared,
    each_language_once,
    label,
    save_screenshot,
    settle,
    sign_in,
    verified_user,
    visit,
)

JOIN_URL = "https://meet.example.org/j/private-room-4242"
# allauth writes absolute links with the production scheme; the path is what the live server serves.
LINK_PATH = re.compile(r"https?://[^/\s]+(/\S+)")
CATEGORY = "public-sector"
Status = Registration.Status


@pytest.fixture
def open_event(meeting):
    """The meeting with registration open, one seat in Lima and a virtual room."""
    Event.objects.filter(pk=meeting.pk).update(virtual_join_url=JOIN_URL)
    RegistrationSettingsFactory(event=meeting, in_person_places=1, virtual_places=None)
    meeting.refresh_from_db()
    return meeting


def category_name(event, language):
    return getattr(
        event.audience_categories.get(key=CATEGORY), build_localized_fieldname("name", language)
    )


def fill_registration(page, event, language, mode=AttendanceMode.IN_PERSON, name="Lucía Fernández"):
    page.get_by_label(translated(language, mode.label), exact=True).check()
    page.get_by_label(category_name(event, language), exact=False).check()
    page.get_by_label(label(language, "full name")).fill(name)
    page.get_by_label(label(language, "position")).fill("Especialista en infraestructura")
    page.get_by_label(label(language, "organisation")).fill("Ministerio de Transportes")
    page.get_by_label(label(language, "country")).select_option("EC")
    page.get_by_label(label(language, "phone")).fill("+593 2 123 4567")
    page.get_by_label(
        translated(
            language,
            "I have read the privacy notice and agree that my data are processed as it says.",
        )
    ).check()


def submit_registration(page, language):
    page.get_by_role("button", name=translated(language, "Register"), exact=True).click()
    page.wait_for_url("**/my-registration/")


def status_heading(page):
    return page.locator(".registration-status strong").first


def reference_on(page):
    return page.locator("#registration-reference").inner_text().strip()


def my_registration_path(language, event):
    return url(language, "registration:my-registration", event_slug=event.slug)


def register_path(language, event):
    return url(language, "registration:register", event_slug=event.slug)


def sign_up_and_verify(page, language, email):
    """Through the real sign-up page and the link the confirmation mail carries."""
    visit(page, url(language, "account_signup"))
    assert_language_declared(page, language)
    page.get_by_label(label(language, "Email")).fill(email)
    page.get_by_label(label(language, "Password")).fill(PASSWORD)
    page.get_by_label(label(language, "Password (again)")).fill(PASSWORD)
    page.get_by_role("button", name=translated(language, "Sign Up")).click()
    page.wait_for_url("**/confirm-email/")
    settle(page)

    [message] = [message for message in mail.outbox if email in message.to]
    confirm_path = LINK_PATH.search(message.body).group(1)
    visit(page, confirm_path)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(language, "Confirm")).click()
    settle(page)
    assert EmailAddress.objects.get(email=email).verified


def download_calendar(page, language, tmp_path):
    link = page.get_by_role(
        "link", name=translated(language, "Download your personal calendar (.ics file)")
    )
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return Calendar.from_ical(path.read_bytes())


@pytest.mark.parametrize(("language", "viewport"), each_language_once())
def test_participant_signs_up_registers_switches_to_virtual_and_cancels(
    open_page, open_event, language, viewport, tmp_path
):
    event = open_event
    email = f"lucia.{language}.{viewport}@example.org"
    page = open_page(viewport)
    sign_up_and_verify(page, language, email)

    # Confirming the address signed the person in: the registration form is theirs to fill.
    visit(page, register_path(language, event))
    assert_language_declared(page, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated(language, "Register for the meeting")
    )
    save_screenshot(page, f"register-{language}-{viewport}")
    fill_registration(page, event, language)
    submit_registration(page, language)

    registration = Registration.objects.get(user__email=email)
    assert registration.status == Status.CONFIRMED
    assert registration.attendance_mode == AttendanceMode.IN_PERSON
    confirmed = translated(
        language, "Your registration is confirmed. Your reference is %(reference)s."
    ) % {"reference": registration.reference}
    expect(page.get_by_role("status").filter(has_text=confirmed)).to_be_visible()
    expect(status_heading(page)).to_have_text(translated(language, "Confirmed"))
    assert reference_on(page) == registration.reference
    # In person, nobody is offered a way into the virtual room.
    expect(page.get_by_role("heading", name=translated(language, "Join online"))).to_have_count(0)
    save_screenshot(page, f"my-registration-{language}-{viewport}")

    calendar = download_calendar(page, language, tmp_path)
    events = calendar.walk("VEVENT")
    assert len(events) == event.sessions.count()
    starts = sorted(vevent.decoded("DTSTART") for vevent in events)
    # The concept note's 09:00 in Lima (UTC−5).
    assert starts[0] == datetime.datetime(2024, 8, 15, 14, 0, tzinfo=datetime.UTC)
    assert JOIN_URL not in calendar.to_ical().decode()

    page.get_by_role(
        "link",
        name=translated(language, "Switch to: %(target)s")
        % {"target": translated(language, AttendanceMode.VIRTUAL.label)},
    ).click()
    page.get_by_role(
        "button", name=re.compile(re.escape(translated(language, AttendanceMode.VIRTUAL.label)))
    ).click()
    page.wait_for_url("**/my-registration/")
    registration.refresh_from_db()
    assert (registration.attendance_mode, registration.status) == (
        AttendanceMode.VIRTUAL,
        Status.CONFIRMED,
    )

    # The page offers the personal redirect, never the room's own address.
    join = page.get_by_role("link", name=translated(language, "Join the meeting"))
    expect(join).to_be_visible()
    join_href = join.get_attribute("href")
    assert join_href.endswith(url(language, "registration:join", token=registration.personal_token))
    assert JOIN_URL not in page.content()
    redirect = page.request.get(join_href, max_redirects=0)
    assert redirect.status == 302
    assert redirect.headers["location"] == JOIN_URL

    page.get_by_role("link", name=translated(language, "Cancel my registration")).click()
    page.get_by_role("button", name=translated(language, "Yes, cancel my registration")).click()
    page.wait_for_url("**/my-registration/")
    expect(status_heading(page)).to_have_text(translated(language, "Cancelled by the participant"))
    expect(page.get_by_role("link", name=translated(language, "Join the meeting"))).to_have_count(0)
    registration.refresh_from_db()
    assert registration.status == Status.CANCELLED
    # The old personal link no longer opens the room.
    assert page.request.get(join_href, max_redirects=0).status == 403


@pytest.mark.parametrize("language", LANGUAGES)
def test_account_and_registration_pages_meet_wcag_aa(open_page, open_event, language):
    event = open_event
    page = open_page()
    for name in ("account_signup", "account_login"):
        visit(page, url(language, name))
        assert_language_declared(page, language)
        assert_accessible(page)

    verified_user(f"ana.{language}@example.org")
    sign_in(page, language, f"ana.{language}@example.org", register_path(language, event))
    assert_language_declared(page, language)
    assert_accessible(page)

    # A phone number the browser lets through and the server refuses: the error must be
    # accessible, announced and tied to its field.
    fill_registration(page, event, language)
    phone = page.get_by_label(label(language, "phone"))
    phone.fill("call me")
    page.get_by_role("button", name=translated(language, "Register"), exact=True).click()
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(
        re.compile(
            re.escape(
                translated(
                    language,
                    "Write the phone number with digits; spaces, +, - and brackets are allowed.",
                )
            )
        )
    )
    assert_accessible(page)

    fill_registration(page, event, language)
    submit_registration(page, language)
    assert_language_declared(page, language)
    assert_accessible(page)


def tab_to(page, target, limit=60):
    """Presses Tab until the target has the focus, as a keyboard user moves through a page."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} never got the focus with Tab")


@pytest.mark.parametrize("language", LANGUAGES)
def test_registration_form_is_completed_with_the_keyboard_alone(open_page, open_event, language):
    event = open_event
    email = f"teclado.{language}@example.org"
    verified_user(email)
    page = open_page("desktop")
    sign_in(page, language, email, register_path(language, event))

    page.keyboard.press("Tab")
    tab_to(
        page, page.get_by_label(translated(language, AttendanceMode.IN_PERSON.label), exact=True)
    )
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("radio").nth(2))  # the first category
    # Arrow keys move through a radio group; the public sector is the third category.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label(category_name(event, language), exact=False)).to_be_checked()
    for msgid, text in (
        ("full name", "Teresa Quispe"),
        ("position", "Analista"),
        ("organisation", "Ministerio de Relaciones Exteriores"),
    ):
        tab_to(page, page.get_by_label(label(language, msgid)))
        page.keyboard.type(text)
    tab_to(page, page.get_by_label(label(language, "country")))
    # A closed <select> jumps to the first option starting with what is typed.
    page.keyboard.type("Bol")
    expect(page.get_by_label(label(language, "country"))).to_have_value("BO")
    privacy = page.get_by_label(
        translated(
            language,
            "I have read the privacy notice and agree that my data are processed as it says.",
        )
    )
    tab_to(page, privacy)
    page.keyboard.press("Space")
    expect(privacy).to_be_checked()
    tab_to(page, page.get_by_role("button", name=translated(language, "Register"), exact=True))
    page.keyboard.press("Enter")
    page.wait_for_url("**/my-registration/")

    registration = Registration.objects.get(user__email=email)
    assert (registration.full_name, registration.country.code) == ("Teresa Quispe", "BO")
    assert registration.status == Status.CONFIRMED
    expect(status_heading(page)).to_have_text(translated(language, "Confirmed"))


@pytest.mark.parametrize(("language", "viewport"), each_language_once())
def test_second_participant_waits_and_is_promoted_when_the_first_cancels(
    open_page, open_event, language, viewport
):
    event = open_event
    first_email, second_email = (f"{who}.{language}@example.org" for who in ("primera", "segunda"))
    verified_user(first_email)
    verified_user(second_email)

    first = open_page(viewport)
    sign_in(first, language, first_email, register_path(language, event))
    fill_registration(first, event, language, name="Primera Persona")
    submit_registration(first, language)
    expect(status_heading(first)).to_have_text(translated(language, "Confirmed"))

    second = open_page(viewport)
    sign_in(second, language, second_email, register_path(language, event))
    expect(
        second.get_by_text(
            translated(
                language,
                "In-person places are taken: new in-person registrations go to the waiting list.",
            )
        )
    ).to_be_visible()
    fill_registration(second, event, language, name="Segunda Persona")
    submit_registration(second, language)
    expect(status_heading(second)).to_have_text(translated(language, "On the waiting list"))
    waiting = Registration.objects.get(user__email=second_email)
    assert waiting.status == Status.WAITING_LIST
    expect(second.get_by_role("status").filter(has_text=waiting.reference)).to_be_visible()

    mails_before = [message for message in mail.outbox if second_email in message.to]
    first.get_by_role("link", name=translated(language, "Cancel my registration")).click()
    first.get_by_role("button", name=translated(language, "Yes, cancel my registration")).click()
    first.wait_for_url("**/my-registration/")
    expect(status_heading(first)).to_have_text(translated(language, "Cancelled by the participant"))

    visit(second, my_registration_path(language, event))
    expect(status_heading(second)).to_have_text(translated(language, "Confirmed"))
    waiting.refresh_from_db()
    assert waiting.status == Status.CONFIRMED
    assert reference_on(second) == waiting.reference
    # The promotion is announced by mail too.
    mails_after = [message for message in mail.outbox if second_email in message.to]
    assert len(mails_after) == len(mails_before) + 1
