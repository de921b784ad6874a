import datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registration.models import AttendanceMode, Registration
from tests.agenda.factories import lima

from .factories import (
    AudienceCategoryFactory,
    RegistrationFactory,
    UserFactory,
    open_event,
    set_registration,
)
from .page_reading import read
from .staff import sign_in

pytestmark = pytest.mark.django_db

Status = Registration.Status
IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL


def in_language(language, url):
    return f"/{language}/" + url.split("/", 2)[2]


def dashboard_url(event, language="en"):
    return in_language(
        language, reverse("admin:registration_registration_dashboard", args=[event.pk])
    )


class DashboardReader(HTMLParser):
    """The dashboard as assistive technology reads it: each chart's name, and each table's rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.charts = []  # [{"attrs": …, "title": …, "desc": …, "ids": {…}}]
        self.tables = {}  # caption → [[cell, …], …]
        self._svg = None
        self._table = None
        self._row = None
        self._text = None
        self._where = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg" and attrs.get("role") == "img":
            self._svg = {"attrs": attrs, "title": "", "desc": "", "ids": set()}
        elif self._svg is not None and tag in {"title", "desc"}:
            self._svg["ids"].add(attrs.get("id"))
            self._where, self._text = tag, []
        elif tag == "table":
            self._table = {"caption": "", "rows": []}
        elif self._table is not None and tag == "caption":
            self._where, self._text = "caption", []
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in {"th", "td"}:
            self._where, self._text = "cell", []

    def handle_endtag(self, tag):
        if self._where and tag in {"title", "desc", "caption", "th", "td"}:
            text = " ".join("".join(self._text).split())
            if self._where in {"title", "desc"}:
                self._svg[self._where] = text
            elif self._where == "caption":
                self._table["caption"] = text
            else:
                self._row.append(text)
            self._where = None
        elif tag == "svg" and self._svg is not None:
            self.charts.append(self._svg)
            self._svg = None
        elif tag == "tr" and self._row is not None:
            self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables[self._table["caption"]] = self._table["rows"]
            self._table = None

    def handle_data(self, data):
        if self._where:
            self._text.append(data)


def read_dashboard(response):
    reader = DashboardReader()
    reader.feed(response.content.decode())
    return reader


@pytest.fixture
def event():
    return open_event(title_en="Cross-border meeting", in_person_places=3, virtual_places=None)


@pytest.fixture
def government(event):
    return AudienceCategoryFactory(event=event, name_en="Government", name_es="Gobierno")


@pytest.fixture
def academia(event):
    return AudienceCategoryFactory(event=event, name_en="Academia", name_es="Academia")


@pytest.fixture
def registrations(event, government, academia):
    """3 of 3 in-person places taken, 2 waiting; 4 virtual (no limit); 1 cancelled, 1 pending."""
    rows = []
    for category, mode, status, country in [
        (government, IN_PERSON, Status.CONFIRMED, "PE"),
        (government, IN_PERSON, Status.CONFIRMED, "PE"),
        (academia, IN_PERSON, Status.CONFIRMED, "CO"),
        (government, IN_PERSON, Status.WAITING_LIST, "EC"),
        (academia, IN_PERSON, Status.WAITING_LIST, "PE"),
        (government, VIRTUAL, Status.CONFIRMED, "BO"),
        (government, VIRTUAL, Status.CONFIRMED, "CO"),
        (academia, VIRTUAL, Status.CONFIRMED, "PE"),
        (academia, VIRTUAL, Status.CONFIRMED, "PE"),
        (academia, VIRTUAL, Status.CANCELLED, "CL"),
        (government, IN_PERSON, Status.PENDING_APPROVAL, "PE"),
    ]:
        rows.append(
            RegistrationFactory(
                event=event, category=category, attendance_mode=mode, status=status, country=country
            )
        )
    return rows


def test_dashboard_shows_places_and_counts_with_a_table_for_each_chart(
    client, organiser, event, registrations
):
    response = client.get(dashboard_url(event))

    assert response.status_code == 200
    page = read_dashboard(response)
    assert page.tables["Places by attendance mode"] == [
        ["Attendance", "Confirmed", "Capacity", "Free places", "Waiting list"],
        ["In person in Lima", "3", "3", "0", "2"],
        ["Virtual", "4", "no limit", "—", "0"],
    ]
    assert page.tables["Registrations by status"][1:] == [
        ["Pending approval", "1"],
        ["Confirmed", "7"],
        ["On the waiting list", "2"],
        ["Cancelled by the participant", "1"],
        ["Declined by the organisers", "0"],
    ]
    assert page.tables["Registrations by attendance mode"][1:] == [
        ["In person in Lima", "6"],
        ["Virtual", "5"],
    ]
    assert sorted(page.tables["Registrations by audience category"][1:]) == [
        ["Academia", "5"],
        ["Government", "6"],
    ]
    assert page.tables["Registrations by country"][1:] == [
        ["Peru", "6"],
        ["Colombia", "2"],
        ["Bolivia", "1"],
        ["Chile", "1"],
        ["Ecuador", "1"],
    ]
    assert "11 registrations in all." in response.text


def test_every_chart_is_an_image_named_by_its_title_and_description(
    client, organiser, event, registrations
):
    page = read_dashboard(client.get(dashboard_url(event)))

    assert len(page.charts) == 6
    for chart in page.charts:
        assert chart["attrs"]["role"] == "img"
        assert set(chart["attrs"]["aria-labelledby"].split()) == chart["ids"]
        assert chart["title"] and chart["desc"]
    places = page.charts[0]
    assert places["title"] == "Places taken and waiting list"
    assert places["desc"] == (
        "In person in Lima: 3 of 3; 2 waiting; Virtual: 4, no limit; 0 waiting"
    )
    by_country = next(
        chart for chart in page.charts if chart["title"] == "Registrations by country"
    )
    assert by_country["desc"] == "Peru: 6; Colombia: 2; Bolivia: 1; Chile: 1; Ecuador: 1"


def test_dashboard_needs_no_script_or_inline_style(client, organiser, event, registrations):
    response = client.get(dashboard_url(event))
    page = read(response)
    assert page.inline_scripts == 0
    assert page.inline_styles == []
    assert "<script" not in response.text.split('id="content-main"', 1)[1]


def test_registrations_per_day_are_counted_in_lima_from_the_day_the_window_opened(
    client, organiser, government
):
    event = government.event
    set_registration(
        event,
        opens_at=lima(9, day=datetime.date(2024, 7, 1)),
        closes_at=lima(0, day=datetime.date(2024, 7, 10)),
    )
    for instant in [
        datetime.datetime(2024, 7, 3, 14, tzinfo=datetime.UTC),
        # 23:30 in Lima on 3 July, already 4 July in UTC.
        datetime.datetime(2024, 7, 4, 4, 30, tzinfo=datetime.UTC),
        datetime.datetime(2024, 7, 6, 15, tzinfo=datetime.UTC),
    ]:
        registration = RegistrationFactory(event=event, category=government)
        Registration.objects.filter(pk=registration.pk).update(created_at=instant)

    with time_machine.travel(datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)):
        response = client.get(dashboard_url(event))

    per_day = response.context["dashboard"].per_day
    assert per_day[0] == (datetime.date(2024, 7, 1), 0)
    assert per_day[-1] == (datetime.date(2024, 7, 9), 0)  # closes at midnight: the 9th is last
    assert dict(per_day)[datetime.date(2024, 7, 3)] == 2
    assert dict(per_day)[datetime.date(2024, 7, 6)] == 1
    assert len(per_day) == 9
    page = read_dashboard(response)
    [table] = [rows for caption, rows in page.tables.items() if "per day" in caption]
    assert table[1:] == [["07/03/2024", "2"], ["07/06/2024", "1"]]


def test_registrations_per_day_reach_today_while_the_window_is_open(client, organiser, government):
    event = government.event
    set_registration(event, opens_at=datetime.datetime(2024, 7, 1, tzinfo=datetime.UTC))
    with time_machine.travel(datetime.datetime(2024, 7, 12, 17, tzinfo=datetime.UTC)):
        RegistrationFactory(event=event, category=government)
    with time_machine.travel(datetime.datetime(2024, 7, 20, 17, tzinfo=datetime.UTC)):
        response = client.get(dashboard_url(event))
    per_day = response.context["dashboard"].per_day
    # The window opened on 1 July 00:00 UTC, which is still 30 June in Lima.
    assert per_day[0][0] == datetime.date(2024, 6, 30)
    assert per_day[-1][0] == datetime.date(2024, 7, 20)


def test_dashboard_without_registrations_says_so(client, organiser, event):
    response = client.get(dashboard_url(event))
    assert response.status_code == 200
    assert "No registrations yet." in response.text


def test_dashboard_costs_the_same_queries_for_many_registrations(client, organiser, government):
    event = government.event

    def queries_for_dashboard():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(dashboard_url(event)).status_code == 200
        return len(queries)

    RegistrationFactory(event=event, category=government, country="PE")
    few = queries_for_dashboard()
    for index, country in enumerate(["CO", "EC", "BO", "CL", "AR"] * 6):
        category = AudienceCategoryFactory(event=event) if index % 10 == 0 else government
        RegistrationFactory(
            event=event,
            category=category,
            country=country,
            attendance_mode=VIRTUAL if index % 2 else IN_PERSON,
            status=Status.WAITING_LIST if index % 3 else Status.CONFIRMED,
        )
    assert queries_for_dashboard() == few


def test_dashboard_speaks_the_admin_language(client, organiser, event, registrations):
    response = client.get(dashboard_url(event, "es"))
    page = read_dashboard(response)
    countries = [label for label, _count in response.context["dashboard"].by_country]
    assert countries[0] == "Perú"
    assert ["Gobierno", "6"] in next(
        rows for rows in page.tables.values() if ["Gobierno", "6"] in rows
    )


def test_dashboard_links_to_the_event_documents_and_exports(client, organiser, event):
    page = read(client.get(dashboard_url(event)))
    links = dict((text, href) for href, text in page.links)
    assert links["Attendance sheet (PDF)"] == in_language(
        "en", reverse("admin:registration_registration_attendance_sheet", args=[event.pk])
    )
    assert links["Badges, 8 per A4 page (PDF)"].endswith(f"/dashboard/{event.pk}/badges-sheet.pdf")
    assert links["Badges, one per A6 page (PDF)"].endswith(
        f"/dashboard/{event.pk}/badges-single.pdf"
    )
    assert links["Export (CSV, Excel)"].endswith(f"/export/?event__id__exact={event.pk}")
    assert links["Registrations of this event"].endswith(f"/?event__id__exact={event.pk}")


def test_registration_list_links_to_each_event_dashboard_and_keeps_status_counts(
    client, organiser, event, registrations
):
    other = open_event(title_en="Follow-up meeting")
    changelist = in_language("en", reverse("admin:registration_registration_changelist"))
    response = client.get(changelist)

    links = {text: href for href, text in read(response).links}
    assert links["Dashboard of “Cross-border meeting”"] == dashboard_url(event)
    assert links["Dashboard of “Follow-up meeting”"] == dashboard_url(other)
    counts = dict(response.context["status_counts"])
    assert counts["Confirmed"] == 7 and counts["On the waiting list"] == 2


def test_dashboard_of_an_unknown_event_is_not_found(client, organiser):
    url = reverse("admin:registration_registration_dashboard", args=[987654])
    assert client.get(url).status_code == 404


def test_dashboard_is_refused_to_staff_outside_the_organisers(client, event):
    sign_in(client, UserFactory(is_staff=True))
    assert client.get(dashboard_url(event)).status_code == 403


def test_dashboard_is_refused_to_participants(client, event):
    sign_in(client, UserFactory())
    response = client.get(dashboard_url(event))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
