"""CSV for spreadsheets: no cell the project writes can start a formula.

Excel, WPS and LibreOffice read a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return as a formula (or a DDE command), so an area of law renamed to
``=HYPERLINK("http://…"&B2)`` would run in the office's spreadsheet and could send the
figures beside it away. Such cells get a leading single quote, as OWASP's "CSV Injection"
page advises: the spreadsheet shows the text, quote first, and computes nothing. Every
CSV writer of the project is ``csv_writer``; numbers are written as their text, so a
negative one would be quoted too (the project writes none).
"""

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """The text of a cell, with a leading ``'`` when a spreadsheet would compute it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``neutralise``."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **options) -> SafeWriter:
    return SafeWriter(file, **options)
