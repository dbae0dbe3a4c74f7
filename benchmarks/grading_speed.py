"""How long real `nbgrader autograde` takes per notebook for each kind of catalogue entry, and whether
grading the same submission again gives the same score.

    .venv/bin/python benchmarks/grading_speed.py [--repeats 10]
    .venv/bin/python benchmarks/grading_speed.py --against REV [--repeats 6]


One course copy in a temporary folder receives the instructor's solution (the baseline), every catalogue
entry and `--repeats` copies of two submissions; one `nbgrader autograde` grades them all, as a TA would.
Per notebook it reads, from the autograded notebook's own execution timestamps, the seconds from the first
cell's start to the last cell's end, and the slowest single cell, which must stay well under the
configured cell timeout. Figures are printed as seconds and as ratios to the baseline of the same run.

With `--against REV` it instead measures what a change of the notebook costs: two course copies, one with the
notebooks (source/ and release/) of git revision REV and one with the working tree's, both with the tools
(coursetools/, nbgrader_config.py) of `--tools` (default HEAD, so that uncommitted tool changes do not count),
each grade `--repeats` copies of the instructor's solution, both at the same time in the same run. It prints, per
notebook and averaged, the seconds of the cells that are not tests (figures, demos, definitions) and of the test
cells, and nbgrader's wall time per notebook.
"""
import argparse
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import catalogue  # noqa: E402
from coursetools import assignments, cycle  # noqa: E402
from coursetools.gradebook import scores  # noqa: E402
from coursetools.grading import commands, notebook  # noqa: E402

# Graded --repeats times each: for cnn the slowest right answer and a mistake about randomness; for any other
# assignment its catalogue's first wrong and first right entries.
REPEATED = {"cnn": ("conv_seven_loops", "layer_unseeded")}


def autograded(course: Path, assignment, student: str) -> Path:
    return course / "autograded" / student / assignment.id / f"{assignment.notebook}.ipynb"


def cell_seconds(path: Path) -> list[float]:
    """Seconds each executed cell of an autograded notebook took, from its execution timestamps."""
    seconds = []
    for cell in notebook.read(path).cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start, end = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            seconds.append((end - start).total_seconds())
    return seconds


