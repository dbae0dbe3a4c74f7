"""What the grading protections cost: seconds per submission of `nbgrader autograde` with nbgrader's own
Execute step (student code in the TA's process tree, no limits), with our sandboxed execution only
(bubblewrap, prlimit, the fault-tolerant runner) and with re-verification on top (the course's
configuration), on the same class in the same run.

    .venv/bin/python benchmarks/sandbox_cost.py [--students 10]
"""
import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coursetools import assignments, cycle  # noqa: E402
from coursetools.grading import commands  # noqa: E402
from coursetools.grading.sandbox import bubblewrap_works  # noqa: E402

# Appended to a copy of nbgrader_config.py, which imports SandboxedExecute and VerifyScores.
CONFIGURATIONS = {
    "nbgrader's Execute": "from nbgrader.preprocessors import Execute\n"
                          "c.Autograde.autograde_preprocessors = [Execute] + [p for p in "
                          "c.Autograde.autograde_preprocessors if p not in (SandboxedExecute, VerifyScores)]\n",
    "sandboxed": "c.Autograde.autograde_preprocessors = [p for p in c.Autograde.autograde_preprocessors "
                 "if p is not VerifyScores]\n",
    "sandboxed + re-verified": "",
}


def seconds_per_submission(course: Path, assignment, students) -> float:
    commands.nbgrader(course, "generate_assignment", assignment.id, "--force")
    assignment.sample_class.build(course, students)
    cycle.register(course, [s.student_id for s in students])
    start = time.perf_counter()
    commands.nbgrader(course, "autograde", assignment.id, "--force")
    return (time.perf_counter() - start) / len(students)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default=assignments.DEFAULT, choices=assignments.ALL)
    parser.add_argument("--students", type=int, default=10)
    args = parser.parse_args(argv)
    assignment = assignments.get(args.assignment)
    solution = assignment.sample_class.FULL_SOLUTION
    students = [replace(solution, student_id=f"student{i:03d}") for i in range(args.students)]
    seconds = {}
    with tempfile.TemporaryDirectory() as folder:
        for index, (name, override) in enumerate(CONFIGURATIONS.items()):
            course = commands.copy_course(REPO, Path(folder) / f"course{index}")
            with open(course / "nbgrader_config.py", "a") as config:
                config.write(override)
            seconds[name] = seconds_per_submission(course, assignment, students)
    baseline = seconds["nbgrader's Execute"]
    sandbox = "bubblewrap" if bubblewrap_works() else "NO bubblewrap"
    print(f"\n{args.students} submissions of the instructor's solution, one `nbgrader autograde` each way "
          f"(sandbox: {sandbox}):")
    for name, value in seconds.items():
        print(f"  {name:<25} {value:.2f} s per submission  ({value - baseline:+.2f} s, {value / baseline:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
