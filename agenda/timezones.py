"""
Time zones: which ones the site knows, and how a visitor's choice is read and validated.

Offsets are never written down here: they are computed with zoneinfo for the instant that matters
(the meeting's start), because several zones of the region change with daylight saving time.
"""

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def available_zone_names():
    """Every IANA zone name this machine's tz database knows (tzdata ships one if the OS has none)."""
    return frozenset(zoneinfo.available_timezones())


def is_known_zone(name):
    return isinstance(name, str) and name in available_zone_names()


def validate_time_zone(value):
    if not is_known_zone(value):
        raise ValidationError(
            _("“%(value)s” is not a known time zone. Use an IANA name such as America/Lima."),
            params={"value": value},
            code="unknown_time_zone",
        )