def configured_timeout() -> float:
    """Autograde's cell timeout, `c.SandboxedExecute.cell_timeout` in the course's nbgrader_config.py (not
    `c.Execute.timeout`, which only `nbgrader validate` uses)."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    return float(config.SandboxedExecute["cell_timeout"])


def split_seconds(path: Path) -> tuple[float, float]:
    """(seconds of the cells that are not tests, seconds of the test cells) of an autograded notebook."""
    seconds = {False: 0.0, True: 0.0}
    for cell in notebook.read(path).cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start, end = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            seconds[bool(cell.metadata.get("nbgrader", {}).get("grade"))] += (end - start).total_seconds()
    return seconds[False], seconds[True]


def course_at(root: Path, tools: str, notebooks: str | None) -> Path:
    """A course in `root` with the tools of git revision `tools` and the notebooks of revision `notebooks`
    (None: the working tree's)."""
    root.mkdir(parents=True)
    for revision, paths in [(tools, ["coursetools", "nbgrader_config.py"])] + \
            ([(notebooks, ["source", "release"])] if notebooks else []):
        archive = subprocess.run(["git", "archive", revision, *paths], cwd=REPO, capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(root, filter="data")
    if notebooks is None:
        shutil.copytree(REPO / "source", root / "source", ignore=shutil.ignore_patterns("*.py"))
        shutil.copytree(REPO / "release", root / "release")
    return root


def compare(assignment, against: str, tools: str, repeats: int) -> int:
    """Grade `repeats` copies of the full solution with the notebooks of `against` and of the working tree, the two
    courses at the same time, so that both grade under the same conditions (load, caches, thermal state)."""
    sample_class = assignment.sample_class
    students = [replace(sample_class.FULL_SOLUTION, student_id=f"solution{copy}") for copy in range(repeats)]
    ids = [s.student_id for s in students]
    rows = {}

    def grade(label: str, course: Path) -> None:
        commands.nbgrader(course, "generate_assignment", assignment.id, "--force", capture=True)
        sample_class.build(course, students)
        cycle.register(course, ids)
        start = time.perf_counter()
        commands.nbgrader(course, "autograde", assignment.id, "--force", capture=True)
        wall = time.perf_counter() - start
        split = [split_seconds(autograded(course, assignment, sid)) for sid in ids]
        cells = scores.cell_scores(commands.gradebook_url(course), assignment, ids)
        total = {sum(score for cell, (score, _) in table.items() if cell != assignment.written_answer)
                 for table in cells.values()}
        rows[label] = (wall / repeats, [a for a, _ in split], [b for _, b in split], total)

    with tempfile.TemporaryDirectory() as folder:
        courses = {f"notebooks of {against}": course_at(Path(folder) / "old", tools, against),
                   "notebooks of the working tree": course_at(Path(folder) / "new", tools, None)}
        threads = [threading.Thread(target=grade, args=item) for item in courses.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rows = {label: rows[label] for label in courses}
    print(f"\n{repeats} copies of the instructor's solution per course, tools of {tools}, nbgrader autograde each")
    print(f"{'':<32} {'wall s/notebook':>15} {'non-test cells s':>17} {'test cells s':>13}  autograded scores")
    for label, (wall, other, tests, total) in rows.items():
        print(f"{label:<32} {wall:>15.2f} {sum(other) / repeats:>17.2f} {sum(tests) / repeats:>13.2f}  {sorted(total)}")
    (old_wall, old_other, _, _), (new_wall, new_other, _, _) = rows.values()
    print(f"change per submission: non-test cells {sum(new_other) / repeats - sum(old_other) / repeats:+.2f} s, "
          f"wall {new_wall - old_wall:+.2f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="gradings of the same submission (default 10)")
    parser.add_argument("--against", metavar="REV", help="compare the working tree's notebooks with those of REV")
    parser.add_argument("--tools", metavar="REV", default="HEAD", help="with --against: the tools' revision")
    parser.add_argument("--assignment", default=assignments.DEFAULT, choices=assignments.ALL)
    args = parser.parse_args(argv)
    assignment = assignments.get(args.assignment)
    if args.against:
        return compare(assignment, args.against, args.tools, args.repeats)

    found, sample_class = catalogue.of(assignment.id), assignment.sample_class
    baseline_student = sample_class.FULL_SOLUTION
    kinds = {baseline_student.student_id: "baseline (instructor's solution)"}
    students = [baseline_student]
    for entry in found.entries:
        students.append(entry.student(assignment))
        kinds[entry.name] = f"{'wrong' if entry.wrong else 'right'} {entry.part}"
    by_name = {entry.name: entry for entry in found.entries}
    repeated = REPEATED.get(assignment.id, (found.wrong[0].name, found.correct[0].name))
    for name in repeated:
        for copy in range(args.repeats):
            students.append(replace(by_name[name].student(assignment), student_id=f"{name}__again{copy}"))

    with tempfile.TemporaryDirectory() as folder:
        course = commands.copy_course(REPO, Path(folder))
        commands.nbgrader(course, "generate_assignment", assignment.id, "--force")
        sample_class.build(course, students)
        cycle.register(course, [s.student_id for s in students])
        start = time.perf_counter()
        commands.nbgrader(course, "autograde", assignment.id, "--force")
        wall = time.perf_counter() - start
        ids = [s.student_id for s in students]
        cells_by_student = scores.cell_scores(commands.gradebook_url(course), assignment, ids)
        totals = {sid: sum(score for cell, (score, _) in cells.items() if cell != assignment.written_answer)
                  for sid, cells in cells_by_student.items()}
        autograded_max = sum(most for cell, (_, most) in cells_by_student[ids[0]].items()
                             if cell != assignment.written_answer)
        timings = {sid: cell_seconds(autograded(course, assignment, sid)) for sid in ids}

    notebook_seconds = {sid: sum(cells) for sid, cells in timings.items()}
    baseline = notebook_seconds[baseline_student.student_id]
    groups = defaultdict(list)
    for sid in kinds:
        groups[kinds[sid]].append(notebook_seconds[sid])
    print(f"\nnbgrader autograde: {len(ids)} notebooks in {wall:.1f} s, {wall / len(ids):.2f} s per notebook "
          "(kernel start and nbgrader's own work included)")
    print(f"baseline: the instructor's solution runs its cells in {baseline:.2f} s\n")
    print(f"{'kind':<34} {'entries':>7} {'mean s':>7} {'max s':>7} {'max / baseline':>15}")
    for kind in sorted(groups, key=lambda k: -max(groups[k])):
        seconds = groups[kind]
        print(f"{kind:<34} {len(seconds):>7} {sum(seconds) / len(seconds):>7.2f} {max(seconds):>7.2f} "
              f"{max(seconds) / baseline:>15.2f}")

    slowest = max((sid for sid in kinds if not by_name.get(sid) or not by_name[sid].wrong),
                  key=lambda sid: notebook_seconds[sid])
    timeout = configured_timeout()
    print(f"\nslowest right answer: {slowest}, {notebook_seconds[slowest]:.2f} s for the notebook; its slowest cell "
          f"took {max(timings[slowest]):.2f} s, {max(timings[slowest]) / timeout:.1%} of the {timeout:g} s cell timeout "
          f"(autograded score {totals[slowest]:g} of {autograded_max:g})")
    for name in repeated:
        again = [totals[sid] for sid in ids if sid.startswith(f"{name}__again")] + [totals[name]]
        print(f"{name} graded {len(again)} times: scores {sorted(set(again))} "
              f"({'deterministic' if len(set(again)) == 1 else 'NOT deterministic'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
