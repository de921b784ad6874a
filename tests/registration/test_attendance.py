"""
Attendance, in person and online: the join link records the use during the meeting only, the
dashboard counts per mode, and organisers mark or take back attendance by hand in the admin.
"""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from forum.groups import ORGANISERS
from registration.models import AttendanceMode, Registration, StatusChange
from tests.agenda.factories import lima

from .factories import AudienceCategoryFactory, RegistrationFactory, open_event
from .staff import sign_in, staff_member

pytestmark = pytest.mark.django_db

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL
Status = Registration.Status
ROOM = "https://meet.example.org/j/secret-join-link-4242"


@pytest.fixture
def event():
    # 15 August 2024, 09:00–13:00 Lima time (the factory's).
    return open_event()


@pytest.fixture
def online(event):
    return RegistrationFactory(event=event, attendance_mode=VIRTUAL)


def join(client, registration):
    with translation.override("en"):
        path = reverse("registration:join", kwargs={"token": registration.personal_token})
    return client.get(path)


# The join link -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "counted"),
    [
        (lima(8, 30) - datetime.timedelta(seconds=1), False),  # a second before the window
        (lima(8, 30), True),  # 30 minutes before the start
        (lima(11), True),
        (lima(13), True),  # the end
        (lima(13) + datetime.timedelta(seconds=1), False),  # after the end
        (lima(9, day=datetime.date(2024, 8, 14)), False),  # the day before
    ],
)
def test_join_link_records_attendance_only_from_half_an_hour_before_to_the_end(
    client, online, moment, counted
):
    with time_machine.travel(moment, tick=False):
        response = join(client, online)
    # The room opens whatever the hour: only the record depends on the window.
    assert response.status_code == 302
    assert response["Location"] == ROOM
    online.refresh_from_db()
    assert online.attended is counted
    assert online.online_join_count == (1 if counted else 0)
    assert online.joined_online_first_at == (moment if counted else None)


def test_join_link_keeps_first_and_last_use_and_counts_them(client, online):
    for moment in (lima(8, 45), lima(9, 10), lima(12, 30)):
        with time_machine.travel(moment, tick=False):
            join(client, online)
    with time_machine.travel(lima(14), tick=False):
        join(client, online)  # after the meeting: not counted
    online.refresh_from_db()
    assert online.joined_online_first_at == lima(8, 45)
    assert online.joined_online_last_at == lima(12, 30)
    assert online.online_join_count == 3
    assert Registration.objects.attended().get() == online


def test_a_refused_join_records_nothing(client, event):
    waiting = RegistrationFactory(event=event, attendance_mode=VIRTUAL, status=Status.WAITING_LIST)
    with time_machine.travel(lima(10), tick=False):
        assert join(client, waiting).status_code == 403
    waiting.refresh_from_db()
    assert (waiting.online_join_count, waiting.joined_online_first_at) == (0, None)
    assert not waiting.attended


def test_join_records_no_address_nor_browser(client, online):
    with time_machine.travel(lima(10), tick=False):
        client.get(
            reverse("registration:join", kwargs={"token": online.personal_token}),
            HTTP_USER_AGENT="Spy/1.0",
            REMOTE_ADDR="203.0.113.9",
        )
    row = Registration.objects.filter(pk=online.pk).values().get()
    assert not any("203.0.113.9" in str(value) or "Spy" in str(value) for value in row.values())
    assert not StatusChange.objects.filter(registration=online).exists()


def test_arrival_at_the_desk_is_attendance(event):
    arrived = RegistrationFactory(event=event, checked_in_at=lima(8, 50))
    RegistrationFactory(event=event)
    assert arrived.attended
    assert list(Registration.objects.attended()) == [arrived]


# The dashboard -------------------------------------------------------------------------------


def dashboard(client, event, language="en"):
    with translation.override(language):
        path = reverse("admin:registration_registration_dashboard", args=[event.pk])
    return client.get(path)


def attendance_rows(response):
    return [
        (row.label, row.registered, row.confirmed, row.attended)
        for row in response.context["dashboard"].attendance
    ]


def test_dashboard_shows_registered_confirmed_and_attended_per_mode(client, event):
    sign_in(client, staff_member(ORGANISERS))
    category = AudienceCategoryFactory(event=event)

    def make(mode, status=Status.CONFIRMED, **fields):
        return RegistrationFactory(
            event=event, category=category, attendance_mode=mode, status=status, **fields
        )

    make(IN_PERSON, checked_in_at=lima(8, 50))
    make(IN_PERSON, checked_in_at=lima(9, 5))
    make(IN_PERSON)
    make(IN_PERSON, Status.WAITING_LIST)
    make(IN_PERSON, Status.CANCELLED)
    make(VIRTUAL, joined_online_first_at=lima(9), online_join_count=1)
    make(VIRTUAL, attendance_marked=True)
    # Joined, but an organiser took the attendance back.
    make(VIRTUAL, joined_online_first_at=lima(9), online_join_count=1, attendance_marked=False)
    make(VIRTUAL, Status.PENDING_APPROVAL)

    response = dashboard(client, event)
    assert attendance_rows(response) == [
        ("In person in Lima", 4, 3, 2),
        ("Virtual", 4, 3, 2),
    ]
    page = response.text
    assert "Attendance by mode" in page
    assert "<td>4</td>\n            <td>3</td>\n            <td>2</td>" in page


