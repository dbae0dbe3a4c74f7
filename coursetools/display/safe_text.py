"""Student-chosen text made inert for terminals and spreadsheets.

Status lines and report flags quote what a submission made happen (error messages, file names, reasons), so a
student chooses some of their characters: ANSI escapes can rewrite the TA's terminal, a carriage return can
hide the rest of a line, bidirectional controls can reorder it, and a CSV cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets (OWASP's "CSV
injection"). `plain` strips the controls and caps the length; `spreadsheet_cell` and `write_csv` prefix a
formula-looking cell with `'` as OWASP advises, except a cell that is only a number (`-1.5`: a negative score
or penalty must stay a number in the spreadsheet, and a bare number cannot carry a formula).
"""
import csv
import re
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")
WHITESPACE_CONTROLS = re.compile(r"[\t\n\r\v\f]+")
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
STATUS_CHARS = 300  # one status or flag: room for any message of ours, not for a page of student output


def plain(text, limit: int = STATUS_CHARS) -> str:
    """`text` on one line without terminal escapes or control characters, at most `limit` characters."""
    text = CONTROLS.sub("", WHITESPACE_CONTROLS.sub(" ", ANSI.sub("", str(text))))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def spreadsheet_cell(value):
    """`value` as a CSV cell no spreadsheet reads as a formula; numbers (and strings that are one) unchanged."""
    if not isinstance(value, str) or NUMBER.fullmatch(value):
        return value
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(path: Path, rows: list[dict], columns: list[str], limit: int = 10_000) -> None:
    """Write `rows` to `path` with every text cell `plain` and formula-safe (a header row first)."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows({key: spreadsheet_cell(plain(value, limit) if isinstance(value, str) else value)
                          for key, value in row.items()} for row in rows)


def rewrite_csv(path: Path) -> None:
    """Pass a CSV another tool wrote (nbgrader's grades.csv) through `write_csv`, in place."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        rows, columns = list(reader), list(reader.fieldnames or [])
    write_csv(path, rows, columns)
