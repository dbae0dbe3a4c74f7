"""Grading time per submission of this working tree against an earlier revision of the course, in one run.

    .venv/bin/python benchmarks/compare_revisions.py REVISION [--copies 2] [--jobs 2]

Both courses grade the same submissions (the sample class, built once by this tree's code, `--copies` times
over) with their own `make grade` (python -m coursetools.grade), one after the other on this machine; the
earlier revision is checked out with `git worktree` into a temporary folder. Prints seconds per submission,
the ratio, and whether the two gave every student the same total.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coursetools import cycle


from coursetools.gradebook import scores

from coursetools.grading import commands  # noqa: E402
from coursetools import assignments  # noqa: E402


def grade_class(course: Path, assignment, students, jobs: int) -> tuple[float, dict]:
    """(seconds per submission, {student: total}) of the course's own grading command on `students`."""
    commands.nbgrader(course, "generate_assignment", assignment.id, "--force")
    assignment.sample_class.build(course, students)
    cycle.register(course, [s.student_id for s in students])
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coursetools.grade", str(course), "--jobs", str(jobs)], cwd=course,
                   check=False, stdout=subprocess.DEVNULL)
    seconds = (time.perf_counter() - start) / len(students)
    table = scores.part_scores(commands.gradebook_url(course), assignment, [s.student_id for s in students])
    return seconds, {student: sum(score for score, _ in parts.values()) for student, parts in table.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default=assignments.DEFAULT, choices=assignments.ALL)
    parser.add_argument("revision")
    parser.add_argument("--copies", type=int, default=2, help="copies of the sample class (11 students each)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    assignment = assignments.get(args.assignment)
    students = [replace(s, student_id=f"{s.student_id}_{copy}") for copy in range(args.copies)
                for s in assignment.sample_class.SAMPLE_CLASS]
    with tempfile.TemporaryDirectory() as folder:
        earlier = Path(folder) / "earlier"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(earlier), args.revision],
                       check=True, capture_output=True)
        try:
            results = {name: grade_class(commands.copy_course(root, Path(folder) / f"course-{name}"), assignment,
                                         students,
                                         args.jobs)
                       for name, root in ((args.revision, earlier), ("this tree", REPO))}
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(earlier)], check=False)
            shutil.rmtree(earlier, ignore_errors=True)
    (before, before_totals), (after, after_totals) = results.values()
    print(f"\n{len(students)} submissions, make grade --jobs {args.jobs}, the same machine, one after the other:")
    print(f"  {args.revision:<12} {before:6.2f} s per submission")
    print(f"  {'this tree':<12} {after:6.2f} s per submission  ({after / before:.2f}x)")
    changed = {s: (before_totals[s], after_totals[s]) for s in before_totals if before_totals[s] != after_totals[s]}
    print(f"  same total for every student: {'yes' if not changed else f'no: {changed}'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