def test_dashboard_attendance_costs_the_same_queries_for_many_registrations(client, event):
    sign_in(client, staff_member(ORGANISERS))
    category = AudienceCategoryFactory(event=event)
    RegistrationFactory(event=event, category=category, checked_in_at=lima(9))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert dashboard(client, event).status_code == 200
        return len(captured)

    few = queries()
    for index in range(12):
        RegistrationFactory(
            event=event,
            category=category,
            attendance_mode=VIRTUAL if index % 2 else IN_PERSON,
            checked_in_at=lima(9) if index % 3 == 0 and index % 2 == 0 else None,
            joined_online_first_at=lima(9) if index % 2 else None,
        )
    assert queries() == few


@pytest.mark.parametrize("language", ["es", "en"])
def test_dashboard_attendance_speaks_the_admin_language(client, event, language):
    sign_in(client, staff_member(ORGANISERS))
    RegistrationFactory(event=event, checked_in_at=lima(9))
    with translation.override(language):
        expected = [
            translation.gettext("Attendance by mode"),
            translation.gettext("Registered (active)"),
        ]
    page = dashboard(client, event, language).text
    assert all(text in page for text in expected)
    if language == "es":
        assert "Asistencia por modalidad" in page


# Marking by hand in the admin ----------------------------------------------------------------


def changelist(language="en"):
    with translation.override(language):
        return reverse("admin:registration_registration_changelist")


def test_organiser_marks_and_takes_back_attendance_in_admin_recorded_with_who_and_when(
    client, event
):
    organiser = sign_in(client, staff_member(ORGANISERS))
    registration = RegistrationFactory(event=event, attendance_mode=VIRTUAL)
    assert not registration.attended

    with time_machine.travel(lima(14), tick=False):
        response = client.post(
            changelist(),
            {"action": "mark_attended", "_selected_action": [registration.pk]},
            follow=True,
        )
    assert "1 registration marked as attended." in response.text
    registration.refresh_from_db()
    assert registration.attended
    assert (registration.attendance_marked_at, registration.attendance_marked_by) == (
        lima(14),
        organiser,
    )
    marked = registration.status_changes.get(action=StatusChange.Action.ATTENDANCE_MARKED)
    assert (marked.changed_by, marked.changed_at) == (organiser, lima(14))

    with time_machine.travel(lima(15), tick=False):
        response = client.post(
            changelist(),
            {"action": "mark_not_attended", "_selected_action": [registration.pk]},
            follow=True,
        )
    assert "1 registration marked as not attended." in response.text
    registration.refresh_from_db()
    assert not registration.attended
    unmarked = registration.status_changes.get(action=StatusChange.Action.ATTENDANCE_UNMARKED)
    assert (unmarked.changed_by, unmarked.changed_at) == (organiser, lima(15))


def test_taking_back_attendance_wins_over_the_desk(client, event):
    sign_in(client, staff_member(ORGANISERS))
    arrived = RegistrationFactory(event=event, checked_in_at=lima(9))
    client.post(changelist(), {"action": "mark_not_attended", "_selected_action": [arrived.pk]})
    arrived.refresh_from_db()
    assert arrived.checked_in_at == lima(9)  # the desk's record stays
    assert not arrived.attended
    assert not Registration.objects.attended().exists()


def test_marking_twice_says_so_and_records_once(client, event):
    sign_in(client, staff_member(ORGANISERS))
    registration = RegistrationFactory(event=event)
    data = {"action": "mark_attended", "_selected_action": [registration.pk]}
    client.post(changelist(), data)
    response = client.post(changelist(), data, follow=True)
    assert "Attendance is already marked by hand." in response.text
    assert registration.status_changes.filter(action="attendance_marked").count() == 1


def test_the_registration_page_in_admin_shows_attendance(client, event):
    sign_in(client, staff_member(ORGANISERS))
    registration = RegistrationFactory(
        event=event,
        attendance_mode=VIRTUAL,
        joined_online_first_at=lima(8, 45),
        joined_online_last_at=lima(10),
        online_join_count=2,
    )
    with translation.override("en"):
        path = reverse("admin:registration_registration_change", args=[registration.pk])
    page = client.get(path).text
    assert "First joined online at" in page
    assert "Times joined online" in page
    assert "Not issued yet." in page


def test_check_in_staff_cannot_mark_attendance_in_admin(client, event):
    from forum.groups import CHECK_IN_STAFF

    sign_in(client, staff_member(CHECK_IN_STAFF))
    registration = RegistrationFactory(event=event)
    response = client.post(
        changelist(), {"action": "mark_attended", "_selected_action": [registration.pk]}
    )
    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.attendance_marked is None
