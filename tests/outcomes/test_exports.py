"""The matrix's downloads: the filtered actions as CSV and Excel, safe to open in a spreadsheet."""

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.languages import url

from .factories import ActionFactory

pytestmark = pytest.mark.django_db

HEADER_EN = [
    "Roundtable",
    "Meeting",
    "Meeting date",
    "Action",
    "Lead organisations",
    "Participating organisations",
    "Horizon",
    "Status",
    "Session",
]


def download(client, file_format, language="en", **filters):
    response = client.get(
        url(language, "outcomes:matrix-download", file_format=file_format), filters
    )
    assert response.status_code == 200
    return response


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [
        ["" if value is None else value for value in row]
        for row in workbook.active.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("reader", [csv_rows, xlsx_rows], ids=["csv", "xlsx"])
def test_download_holds_the_published_actions_with_their_columns(client, matrix, reader):
    file_format = "csv" if reader is csv_rows else "xlsx"
    response = download(client, file_format)
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="convergence-matrix.{file_format}"'
    )
    header, *rows = reader(response)
    assert header == HEADER_EN
    assert rows[0] == [
        "Cross-border cooperation and infrastructure",
        "Cross-border meeting",
        "2024-08-15",
        "Interoperable border crossings",
        "General Secretariat of the CAN (SGCAN)",
        "Development Bank of Latin America (CAF)",
        "Short term",
        "Agreed",
        "INTERCOM",
    ]
    assert rows[1][6] == "2025-06-30"
    assert [row[3] for row in rows] == [
        "Interoperable border crossings",
        "A regional roadmap for logistics",
        "Connected electricity grids",
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_download_follows_the_filters(client, matrix, file_format):
    response = download(client, file_format, roundtable="sustainable-energy", status="in_progress")
    reader = csv_rows if file_format == "csv" else xlsx_rows
    assert [row[3] for row in reader(response)[1:]] == ["Connected electricity grids"]


def test_download_is_in_the_visitors_language(client, matrix):
    header, first, *_ = csv_rows(download(client, "csv", "es"))
    assert header[3] == "Acción"
    assert first[3] == "Pasos de frontera interoperables"
    assert first[6] == "Corto plazo"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(client, matrix, file_format):
    for text in ('=HYPERLINK("http://evil.example")', "+1+2", "-3", "@SUM(A1)", "\tTab"):
        ActionFactory(outcome=matrix["outcome"], description_en=text, leads=[matrix["sgcan"]])
    ActionFactory(outcome=matrix["outcome"], description_en="Bell\x07here", leads=[matrix["sgcan"]])
    reader = csv_rows if file_format == "csv" else xlsx_rows
    descriptions = [row[3] for row in reader(download(client, file_format))[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in descriptions
    assert "'+1+2" in descriptions
    assert "'-3" in descriptions
    assert "'@SUM(A1)" in descriptions
    assert "'\tTab" in descriptions
    assert "Bell\N{REPLACEMENT CHARACTER}here" in descriptions
    assert not any(isinstance(cell, str) and cell.startswith("=") for cell in descriptions)


def test_an_unknown_format_is_not_found(client, matrix):
    response = client.get(url("en", "outcomes:matrix-download", file_format="pdf"))
    assert response.status_code == 404


def test_download_queries_do_not_grow_with_the_number_of_actions(client, matrix):
    def count():
        with CaptureQueriesContext(connection) as queries:
            download(client, "xlsx", status="agreed")
        return len(queries)

    few = count()
    for number in range(6):
        ActionFactory(
            outcome=matrix["outcome"],
            description_en=f"More {number}",
            leads=[matrix["sgcan"], matrix["sela"]],
            participants=[matrix["caf"]],
            session=matrix["session"],
        )
    # Drawn again: the new actions moved the page cache's key.
    assert count() == few
