"""Which submissions of an assignment look copied: every pair's solution cells compared part by part.

    python -m coursetools.similarity [COURSE_DIR] [--assignment ID]      (make similarity)

Each part's code is the student's solution cell of that grade_id (code cells only). copydetect (PyPI) tokenizes
it with Pygments, so renamed names and reformatting do not hide a copy, and compares winnowed fingerprints, so
reordered functions do not either; every fingerprint of the release notebook (the stubs and the provided code)
is boilerplate and never counts. A part left as handed out has no code of its own and is skipped. The
instructor's solution takes part as one more submission: a student matching it is flagged as such.

Writes report/similarity.csv (the most similar pairs per part, and every pair over the threshold) and
report/similarity.html (the same, with the flagged pairs' code; static and escaped: it shows student text).
submitted/ is only read; the exit status is 1 only when the tool itself fails.
"""
import argparse
import csv
import html
import io
import sys
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from copydetect import CodeFingerprint, compare_files

from coursetools import assignments
from coursetools.assignments import Assignment
from coursetools.display.safe_text import plain, write_csv
from coursetools.grading import intake, notebook

# copydetect's defaults (noise threshold 25 = guarantee threshold: every shared 25-character run of tokens counts).
K, WINDOW = 25, 1
# A pair at or over this share of code in common is flagged: the planted copies score 0.95 and more, the
# catalogue's independent right answers of one part at most 0.76 (README.md, "make similarity").
THRESHOLD = 0.85
TOP = 5  # pairs per part listed even below the threshold
INSTRUCTOR = "source/ (the instructor's solution)"  # a "/": no student folder can be called this
COLUMNS = ["assignment", "part", "student_a", "student_b", "similarity", "flag"]
REPORT = Path("report")


@dataclass(frozen=True)
class Pair:
    part: str
    a: str
    b: str
    similarity: float

    @property
    def flag(self) -> str:
        if self.similarity < THRESHOLD:
            return ""
        return "matches the instructor's solution" if INSTRUCTOR in (self.a, self.b) else "similar"


def code_cells(nb) -> dict[str, str]:
    """{grade_id: source} of the notebook's code cells that have a grade_id."""
    return {notebook.grade_id(c): c.source for c in nb.cells if c.cell_type == "code" and notebook.grade_id(c)}


def fingerprint(code: str, boilerplate=None) -> CodeFingerprint:
    return CodeFingerprint("cell.py", K, WINDOW, boilerplate, fp=io.StringIO(code))


def boilerplate(release) -> list:
    """The fingerprints of every code cell handed out: stubs, provided code, visible tests."""
    return list(fingerprint("\n".join(c.source for c in release.cells if c.cell_type == "code")).hashes)


def submissions(course_dir: Path, assignment: Assignment) -> tuple[dict[str, dict[str, str]], list[str]]:
    """({student: {part: code}} for every readable submission, plus the instructor's solution; [unreadable])."""
    code, unreadable = {}, []
    release = notebook.read(assignment.release_notebook(course_dir))
    for folder in sorted((Path(course_dir) / "submitted").glob(f"*/{assignment.id}")):
        nb, taken = intake.read_submission(folder, release)  # what make grade grades, read as safely
        if taken.status == "unreadable":
            unreadable.append(taken.student)
            continue
        cells = code_cells(nb)
        code[taken.student] = {part: cells[part] for part in assignment.parts if part in cells}
    source = code_cells(notebook.read(assignment.source_notebook(course_dir)))
    code[INSTRUCTOR] = {part: notebook.without_markers(source[part]) for part in assignment.parts}
    return code, unreadable


def compare(code: dict[str, dict[str, str]], parts, common: list) -> list[Pair]:
    """Every pair of submissions per part that both wrote code of their own for, most similar first; the
    similarity is the larger of the two shares (a copy padded with code of its own is still a copy)."""
    pairs = []
    for part in parts:
        prints = {s: fingerprint(cells[part], common) for s, cells in code.items() if part in cells}
        prints = {s: p for s, p in prints.items() if p.token_coverage > 0}
        for a, b in combinations(sorted(prints), 2):
            _, shares, _ = compare_files(prints[a], prints[b])
            pairs.append(Pair(part, a, b, round(float(max(shares)), 3)))
    return sorted(pairs, key=lambda p: (p.part, -p.similarity, p.a, p.b))


