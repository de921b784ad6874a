"""
Simultaneous registrations against a real database: never more confirmed than places.

Each thread has its own database connection and transaction, as gunicorn workers would. SQLite's
in-memory test database is shared by threads through one cache with table-level locks rather than
the file locking that BEGIN IMMEDIATE relies on, so this runs on PostgreSQL (CI runs the suite on
both).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from registration import services
from registration.models import AttendanceMode, Registration, StatusChange

from .factories import AudienceCategoryFactory, UserFactory, details, open_event

CAPACITY = 5
PARTICIPANTS = 24

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's row locks and real connections",
    ),
]


def test_simultaneous_registrations_never_oversell_the_room():
    event = open_event(in_person_places=CAPACITY)
    category = AudienceCategoryFactory(event=event)
    users = [UserFactory() for _ in range(PARTICIPANTS)]
    start = threading.Barrier(PARTICIPANTS)

    def register(user):
        try:
            start.wait()
            return services.register(
                event=event, user=user, details=details(category, AttendanceMode.IN_PERSON)
            ).status
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=PARTICIPANTS) as pool:
        statuses = list(pool.map(register, users))

    registrations = Registration.objects.for_event(event)
    assert registrations.count() == PARTICIPANTS
    assert registrations.values("user").distinct().count() == PARTICIPANTS
    assert registrations.confirmed().count() == CAPACITY
    assert registrations.waiting().count() == PARTICIPANTS - CAPACITY
    assert statuses.count(Registration.Status.CONFIRMED) == CAPACITY
    positions = sorted(r.waiting_position() for r in registrations.waiting())
    assert positions == list(range(1, PARTICIPANTS - CAPACITY + 1))


def test_simultaneous_cancellations_promote_each_waiting_person_once():
    event = open_event(in_person_places=CAPACITY)
    category = AudienceCategoryFactory(event=event)
    confirmed = [
        services.register(event=event, user=UserFactory(), details=details(category))
        for _ in range(CAPACITY)
    ]
    for _ in range(CAPACITY):
        services.register(event=event, user=UserFactory(), details=details(category))
    start = threading.Barrier(CAPACITY)

    def cancel(registration):
        try:
            start.wait()
            services.cancel(registration, by=registration.user)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=CAPACITY) as pool:
        list(pool.map(cancel, confirmed))

    registrations = Registration.objects.for_event(event)
    assert registrations.confirmed().count() == CAPACITY
    assert registrations.waiting().count() == 0
    promotions = sum(
        r.status_changes.filter(action=StatusChange.Action.PROMOTED).count()
        for r in registrations.confirmed()
    )
    assert promotions == CAPACITY


def test_registrations_and_switches_at_the_same_moment_share_the_rooms_places():
    # Registering and switching take the same lock by different calls (lock_places, lock_event):
    # together they must still never seat more people than the room holds.
    event = open_event(in_person_places=CAPACITY, virtual_places=None)
    category = AudienceCategoryFactory(event=event)
    online = [
        services.register(
            event=event,
            user=UserFactory(),
            details=details(category, AttendanceMode.VIRTUAL),
        )
        for _ in range(PARTICIPANTS // 2)
    ]
    newcomers = [UserFactory() for _ in range(PARTICIPANTS // 2)]
    start = threading.Barrier(PARTICIPANTS)

    def register(user):
        try:
            start.wait()
            services.register(
                event=event, user=user, details=details(category, AttendanceMode.IN_PERSON)
            )
        finally:
            connections.close_all()

    def switch(registration):
        try:
            start.wait()
            services.switch_mode(registration, AttendanceMode.IN_PERSON, by=registration.user)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=PARTICIPANTS) as pool:
        done = [pool.submit(register, user) for user in newcomers]
        done += [pool.submit(switch, registration) for registration in online]
        for future in done:
            future.result()

    in_person = Registration.objects.for_event(event).in_person()
    assert in_person.count() == PARTICIPANTS
    assert in_person.confirmed().count() == CAPACITY
    assert in_person.waiting().count() == PARTICIPANTS - CAPACITY
