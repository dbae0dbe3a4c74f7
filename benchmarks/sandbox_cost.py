"""What the grading sandbox costs: seconds per submission of `nbgrader autograde` with nbgrader's own
Execute step (student code in the TA's process tree, no limits) and with ours (bubblewrap, prlimit, the
fault-tolerant runner), on the same class in the same run.

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

from coursetools import commands, cycle, sample_class  # noqa: E402
from coursetools.assignment import ASSIGNMENT  # noqa: E402
from coursetools.sandbox import bubblewrap_works  # noqa: E402

STOCK_EXECUTE = """
from nbgrader.preprocessors import Execute
c.Autograde.autograde_preprocessors = [Execute] + c.Autograde.autograde_preprocessors[1:]
"""


def seconds_per_submission(course: Path, students) -> float:
    commands.nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    sample_class.build(course, students)
    cycle.register(course, [s.student_id for s in students])
    start = time.perf_counter()
    commands.nbgrader(course, "autograde", ASSIGNMENT, "--force")
    return (time.perf_counter() - start) / len(students)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    args = parser.parse_args(argv)
    students = [replace(sample_class.FULL_SOLUTION, student_id=f"student{i:03d}") for i in range(args.students)]
    with tempfile.TemporaryDirectory() as folder:
        stock = commands.copy_course(REPO, Path(folder) / "stock")
        with open(stock / "nbgrader_config.py", "a") as config:
            config.write(STOCK_EXECUTE)
        stock_seconds = seconds_per_submission(stock, students)
        ours_seconds = seconds_per_submission(commands.copy_course(REPO, Path(folder) / "sandboxed"), students)
    print(f"\n{args.students} submissions of the instructor's solution, one `nbgrader autograde` each way:")
    print(f"  nbgrader's Execute:        {stock_seconds:.2f} s per submission")
    sandbox = "bubblewrap" if bubblewrap_works() else "NO bubblewrap"
    print(f"  sandboxed ({sandbox}):  {ours_seconds:.2f} s per submission")
    print(f"  extra: {ours_seconds - stock_seconds:+.2f} s per submission ({ours_seconds / stock_seconds:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
