import datetime

import pytest
from django.template import RequestContext, Template
from django.utils import translation

from agenda.timezones import (
    REGION_ZONES,
    available_zone_names,
    canonical_zone_name,
    format_offset,
    region_start_times,
    zone_choices,
    zone_label,
)

from .factories import EventFactory, lima

MEETING_START = lima(9)


def _group_of(groups, zone_name):
    return next(group for group in groups if zone_name in {zone.name for zone in group.zones})


def test_every_zone_of_the_region_is_in_the_tz_database():
    assert {zone.name for zone in REGION_ZONES} <= available_zone_names()


def test_region_covers_mexico_city_to_buenos_aires_and_the_caribbean():
    names = {zone.name for zone in REGION_ZONES}
    assert {
        "America/Mexico_City",
        "America/Havana",
        "America/Port-au-Prince",
        "America/Santo_Domingo",
        "America/Port_of_Spain",
        "America/Barbados",
        "America/Lima",
        "America/Santiago",
        "America/Argentina/Buenos_Aires",
    } <= names


def test_santiago_and_caracas_share_utc_minus_4_on_the_meeting_day():
    groups = region_start_times(MEETING_START)
    santiago = _group_of(groups, "America/Santiago")
    assert santiago is _group_of(groups, "America/Caracas")
    assert santiago.offset == datetime.timedelta(hours=-4)
    assert santiago.offset_label == "UTC\N{MINUS SIGN}4"
    assert santiago.local_time.strftime("%H:%M") == "10:00"


def test_bogota_lima_and_panama_share_utc_minus_5_on_the_meeting_day():
    groups = region_start_times(MEETING_START)
    lima_group = _group_of(groups, "America/Lima")
    assert lima_group is _group_of(groups, "America/Bogota")
    assert lima_group is _group_of(groups, "America/Panama")
    assert lima_group.offset == datetime.timedelta(hours=-5)
    assert lima_group.local_time.strftime("%H:%M") == "09:00"


def test_region_groups_run_west_to_east_with_their_local_start_times():
    groups = region_start_times(MEETING_START)
    assert [group.offset_label for group in groups] == [
        "UTC\N{MINUS SIGN}6",
        "UTC\N{MINUS SIGN}5",
        "UTC\N{MINUS SIGN}4",
        "UTC\N{MINUS SIGN}3",
    ]
    assert [group.local_time.strftime("%H:%M") for group in groups] == [
        "08:00",
        "09:00",
        "10:00",
        "11:00",
    ]
    assert _group_of(groups, "America/Mexico_City").offset == datetime.timedelta(hours=-6)
    assert _group_of(groups, "America/Argentina/Buenos_Aires").offset == datetime.timedelta(
        hours=-3
    )
    # Every zone of the region appears exactly once.
    assert sorted(zone.name for group in groups for zone in group.zones) == sorted(
        zone.name for zone in REGION_ZONES
    )


def test_offsets_follow_daylight_saving_time_of_the_instant_given():
    # In the southern summer Santiago runs on UTC−3, beside Buenos Aires, not Caracas.
    january = lima(9, day=datetime.date(2025, 1, 15))
    groups = region_start_times(january)
    santiago = _group_of(groups, "America/Santiago")
    assert santiago.offset == datetime.timedelta(hours=-3)
    assert santiago is _group_of(groups, "America/Argentina/Buenos_Aires")
    assert santiago is not _group_of(groups, "America/Caracas")


@pytest.mark.parametrize(
    ("offset", "label"),
    [
        (datetime.timedelta(hours=-5), "UTC\N{MINUS SIGN}5"),
        (datetime.timedelta(hours=5, minutes=30), "UTC+5:30"),
        (datetime.timedelta(hours=-3, minutes=-30), "UTC\N{MINUS SIGN}3:30"),
        (datetime.timedelta(0), "UTC"),
    ],
)
def test_offsets_are_written_as_printed_schedules_write_them(offset, label):
    assert format_offset(offset) == label


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("America/Santiago", "America/Santiago"),
        ("america/santiago", "America/Santiago"),
        (" Europe/Madrid ", "Europe/Madrid"),
        ("UTC", "UTC"),
        ("Mars/Olympus_Mons", None),
        ("localtime", None),
        ("", None),
        (None, None),
        ("America/" + "x" * 200, None),
    ],
)
def test_a_visitors_zone_is_recognised_whatever_its_case_and_only_if_it_exists(typed, expected):
    assert canonical_zone_name(typed) == expected


def test_selector_offers_the_region_first_then_every_other_zone_once():
    region, others = zone_choices(MEETING_START)
    region_names = [choice.name for choice in region]
    other_names = [choice.name for choice in others]
    assert set(region_names) == {zone.name for zone in REGION_ZONES}
    assert region_names[0] == "America/Mexico_City"
    assert not set(region_names) & set(other_names)
    assert "Europe/Madrid" in other_names
    assert "Asia/Tokyo" in other_names
    assert other_names == sorted(other_names)
    assert "localtime" not in other_names


def test_selector_labels_carry_the_offset_on_the_event_date():
    region, others = zone_choices(MEETING_START)
    by_name = {choice.name: choice for choice in (*region, *others)}
    with translation.override("en"):
        assert by_name["America/Santiago"].label == "Santiago, Chile (UTC\N{MINUS SIGN}4)"
        assert by_name["Europe/Madrid"].label == "Europe/Madrid (UTC+2)"


def test_region_labels_follow_the_active_language():
    with translation.override("es"):
        assert zone_label("America/Lima") == "Lima, Perú"
    with translation.override("en"):
        assert zone_label("America/Lima") == "Lima, Peru"


def render_times(request, event):
    template = Template(
        "{% load event_times %}{% event_time event.starts_at event %}|"
        "{% event_time_range event.starts_at event.ends_at event %}"
    )
    with translation.override("en"):
        return template.render(RequestContext(request, {"event": event}))


def test_time_tags_show_the_visitors_clock_with_the_events_beside(rf):
    event = EventFactory.build()
    single, span = render_times(rf.get("/", {"tz": "America/Santiago"}), event).split("|")
    assert single == (
        '<time datetime="2024-08-15T14:00:00Z">10:00</time> Santiago time'
        ' <span class="event-time">(09:00 Lima time)</span>'
    )
    assert span == (
        '<time datetime="2024-08-15T14:00:00Z">10:00</time>–'
        '<time datetime="2024-08-15T18:00:00Z">14:00</time>'
        ' <span class="event-time">(09:00–13:00 Lima time)</span>'
    )


def test_time_tags_in_the_events_own_zone_show_each_time_once(rf):
    event = EventFactory.build()
    single, span = render_times(rf.get("/"), event).split("|")
    assert single == '<time datetime="2024-08-15T14:00:00Z">09:00</time> Lima time'
    assert span == (
        '<time datetime="2024-08-15T14:00:00Z">09:00</time>–'
        '<time datetime="2024-08-15T18:00:00Z">13:00</time>'
    )
