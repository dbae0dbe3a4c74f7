"""make similarity on planted cases, no grading: a disguised copy and the instructor's solution pasted in are
flagged, the catalogue's independent right answers of the same part are not (each assignment)."""
import ast
import csv
import hashlib
import re

import pytest

import catalogue
from conftest import ASSIGNMENTS, REPO
from coursetools import report, similarity
from coursetools.assignments import sample
from coursetools.assignments.sample import Student
from coursetools.grading import commands

PAYLOAD = "# </pre><script>alert('copied')</script>"


def renamed(code: str) -> str:
    """Every local variable renamed (the signature stays: it is the contract), as a copier hiding a copy would."""
    tree = ast.parse(code)
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    keywords = {k.arg for k in ast.walk(tree) if isinstance(k, ast.keyword)}
    names = sorted(stored - keywords, key=len, reverse=True)
    return re.sub(r"\b(%s)\b" % "|".join(map(re.escape, names)), lambda m: f"{m.group(1)[::-1]}_", code)


def reordered(code: str) -> str:
    """The cell's functions (or a class's methods: the outermost `def`s) in reverse order."""
    lines = code.splitlines()
    defs = [i for i, line in enumerate(lines) if re.match(r"\s*def ", line)]
    outermost = min(len(lines[i]) - len(lines[i].lstrip()) for i in defs)
    starts = [i for i in defs if len(lines[i]) - len(lines[i].lstrip()) == outermost]
    blocks = [lines[a:b] for a, b in zip(starts, starts[1:] + [len(lines)])]
    return "\n".join(lines[:starts[0]] + [line for block in blocks[::-1] for line in block])


def digest(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(params=ASSIGNMENTS, ids=lambda a: a.id)
def planted(request, tmp_path, capsys):
    """A class of one student per right catalogue entry (only that part solved), a disguised copy of the entry
    with the most functions, the instructor's solution of another part pasted in, an unreadable notebook and a
    symbolic link to the instructor's; returns (assignment, course, the copied entry, the pasted part, the exit status, what the command printed)."""
    assignment = request.param
    course = commands.copy_course(REPO, tmp_path)
    right = catalogue.of(assignment.id).correct
    original = max(right, key=lambda e: e.code.count("def "))
    pasted = next(p for p in assignment.parts if p != original.part)
    students = [Student(e.name, e.description, (e.part,), rewrites=((e.part, e.code),)) for e in right]
    students += [Student("copier", "", (original.part,),
                         rewrites=((original.part, reordered(renamed(original.code)) + "\n" + PAYLOAD),)),
                 Student("paster", "", (pasted,))]
    sample.build(assignment, course, students)
    (course / "submitted" / "broken" / assignment.id).mkdir(parents=True)
    (course / "submitted" / "broken" / assignment.id / f"{assignment.notebook}.ipynb").write_text("{not json")
    (course / "submitted" / "linker" / assignment.id).mkdir(parents=True)  # the instructor's notebook, linked to
    (course / "submitted" / "linker" / assignment.id / f"{assignment.notebook}.ipynb").symlink_to(
        assignment.source_notebook(course))
    before = digest(course / "submitted")
    status = similarity.main([str(course), "--assignment", assignment.id])
    assert digest(course / "submitted") == before, "make similarity changed submitted/"
    return assignment, course, original, pasted, status, capsys.readouterr().out


def flagged(course) -> set[tuple[str, frozenset, str]]:
    with open(course / "report" / "similarity.csv", newline="") as handle:
        return {(r["part"], frozenset((r["student_a"], r["student_b"])), r["flag"])
                for r in csv.DictReader(handle) if r["flag"]}


def test_flags_the_planted_copies_and_no_independent_answer(planted):
    assignment, course, original, pasted, status, out = planted
    assert status == 0
    assert flagged(course) == {
        (original.part, frozenset(("copier", original.name)), "similar"),
        (pasted, frozenset(("paster", similarity.INSTRUCTOR)), "matches the instructor's solution"),
    }
    assert f"{assignment.id}: 2 pair(s) at or over" in out and "unreadable, not compared: broken, linker" in out


def test_the_page_is_static_and_escaped(planted):
    page = (planted[1] / "report" / "similarity.html").read_text()
    assert "copier" in page and "<script" not in page and "&lt;script&gt;alert(&#x27;copied&#x27;)" in page


def test_make_report_lists_the_flagged_pairs(planted):
    assignment, course, original, pasted, *_ = planted
    everyone = {e.name: 0 for e in catalogue.of(assignment.id).correct} | {"copier": 0, "paster": 0}
    rows = {row["student"]: re.sub(r" \(0\.9\d*\)$| \(1\.0\)$", "", row["flags"])
            for row in report.flags(course, assignment.id, everyone)}
    assert rows == {"copier": f"similar to {original.name} in {original.part}",
                    original.name: f"similar to copier in {original.part}",
                    "paster": f"matches the instructor's solution in {pasted}"}
