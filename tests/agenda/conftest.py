import datetime

import pytest
import time_machine


@pytest.fixture
def fingerprint_every_request(settings):
    """
    Every request reads the agenda's state from the database, as once the last reading is older
    than PUBLIC_PAGE_FINGERPRINT_MAX_AGE: what drawing a page costs does not then depend on what
    the request before it read.
    """
    settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE = 0


@pytest.fixture
def before_the_meeting():
    """
    The clock stands on 1 August 2024, two weeks before the meeting: its pages and calendars
    speak of it as coming (after 15 August they say it took place, test_past_meetings.py).
    """
    with time_machine.travel(datetime.datetime(2024, 8, 1, 12, tzinfo=datetime.UTC), tick=False):
        yield