def listed(pairs: list[Pair]) -> list[Pair]:
    """The TOP most similar pairs of each part, and every flagged one."""
    shown, per_part = [], {}
    for pair in pairs:
        per_part[pair.part] = per_part.get(pair.part, 0) + 1
        if pair.flag or per_part[pair.part] <= TOP:
            shown.append(pair)
    return shown


def write_html(path: Path, assignment: Assignment, pairs: list[Pair], code: dict) -> None:
    """A static page, no scripts: every name and line of code escaped."""
    e = html.escape
    rows = "".join(f"<tr><td>{e(p.part)}</td><td>{e(plain(p.a))}</td><td>{e(plain(p.b))}</td>"
                   f"<td>{p.similarity:.2f}</td><td>{e(p.flag)}</td></tr>" for p in pairs)
    shown = "".join(f"<h3>{e(p.part)}: {e(plain(p.a))} and {e(plain(p.b))} ({p.similarity:.2f}, {e(p.flag)})</h3>"
                    f"<div class=pair><pre>{e(code[p.a][p.part])}</pre><pre>{e(code[p.b][p.part])}</pre></div>"
                    for p in pairs if p.flag)
    path.write_text(f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>similarity: {e(assignment.id)}</title>
<style>table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}
.pair{{display:flex;gap:1em}}pre{{background:#f6f6f6;padding:6px;flex:1;overflow:auto}}</style></head>
<body><h1>Similar submissions: {e(assignment.id)}</h1>
<p>Share of a part's code (stubs and provided code removed) shared with another submission, by copydetect;
flagged at {THRESHOLD:.2f} or more. The {TOP} most similar pairs of each part, and every flagged pair.</p>
<table><tr><th>part</th><th>student a</th><th>student b</th><th>similarity</th><th>flag</th></tr>{rows}</table>
<h2>Flagged pairs</h2>{shown or "<p>none</p>"}</body></html>
""")


def run(course_dir: Path, assignment: Assignment) -> tuple[list[Pair], list[str]]:
    """Write report/similarity.csv and .html for `assignment`; returns (the listed pairs, unreadable submissions)."""
    course_dir = Path(course_dir)
    code, unreadable = submissions(course_dir, assignment)
    pairs = listed(compare(code, assignment.parts, boilerplate(notebook.read(assignment.release_notebook(course_dir)))))
    (course_dir / REPORT).mkdir(exist_ok=True)
    write_csv(course_dir / REPORT / "similarity.csv",
              [{"assignment": assignment.id, "part": p.part, "student_a": p.a, "student_b": p.b,
                "similarity": p.similarity, "flag": p.flag} for p in pairs], COLUMNS)
    write_html(course_dir / REPORT / "similarity.html", assignment, pairs, code)
    return pairs, unreadable


def flags(course_dir: Path, assignment_id: str) -> dict[str, list[str]]:
    """{student: what report/similarity.csv flags about them in `assignment_id`} (make report lists it)."""
    path = Path(course_dir) / REPORT / "similarity.csv"
    found = {}
    rows = list(csv.DictReader(path.open(newline=""))) if path.is_file() else []
    for row in (r for r in rows if r["assignment"] == assignment_id and r["flag"]):
        for student, other in ((row["student_a"], row["student_b"]), (row["student_b"], row["student_a"])):
            what = row["flag"] if other == INSTRUCTOR else f"similar to {other}"
            found.setdefault(student, []).append(f"{what} in {row['part']} ({row['similarity']})")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.similarity", description=__doc__.split("\n")[0])
    parser.add_argument("course_dir", nargs="?", default=".", type=Path)
    parser.add_argument("--assignment", default=assignments.DEFAULT, choices=assignments.ALL)
    args = parser.parse_args(argv)
    pairs, unreadable = run(args.course_dir, assignments.get(args.assignment))
    flagged = [p for p in pairs if p.flag]
    for p in flagged:
        print(f"{p.part}: {plain(p.a)} and {plain(p.b)}: {p.similarity:.2f} ({p.flag})")
    print(f"{args.assignment}: {len(flagged)} pair(s) at or over {THRESHOLD:.2f}"
          + (f"; unreadable, not compared: {', '.join(map(plain, unreadable))}" if unreadable else "")
          + f"; {args.course_dir / REPORT / 'similarity.csv'}, {args.course_dir / REPORT / 'similarity.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
