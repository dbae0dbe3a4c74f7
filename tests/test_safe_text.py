"""Student-chosen text in the TA's terminal and spreadsheets (coursetools/display/safe_text.py): no escapes, no formulas."""
import csv

import pytest

from coursetools import grade
from coursetools.display.safe_text import STATUS_CHARS, plain, rewrite_csv, spreadsheet_cell, write_csv


@pytest.mark.parametrize("text, expected", [
    ("\x1b[2J\x1b[31mred\x1b[0m", "red"),                   # clear screen, colours
    ("\x1b]0;new title\x07done", "done"),                   # an OSC sequence (window title)
    ("all good\rNOT GRADED", "all good NOT GRADED"),        # a carriage return that would hide the first part
    ("a\x00b\x08c\x7fd\x9be", "abcde"),                     # NUL, backspace, DEL, a C1 control
    ("one\nline\ttabs", "one line tabs"),
    ("evil\u202egnp.exe", "evilgnp.exe"),                   # a right-to-left override
])
def test_plain_strips_terminal_controls(text, expected):
    assert plain(text) == expected


def test_plain_caps_the_length():
    assert len(plain("x" * 10_000)) == STATUS_CHARS and plain("x" * 10_000).endswith("…")
    assert plain("short") == "short" and plain(42) == "42"


@pytest.mark.parametrize("cell, expected", [
    ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("-1.5", "-1.5"), ("-3", "-3"), ("1e-3", "1e-3"), (-1.5, -1.5), (7, 7), (None, None),
    ("full_solution", "full_solution"), ("", ""),
])
def test_spreadsheet_cells_that_would_be_formulas_get_a_quote(cell, expected):
    assert spreadsheet_cell(cell) == expected


def read(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_write_csv_and_rewrite_csv_make_every_cell_inert(tmp_path):
    path = tmp_path / "flagged.csv"
    rows = [{"student": "=cmd", "flags": "crashed: \x1b[31m-1+2\x1b[0m\r\nagain"}, {"student": "b", "flags": -1.5}]
    write_csv(path, rows, ["student", "flags"])
    assert read(path) == [["student", "flags"], ["'=cmd", "crashed: -1+2 again"], ["b", "-1.5"]]
    with open(tmp_path / "grades.csv", "w", newline="") as handle:  # as nbgrader's export writes it
        csv.writer(handle).writerows([["student_id", "last_name", "score"], ["s1", "@Robert", "-0.5"]])
    rewrite_csv(tmp_path / "grades.csv")
    assert read(tmp_path / "grades.csv") == [["student_id", "last_name", "score"], ["s1", "'@Robert", "-0.5"]]


def test_the_status_table_shows_no_student_chosen_controls():
    row = grade.Status("s\x1b[8m1", 50, 100, "ok", "\x1b[2Jhidden\rreason", "bubblewrap",
                       ("RuntimeError: " + "y" * 5000,))
    table = grade.format_statuses([row])
    assert "\x1b" not in table and "\r" not in table and "hidden reason" in table
    assert max(map(len, table.splitlines())) < 2 * STATUS_CHARS
