"""
Time zones: which ones the site knows, how they are named to a visitor, and how a visitor's choice
is read, validated and remembered.

Offsets are never written down here: they are computed with zoneinfo for the instant that matters
(the meeting's start), because several zones of the region change with daylight saving time
(Santiago, Asunción and Havana among them, each on its own calendar).
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from functools import cache, lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country

# The visitor's chosen zone travels as ?tz= (a link anyone can share) and is remembered in a cookie.
QUERY_PARAMETER = "tz"
COOKIE_NAME = "tz"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
# Longer than any IANA name: what is beyond it is not a zone, and echoing it back serves no one.
MAX_ZONE_NAME_LENGTH = 64

# Zone names the tz database carries that are not places a visitor lives in.
_NOT_PLACES = frozenset({"Factory", "localtime"})


@dataclass(frozen=True)
class RegionZone:
    """A zone of Latin America and the Caribbean as a visitor knows it: a city and its country."""

    name: str
    city: str
    country_code: str

    @property
    def country(self):
        return Country(self.country_code).name

    @property
    def label(self):
        return gettext("%(city)s, %(country)s") % {"city": self.city, "country": self.country}


# One zone per country of the region (CELAC's members, plus Puerto Rico and French Guiana), named by
# the capital, roughly from north-west to south-east. Cities are translated; countries come
# translated from django-countries.
REGION_ZONES = (
    RegionZone("America/Mexico_City", _("Mexico City"), "MX"),
    RegionZone("America/Belize", _("Belmopan"), "BZ"),
    RegionZone("America/Guatemala", _("Guatemala City"), "GT"),
    RegionZone("America/El_Salvador", _("San Salvador"), "SV"),
    RegionZone("America/Tegucigalpa", _("Tegucigalpa"), "HN"),
    RegionZone("America/Managua", _("Managua"), "NI"),
    RegionZone("America/Costa_Rica", _("San José"), "CR"),
    RegionZone("America/Panama", _("Panama City"), "PA"),
    RegionZone("America/Havana", _("Havana"), "CU"),
    RegionZone("America/Nassau", _("Nassau"), "BS"),
    RegionZone("America/Jamaica", _("Kingston"), "JM"),
    RegionZone("America/Port-au-Prince", _("Port-au-Prince"), "HT"),
    RegionZone("America/Santo_Domingo", _("Santo Domingo"), "DO"),
    RegionZone("America/Puerto_Rico", _("San Juan"), "PR"),
    RegionZone("America/Antigua", _("St John’s"), "AG"),
    RegionZone("America/St_Kitts", _("Basseterre"), "KN"),
    RegionZone("America/Dominica", _("Roseau"), "DM"),
    RegionZone("America/St_Lucia", _("Castries"), "LC"),
    RegionZone("America/St_Vincent", _("Kingstown"), "VC"),
    RegionZone("America/Barbados", _("Bridgetown"), "BB"),
    RegionZone("America/Grenada", _("St George’s"), "GD"),
    RegionZone("America/Port_of_Spain", _("Port of Spain"), "TT"),
    RegionZone("America/Bogota", _("Bogotá"), "CO"),
    RegionZone("America/Caracas", _("Caracas"), "VE"),
    RegionZone("America/Guyana", _("Georgetown"), "GY"),
    RegionZone("America/Paramaribo", _("Paramaribo"), "SR"),
    RegionZone("America/Cayenne", _("Cayenne"), "GF"),
    RegionZone("America/Guayaquil", _("Quito"), "EC"),
    RegionZone("America/Lima", _("Lima"), "PE"),
    RegionZone("America/La_Paz", _("La Paz"), "BO"),
    RegionZone("America/Sao_Paulo", _("Brasília"), "BR"),
    RegionZone("America/Asuncion", _("Asunción"), "PY"),
    RegionZone("America/Santiago", _("Santiago"), "CL"),
    RegionZone("America/Montevideo", _("Montevideo"), "UY"),
    RegionZone("America/Argentina/Buenos_Aires", _("Buenos Aires"), "AR"),
)
REGION_ZONES_BY_NAME = {zone.name: zone for zone in REGION_ZONES}


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


@cache
def _selectable_names_by_lowercase():
    return {name.lower(): name for name in available_zone_names() - _NOT_PLACES}


def canonical_zone_name(name):
    """
    The IANA spelling of a zone a visitor may choose, or None.

    Case is forgiven because people retype shared links ("america/santiago"); the database's
    non-places ("localtime" is whatever the server's clock says) are not offered.
    """
    if not isinstance(name, str) or not name or len(name) > MAX_ZONE_NAME_LENGTH:
        return None
    return _selectable_names_by_lowercase().get(name.strip().lower())


def utc_offset(zone_name, instant):
    return instant.astimezone(zoneinfo.ZoneInfo(zone_name)).utcoffset()


def format_offset(offset):
    """“UTC−5”, “UTC+5:30”, “UTC”: the typographic minus, as printed schedules write it."""
    if not offset:
        return "UTC"
    sign = "+" if offset > datetime.timedelta(0) else "\N{MINUS SIGN}"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, minutes = divmod(minutes, 60)
    return f"UTC{sign}{hours}:{minutes:02d}" if minutes else f"UTC{sign}{hours}"


def zone_city(zone_name):
    """How a zone is named in running text: the region's capital, else the IANA place name."""
    if zone_name in REGION_ZONES_BY_NAME:
        return REGION_ZONES_BY_NAME[zone_name].city
    return zone_name.rsplit("/", 1)[-1].replace("_", " ")


def zone_label(zone_name):
    """How a zone is named in a list: “Santiago, Chile” for the region, the IANA name otherwise."""
    if zone_name in REGION_ZONES_BY_NAME:
        return REGION_ZONES_BY_NAME[zone_name].label
    return zone_name


@dataclass(frozen=True)
class RegionStartTime:
    """Every zone of the region whose clocks read the same at one instant."""

    offset: datetime.timedelta
    local_time: datetime.datetime
    zones: tuple

    @property
    def offset_label(self):
        return format_offset(self.offset)


@lru_cache(maxsize=64)
def region_start_times(instant):
    """
    The region's zones grouped by their real offset at `instant`, from west to east.

    Each group carries the local time there and its zones in REGION_ZONES order, so on
    15 August 2024 Santiago sits with Caracas at UTC−4 while Bogotá, Lima and Panama share UTC−5.
    """
    groups = {}
    for zone in REGION_ZONES:
        groups.setdefault(utc_offset(zone.name, instant), []).append(zone)
    return tuple(
        RegionStartTime(
            offset=offset,
            local_time=instant.astimezone(zoneinfo.ZoneInfo(zones[0].name)),
            zones=tuple(zones),
        )
        for offset, zones in sorted(groups.items())
    )


@dataclass(frozen=True)
class ZoneChoice:
    name: str
    offset: datetime.timedelta

    @property
    def label(self):
        return f"{zone_label(self.name)} ({format_offset(self.offset)})"


# Beside the region, the zones the meeting's audience most often reads times in: the international
# organisations and cooperation agencies in Washington and Madrid, and UTC. Offered on every page;
# every other zone is on the page that lists them all, one step away.
AUDIENCE_ZONES = ("America/New_York", "Europe/Madrid", "UTC")

# Zones filed under a continent or an ocean, as the tz database names them; the rest (UTC, Etc/…,
# the old country-named links) are listed together at the end.
ZONE_AREAS = (
    ("Africa", _("Africa")),
    ("America", _("America")),
    ("Antarctica", _("Antarctica")),
    ("Arctic", _("Arctic")),
    ("Asia", _("Asia")),
    ("Atlantic", _("Atlantic Ocean")),
    ("Australia", _("Australia")),
    ("Europe", _("Europe")),
    ("Indian", _("Indian Ocean")),
    ("Pacific", _("Pacific Ocean")),
)


@lru_cache(maxsize=16)
def zone_choices(instant):
    """
    What the time zone selector offers at `instant`: the region's zones from west to east, then
    every other IANA zone in alphabetical order, each with its offset at that instant.
    """
    region = sorted(
        (ZoneChoice(zone.name, utc_offset(zone.name, instant)) for zone in REGION_ZONES),
        key=lambda choice: choice.offset,
    )
    others = [
        ZoneChoice(name, utc_offset(name, instant))
        for name in sorted(available_zone_names() - _NOT_PLACES - REGION_ZONES_BY_NAME.keys())
    ]
    return tuple(region), tuple(others)


def short_zone_choices(instant, selected=None):
    """
    What every page's selector offers: the region's zones from west to east, then the audience's
    few others and, if the visitor chose one that is in neither, that one too, so the selector
    always shows the zone the page is drawn in.
    """
    region, _others = zone_choices(instant)
    audience = list(AUDIENCE_ZONES)
    if selected and selected not in REGION_ZONES_BY_NAME and selected not in audience:
        audience.append(selected)
    return region, tuple(ZoneChoice(name, utc_offset(name, instant)) for name in audience)


@dataclass(frozen=True)
class ZoneArea:
    """A continent or ocean of the tz database and its zones, for the page listing every zone."""

    label: str
    choices: tuple


@lru_cache(maxsize=16)
def zone_areas(instant):
    """Every zone outside the region, grouped by continent or ocean; the rest last, as “Other”."""
    _region, others = zone_choices(instant)
    by_area = {area: [] for area, _label in ZONE_AREAS}
    rest = []
    for choice in others:
        area = choice.name.split("/", 1)[0]
        if "/" in choice.name and area in by_area:
            by_area[area].append(choice)
        else:
            rest.append(choice)
    labels = dict(ZONE_AREAS)
    return tuple(
        ZoneArea(labels[area], tuple(choices)) for area, choices in by_area.items() if choices
    ) + (ZoneArea(_("Other time zones"), tuple(rest)),)


class VisitorTimeZone:
    """
    The zone a visitor reads times in, from the link (?tz=) first, then the remembered cookie.

    `name` is None when the visitor has chosen nothing usable: times then follow each event's own
    zone. `rejected` is what an unknown ?tz= asked for, so the page can say so.
    """

    def __init__(self, request):
        requested = request.GET.get(QUERY_PARAMETER, "").strip()
        self.from_link = bool(requested)
        self.rejected = None
        if self.from_link:
            self.name = canonical_zone_name(requested)
            if self.name is None:
                self.rejected = requested[:MAX_ZONE_NAME_LENGTH]
        else:
            # A cookie that no longer names a zone (tz database renamed it) is simply ignored.
            self.name = canonical_zone_name(request.COOKIES.get(COOKIE_NAME))

    @classmethod
    def of(cls, request):
        """One reading per request, shared by the view and the context processor."""
        if not hasattr(request, "_visitor_time_zone"):
            request._visitor_time_zone = cls(request)
        return request._visitor_time_zone

    def name_for(self, event=None):
        """The zone to show `event`'s times in: the visitor's choice, else the event's own."""
        if self.name:
            return self.name
        return event.time_zone if event is not None else settings.TIME_ZONE

    def remember(self, response, *, secure=False):
        """
        Set the cookie when the link chose a known zone; otherwise the page was drawn from the
        cookie (or its absence), and a shared cache must keep one copy per cookie.
        """
        if self.from_link:
            if self.name:
                response.set_cookie(
                    COOKIE_NAME,
                    self.name,
                    max_age=COOKIE_MAX_AGE,
                    samesite="Lax",
                    secure=secure,
                    httponly=True,
                )
        else:
            patch_vary_headers(response, ["Cookie"])
        return response


class TimeZoneVariant:
    """
    How a public page drawn in the visitor's time zone varies, for the page cache (pagecache):
    one stored copy per zone chosen by link and per zone remembered in the cookie. A zone nobody
    knows is drawn each time and never stored, so made-up ?tz= values cannot fill the cache.
    """

    @staticmethod
    def key(request):
        zone = VisitorTimeZone.of(request)
        if zone.rejected is not None:
            return None
        return f"{'link' if zone.from_link else 'cookie'}:{zone.name or ''}"

    @staticmethod
    def remember(request, response):
        return VisitorTimeZone.of(request).remember(response, secure=request.is_secure())
