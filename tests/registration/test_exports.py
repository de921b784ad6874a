import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registration.models import AttendanceMode, Consent, Registration

from .factories import RegistrationFactory, UserFactory
from .page_reading import read
from .staff import sign_in

pytestmark = pytest.mark.django_db

Status = Registration.Status
CSV, XLSX = "0", "1"  # positions of the formats offered on the export form

EXPECTED_HEADERS = [
    "Reference",
    "Honorific",
    "Full name",
    "E-mail",
    "Position",
    "Organisation",
    "Country",
    "Audience category",
    "Attendance",
    "Status",
    "Dietary needs",
    "Accessibility needs",
    "Consent: privacy notice",
    "Consent: photographs and recording",
    "Consent: dietary and accessibility needs",
    "Registered at (Lima time)",
    "Updated at (Lima time)",
    "Arrived at (Lima time)",
]


def in_language(language, url):
    return f"/{language}/" + url.split("/", 2)[2]


def export_url(language="en", query=""):
    return in_language(language, reverse("admin:registration_registration_export")) + query


def export_csv(client, language="en", query=""):
    response = client.post(export_url(language, query), {"format": CSV, "resource": "0"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def export_xlsx(client, query=""):
    response = client.post(export_url("en", query), {"format": XLSX, "resource": "0"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return workbook.active


def test_csv_export_has_every_column_an_organiser_needs(client, organiser, event, category):
    registration = RegistrationFactory(
        event=event,
        category=category,
        honorific="Embajadora",
        full_name="María Núñez",
        email="maria@example.org",
        position="Directora",
        organisation="Cancillería",
        country="PE",
        attendance_mode=AttendanceMode.VIRTUAL,
        dietary_needs="Vegetariana",
        accessibility_needs="Rampa",
    )
    registration.record_consent(Consent.Purpose.PRIVACY_NOTICE, granted=True)
    registration.record_consent(Consent.Purpose.PHOTOGRAPHY, granted=True)
    registration.record_consent(Consent.Purpose.PHOTOGRAPHY, granted=False)
    Registration.objects.filter(pk=registration.pk).update(
        created_at=datetime.datetime(2024, 8, 1, 15, 30, tzinfo=datetime.UTC),
        checked_in_at=datetime.datetime(2024, 8, 15, 14, 5, tzinfo=datetime.UTC),
    )

    header, *rows = export_csv(client)

    assert header == EXPECTED_HEADERS
    [row] = rows
    values = dict(zip(header, row, strict=True))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", values.pop("Updated at (Lima time)"))
    assert values == {
        "Reference": registration.reference,
        "Honorific": "Embajadora",
        "Full name": "María Núñez",
        "E-mail": "maria@example.org",
        "Position": "Directora",
        "Organisation": "Cancillería",
        "Country": "Peru",
        "Audience category": "Government",
        "Attendance": "Virtual",
        "Status": "Confirmed",
        "Dietary needs": "Vegetariana",
        "Accessibility needs": "Rampa",
        "Consent: privacy notice": "Granted",
        "Consent: photographs and recording": "Withdrawn",
        "Consent: dietary and accessibility needs": "Not given",
        "Registered at (Lima time)": "2024-08-01 10:30",
        "Arrived at (Lima time)": "2024-08-15 09:05",
    }


def test_csv_export_writes_labels_in_the_admin_language(client, organiser, event, category):
    RegistrationFactory(event=event, category=category, country="PE")
    header, row = export_csv(client, language="es")
    values = dict(zip(header, row, strict=True))
    assert "Perú" in values.values()
    assert "Gobierno" in values.values()


def test_excel_export_reads_back_with_native_dates(client, organiser, event, category):
    registration = RegistrationFactory(event=event, category=category, full_name="José Ñandú")
    Registration.objects.filter(pk=registration.pk).update(
        created_at=datetime.datetime(2024, 8, 1, 15, 30, tzinfo=datetime.UTC)
    )
    sheet = export_xlsx(client)
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]

    assert header == EXPECTED_HEADERS
    [row] = rows
    values = dict(zip(header, row, strict=True))
    assert values["Full name"] == "José Ñandú"
    assert values["Reference"] == registration.reference
    assert values["Registered at (Lima time)"] == datetime.datetime(2024, 8, 1, 10, 30)


FORMULAE = ['=HYPERLINK("http://evil.example")', "+51 999", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1"]


@pytest.mark.parametrize("start", FORMULAE)
def test_exports_neutralise_cells_a_spreadsheet_would_run(
    client, organiser, event, category, start
):
    RegistrationFactory(
        event=event,
        category=category,
        full_name=start,
        organisation=f"{start} Org",
        position="Safe",
    )

    header, row = export_csv(client)
    values = dict(zip(header, row, strict=True))
    assert values["Full name"] == "'" + start
    assert values["Organisation"] == f"'{start} Org"
    assert values["Position"] == "Safe"

    sheet = export_xlsx(client)
    header = [cell.value for cell in sheet[1]]
    name = sheet[2][header.index("Full name")]
    # XML stores a carriage return as a line feed; what matters is the apostrophe in front.
    assert name.value == "'" + start.replace("\r", "\n")
    assert name.data_type == "s"
    assert not [cell.coordinate for cell in sheet[2] if cell.data_type == "f"]


def test_export_follows_the_list_filters(client, organiser, event, category):
    confirmed = RegistrationFactory(event=event, category=category)
    RegistrationFactory(event=event, category=category, status=Status.WAITING_LIST)
    RegistrationFactory(event=event, category=category, status=Status.CANCELLED)

    _header, *rows = export_csv(client, query="?status__exact=confirmed")
    assert [row[0] for row in rows] == [confirmed.reference]


def test_export_follows_the_list_search_and_event_filter(client, organiser, event, category):
    wanted = RegistrationFactory(event=event, category=category, organisation="Comunidad Andina")
    RegistrationFactory(event=event, category=category, organisation="SELA")
    RegistrationFactory(organisation="Comunidad Andina")  # another event

    _header, *rows = export_csv(client, query=f"?event__id__exact={event.pk}&q=andina")
    assert [row[0] for row in rows] == [wanted.reference]


def test_export_action_exports_only_the_selected_rows(client, organiser, event, category):
    chosen, _other = (
        RegistrationFactory(event=event, category=category),
        RegistrationFactory(event=event, category=category),
    )
    changelist = in_language("en", reverse("admin:registration_registration_changelist"))
    form = client.post(
        changelist, {"action": "export_admin_action", "_selected_action": [chosen.pk]}
    )
    assert form.status_code == 200
    assert "Export 1 selected item." in form.text

    response = client.post(
        export_url(), {"format": CSV, "resource": "0", "export_items": [chosen.pk]}
    )
    _header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows] == [chosen.reference]


def test_changelist_offers_the_export_to_organisers(client, organiser, event):
    changelist = in_language("en", reverse("admin:registration_registration_changelist"))
    response = client.get(changelist + f"?event__id__exact={event.pk}")
    assert export_url(query=f"?event__id__exact={event.pk}") in response.text
    assert response.context["status_counts"] is not None


def test_export_costs_the_same_queries_for_many_rows(client, organiser, event, category):
    def queries_for_export():
        with CaptureQueriesContext(connection) as queries:
            export_csv(client)
        return len(queries)

    for _ in range(2):
        registration = RegistrationFactory(event=event, category=category)
        registration.record_consent(Consent.Purpose.PRIVACY_NOTICE, granted=True)
    few = queries_for_export()
    for _ in range(20):
        registration = RegistrationFactory(event=event, category=category)
        registration.record_consent(Consent.Purpose.PRIVACY_NOTICE, granted=True)
    assert queries_for_export() == few


def test_export_is_refused_to_staff_outside_the_organisers(client, event, category):
    RegistrationFactory(event=event, category=category)
    sign_in(client, UserFactory(is_staff=True))
    assert client.get(export_url()).status_code == 403
    assert client.post(export_url(), {"format": CSV, "resource": "0"}).status_code == 403


def test_export_is_refused_to_participants(client, event, category):
    RegistrationFactory(event=event, category=category)
    sign_in(client, UserFactory())
    response = client.post(export_url(), {"format": CSV, "resource": "0"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_export_form_offers_csv_and_excel_without_inline_script_or_style(client, organiser):
    response = client.get(export_url(query="?status__exact=confirmed"))

    assert response.status_code == 200
    page = read(response)
    assert page.inline_scripts == 0 and page.inline_styles == []
    format_field = response.context["form"].fields["format"]
    assert [label for value, label in format_field.choices if value != ""] == ["csv", "xlsx"]


def test_a_stored_name_with_control_characters_does_not_break_the_exports(
    client, organiser, event, category
):
    # Stored before the forms refused them (or typed in the admin): XML 1.0, and so Excel, has no
    # way to write most control characters, and one such row made the whole export fail.
    RegistrationFactory(
        event=event,
        category=category,
        full_name="Vertical\x0btab\x1bESC",
        organisation="\x1b=HYPERLINK(1)",
        dietary_needs="Sin gluten\nni lactosa",
    )
    RegistrationFactory(event=event, category=category, full_name="María Núñez")

    sheet = export_xlsx(client)
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    names = sorted(row[header.index("Full name")] for row in rows)
    assert names == ["María Núñez", "Vertical\ufffdtab\ufffdESC"]
    bad = next(row for row in rows if row[header.index("Full name")].startswith("Vertical"))
    assert bad[header.index("Organisation")] == "\ufffd=HYPERLINK(1)"
    assert bad[header.index("Dietary needs")] == "Sin gluten\nni lactosa"
    assert not [
        cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]

    header, *rows = export_csv(client)
    assert sorted(row[header.index("Full name")] for row in rows) == names
