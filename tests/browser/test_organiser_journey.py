"""
Organisers in Chromium: staff enter the admin through the site's sign-in and a code from their
authenticator app (forum/admin_access.py), move a session, and the public agenda and the calendar
feed follow; a new organiser sets up the app on the way in. Every two-factor page they see meets
WCAG 2.2 AA in both languages, at a phone's width and a desktop's.

Codes are computed as an authenticator app computes them, with allauth's own functions, from the
same clock the live server reads, so no date matters. allauth refuses a code used twice within its
30 seconds: no test types the same code twice (the cache of used codes is emptied between tests),
and a code computed just before a 30-second step is still accepted after it (MFA_TOTP_TOLERANCE).
"""

import datetime
import re

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.utils.text import capfirst
from icalendar import Calendar
from modeltranslation.utils import build_localized_fieldname
from playwright.sync_api import expect

from agenda.calendars import session_uid
from forum.groups import ORGANISERS
from tests.agenda.factories import lima
from tests.languages import translated, url

from .helpers import (
    PASSWORD,
    assert_accessible,
    assert_language_declared,
    authenticator_code,
    each_language_once,
    label,
    sign_in_with_code,
    submit_sign_in,
    visit,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The second round of comments starts after a five-minute gap (12:15–12:20 in Lima): it can move five
# minutes earlier, end included, without leaving the morning or touching its neighbours.
OLD_TIMES = (lima(12, 20), lima(12, 45))
NEW_TIMES = (lima(12, 15), lima(12, 40))


@pytest.fixture
def organiser(staff_member):
    """A staff member of the Organisers group whose authenticator app is already set up."""
    user = staff_member("organiser@comunidadandina.org", ORGANISERS)
    TOTP.activate(user, SECRET)
    return user


def sessions_link(page, language):
    """The admin index's way to the sessions, which the Organisers group may edit."""
    return page.get_by_role("link", name=capfirst(translated(language, "sessions")), exact=True)


def agenda_times(page, session):
    """The session's start and end on the agenda: [(UTC instant, text shown)]."""
    row = page.locator(".agenda-item article").filter(
        has=page.locator(f"#session-{session.pk}-title")
    )
    return row.locator(".agenda-item__time time").evaluate_all(
        "times => times.map(time => [time.dateTime, time.textContent.trim()])"
    )


def page_language(page):
    return page.locator("html").get_attribute("lang")


def feed_entry(page, event, session):
    """
    The session's VEVENT in the meeting's subscription feed. Its address is built, not read from
    the page: once the meeting has taken place (by the clock: the real meeting did, in 2024) the
    page no longer offers the subscription, yet calendars already subscribed keep fetching it.
    """
    feed_url = url(page_language(page), "agenda:event-feed", event_slug=event.slug)
    response = page.request.get(feed_url)
    assert response.ok, f"{feed_url} answered {response.status}"
    calendar = Calendar.from_ical(response.body())
    uid = session_uid(event, session)
    [entry] = [entry for entry in calendar.walk("VEVENT") if str(entry["UID"]) == uid]
    return entry


def on_agenda(times):
    """[(UTC instant, Lima clock)] as the agenda's <time> elements carry and show them."""
    return [
        [moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), f"{moment:%H:%M}"]
        for moment in times
    ]


