"""The CSV export never hands a spreadsheet a formula, whatever separator the spreadsheet splits lines on.

Before: a report body ``ok;=cmd|' /C calc'!A0`` passed unchanged; a spreadsheet whose list separator is ``;``
(common in Vietnamese settings) opened it with a cell starting with ``=``. Now every cell is quoted and a quote
goes before any =, +, -, @ that starts the text or follows ``;``, ``,``, a tab or a line break, in every
column (body, location, names).
"""

from __future__ import annotations

import csv
import io

import pytest

from server.extensions import db
from server.groups.models import Household

HOSTILE = [
    "ok;=cmd|' /C calc'!A0",
    "ok,=cmd|' /C calc'!A0",
    "a;+1+1",
    "a,-2+3",
    "x;@SUM(A1:A9)",
    "x\t=1+1",
    'dòng 1\n=HYPERLINK("http://x")',
    "=1+1",
    "a;  =1+1",
]
FORMULA_START = ("=", "+", "-", "@")


def _export(officer) -> str:
    answer = officer.get("/api/v1/officer/stats/export.csv")
    assert answer.status_code == 200
    return answer.data.decode("utf-8").lstrip("\ufeff")


def _cells_as_a_spreadsheet_splits_them(text: str, separator: str) -> list[str]:
    """Every cell a naive import would make: the text split on the separator, quotes and all."""
    return [cell.strip().strip('"').strip() for line in text.splitlines() for cell in line.split(separator)]


@pytest.mark.parametrize("payload", HOSTILE)
def test_no_cell_starts_a_formula_under_any_separator(app, demo, officer, phone, payload: str) -> None:
    household = db.session.get(Household, phone.group["households"][0]["id"])
    household.name = f"Hộ {payload}"  # stored before names were checked, or typed by a head
    db.session.commit()
    phone.send_report(body=payload, location=payload)
    text = _export(officer)
    for separator in (",", ";", "\t"):
        starts = [c for c in _cells_as_a_spreadsheet_splits_them(text, separator) if c.startswith(FORMULA_START)]
        assert starts == [], (separator, starts)
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["body"].replace("'", "") == payload.replace("'", ""), "the text itself is kept, only quoted"


def test_ordinary_text_is_unchanged(app, demo, officer, phone) -> None:
    phone.send_report(body="Bình thường - không sao, cảm ơn; hẹn gặp lại")
    row = next(csv.DictReader(io.StringIO(_export(officer))))
    assert row["body"] == "Bình thường - không sao, cảm ơn; hẹn gặp lại"
