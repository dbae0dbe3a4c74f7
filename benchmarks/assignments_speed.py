"""What each assignment costs to grade: seconds per submission of `make grade`'s autograde (intake, sandbox,
re-verification) for copies of each assignment's full solution, the assignments graded one after the other in
one run, with the ratio to the first assignment and each notebook's slowest cell against the cell timeout.

    .venv/bin/python benchmarks/assignments_speed.py [--copies 6] [--jobs 2]
"""
import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from coursetools import assignments, cycle, grade  # noqa: E402
from coursetools.grading import commands  # noqa: E402
from grading_speed import autograded, cell_seconds, configured_timeout  # noqa: E402


def graded_seconds(root: Path, assignment, copies: int, jobs: int) -> tuple[float, float]:
    """(wall seconds per submission, the slowest cell of any copy) for `copies` of the full solution."""
    course = commands.copy_course(REPO, root / assignment.id)
    students = [replace(assignment.sample_class.FULL_SOLUTION, student_id=f"solution{i:02d}") for i in range(copies)]
    commands.nbgrader(course, "generate_assignment", assignment.id, "--force", capture=True)
    assignment.sample_class.build(course, students)
    cycle.register(course, [s.student_id for s in students])
    start = time.perf_counter()
    grade.autograde(course, assignment, jobs)
    wall = time.perf_counter() - start
    slowest = max(max(cell_seconds(autograded(course, assignment, s.student_id)), default=0.0) for s in students)
    return wall / copies, slowest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=6, help="copies of each full solution (default 6)")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    args = parser.parse_args(argv)
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for assignment in map(assignments.get, assignments.ALL):
            rows[assignment.id] = graded_seconds(Path(folder), assignment, args.copies, args.jobs)
    baseline = rows[assignments.ALL[0]][0]
    timeout = configured_timeout()
    print(f"\n{args.copies} copies of each full solution, make grade's autograde with --jobs {args.jobs}")
    print(f"{'assignment':<14} {'s/submission':>12} {'ratio':>6} {'slowest cell s':>15} {'of the timeout':>15}")
    for name, (seconds, slowest) in rows.items():
        print(f"{name:<14} {seconds:>12.2f} {seconds / baseline:>5.2f}x {slowest:>15.2f} {slowest / timeout:>14.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