@pytest.mark.parametrize(("language", "viewport"), each_language_once())
def test_organiser_signs_in_with_a_code_moves_a_session_and_the_agenda_and_feed_follow(
    open_page, meeting, organiser, language, viewport
):
    session = meeting.sessions.get(starts_at=OLD_TIMES[0])
    agenda_path = url(language, "agenda:event-agenda", event_slug=meeting.slug)

    # A visitor reads the agenda first, so the page and the feed are cached with the old time.
    visitor = open_page(viewport)
    visit(visitor, agenda_path)
    assert agenda_times(visitor, session) == on_agenda(OLD_TIMES)
    assert feed_entry(visitor, meeting, session).decoded("DTSTART") == OLD_TIMES[0]

    page = open_page(viewport)
    sign_in_with_code(page, language, organiser.email, url(language, "admin:index"), SECRET)
    assert_language_declared(page, language)
    sessions_link(page, language).click()
    page.wait_for_url(f"**{url(language, 'admin:agenda_session_changelist')}")
    change_path = url(language, "admin:agenda_session_change", object_id=session.pk)
    page.locator(f"#result_list a[href='{change_path}']").click()
    page.wait_for_url(f"**{change_path}")

    # Django's split date and time inputs: only the times move, the day stays.
    page.locator("#id_starts_at_1").fill(f"{NEW_TIMES[0]:%H:%M:%S}")
    page.locator("#id_ends_at_1").fill(f"{NEW_TIMES[1]:%H:%M:%S}")
    page.get_by_role("button", name=translated(language, "Save"), exact=True).click()
    page.wait_for_url(f"**{url(language, 'admin:agenda_session_changelist')}")
    expect(page.locator(".messagelist .success")).to_contain_text(
        getattr(session, build_localized_fieldname("title", language))
    )
    session.refresh_from_db()
    assert (session.starts_at, session.ends_at) == NEW_TIMES
    assert session.sequence == 1

    visit(visitor, agenda_path)
    assert agenda_times(visitor, session) == on_agenda(NEW_TIMES)
    entry = feed_entry(visitor, meeting, session)
    assert (entry.decoded("DTSTART"), entry.decoded("DTEND")) == NEW_TIMES
    # Calendars that imported the old entry replace it because the sequence grew.
    assert entry.decoded("SEQUENCE") == 1


@pytest.mark.parametrize(("language", "viewport"), each_language_once())
def test_new_organiser_sets_up_two_factor_on_the_way_into_the_admin(
    open_page, meeting, staff_member, language, viewport
):
    user = staff_member("nueva@comunidadandina.org", ORGANISERS)
    admin_path = url(language, "admin:index")
    page = open_page(viewport)

    submit_sign_in(page, language, user.email, admin_path)
    # allauth asks for the password once more before the way the account is protected changes.
    page.wait_for_url(re.compile(re.escape(url(language, "account_reauthenticate"))))
    assert_accessible(page)
    page.get_by_label(label(language, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=translated(language, "Confirm")).click()
    page.wait_for_url(f"**{url(language, 'mfa_activate_totp')}")
    assert_language_declared(page, language)
    expect(
        page.get_by_role(
            "img", name=translated(language, "QR code to scan with your authenticator app")
        )
    ).to_be_visible()
    assert_accessible(page)
    secret = page.get_by_label(label(language, "Authenticator secret")).input_value()
    page.get_by_label(label(language, "Authenticator code")).fill(authenticator_code(secret))
    page.get_by_role("button", name=translated(language, "Activate")).click()

    page.wait_for_url(f"**{url(language, 'mfa_view_recovery_codes')}")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    codes = page.get_by_label(label(language, "Unused codes")).input_value().split()
    assert len(codes) == mfa_settings.RECOVERY_CODE_COUNT
    assert_accessible(page)

    # Setting up the app is not yet a sign-in with it: the admin asks for a code once.
    page.get_by_role("link", name=translated(language, "Continue to the administration")).click()
    page.wait_for_url(re.compile(re.escape(url(language, "mfa_reauthenticate"))))
    assert_accessible(page)
    # The code of the next 30 seconds: never the one that activated the app.
    page.get_by_label(label(language, "Code")).fill(authenticator_code(secret, windows_ahead=1))
    page.get_by_role("button", name=translated(language, "Confirm")).click()
    page.wait_for_url(f"**{admin_path}")
    expect(sessions_link(page, language)).to_be_visible()

    visit(page, url(language, "mfa_index"))
    assert_language_declared(page, language)
    assert_accessible(page)
