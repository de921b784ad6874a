"""
The check-in desk in Chromium, on the phone a clerk holds and on the desk's laptop: a member of the
check-in staff signs in with a password and a code from their authenticator app, finds a
participant by the reference on their confirmation, marks them arrived, and the page and the
database agree. The desk's pages meet WCAG 2.2 AA in both languages.
"""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from django.utils.html import strip_tags
from playwright.sync_api import expect

from forum.groups import CHECK_IN_STAFF
from registration.models import AttendanceMode
from tests.languages import translated, url
from tests.registration.factories import RegistrationFactory, UserFactory

from .helpers import (
    assert_accessible,
    assert_language_declared,
    each_language_once,
    sign_in_with_code,
)

CATEGORY = "public-sector"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def desk(staff_member):
    """A clerk of the check-in staff: no admin rights, but an authenticator app, as the desk asks."""
    user = staff_member("mesa@comunidadandina.org", CHECK_IN_STAFF, is_staff=False)
    TOTP.activate(user, SECRET)
    return user


@pytest.fixture
def participant(meeting):
    """The participant who arrives, confirmed in person like one other; a third takes part online."""
    category = meeting.audience_categories.get(key=CATEGORY)

    def registration(full_name, mode=AttendanceMode.IN_PERSON):
        return RegistrationFactory(
            event=meeting,
            category=category,
            user=UserFactory(),
            full_name=full_name,
            attendance_mode=mode,
            organisation="Ministerio de Comercio Exterior y Turismo",
        )

    arriving = registration("María José Pérez Ñáñez")
    registration("Jorge Quispe Mamani")
    registration("Ana Lucía Torres", AttendanceMode.VIRTUAL)
    return arriving


def arrivals_line(language, arrived, expected):
    text = translated(
        language, "Arrived: <strong>%(arrived)s</strong> of %(expected)s confirmed in person"
    )
    return strip_tags(text % {"arrived": arrived, "expected": expected})


@pytest.mark.parametrize(("language", "viewport"), each_language_once())
def test_check_in_staff_find_a_participant_by_reference_and_mark_them_arrived(
    open_page, meeting, desk, participant, language, viewport
):
    registration = participant
    desk_path = url(language, "registration:check-in", event_slug=meeting.slug)
    page = open_page(viewport)
    sign_in_with_code(page, language, desk.email, desk_path, SECRET)

    assert_language_declared(page, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(language, "Check-in"))
    expect(page.get_by_text(arrivals_line(language, 0, 2))).to_be_visible()
    assert_accessible(page)

    # The reference as a clerk reads it off a phone: lower case, with a space in the middle.
    typed = f"{registration.reference[:4]} {registration.reference[4:]}".lower()
    search = page.get_by_role(
        "searchbox", name=translated(language, "Name, organisation or reference")
    )
    expect(search).to_be_focused()
    search.fill(typed)
    search.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    card = page.get_by_role("article", name=registration.full_name)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(registration.reference)
    expect(page.get_by_role("article")).to_have_count(1)
    assert_accessible(page)

    card.get_by_role("button", name=translated(language, "Mark arrived")).click()
    page.wait_for_url(re.compile(rf"\?shown={registration.reference}$"))

    registration.refresh_from_db()
    assert registration.is_checked_in
    assert registration.checked_in_by == desk
    arrived_at = f"{timezone.localtime(registration.checked_in_at, meeting.zone):%H:%M}"
    outcome = translated(language, "%(name)s is marked as arrived at %(time)s.") % {
        "name": registration.full_name,
        "time": arrived_at,
    }
    expect(page.get_by_role("status").filter(has_text=registration.full_name)).to_contain_text(
        outcome
    )
    # The focus is back in the search field for the next name or scan, and a screen reader
    # announces the outcome there, as the field's description.
    expect(search).to_be_focused()
    expect(search).to_have_accessible_description(re.compile(rf"^{re.escape(outcome)} "))
    card = page.get_by_role("article", name=registration.full_name)
    expect(card).to_contain_text(
        translated(language, "Arrived at %(time)s, checked in by %(who)s.")
        % {"time": arrived_at, "who": desk.email}
    )
    expect(card.get_by_role("button", name=translated(language, "Undo"))).to_be_visible()
    expect(page.get_by_text(arrivals_line(language, 1, 2))).to_be_visible()
    assert_accessible(page)
