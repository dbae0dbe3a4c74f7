"""Grading a whole class: stock nbgrader against `make grade`'s autograde, and the bare execution floor.

    .venv/bin/python benchmarks/class_grading.py [--students 60]

Builds a realistic class from the grading catalogue (tests/catalogue: right answers written many ways and
typical mistakes) with faults mixed in as a real class has them (5% infinite loops, 2% kernels that hang and
ignore the interrupt, 2% crashes, from tests/hostile.py) and, in one run on this machine, measures seconds per
submission for
  - stock: one sequential `nbgrader autograde` with nbgrader's own preprocessors (no sandbox, no re-verification),
  - ours with --jobs 1 and --jobs 2: intake, sandboxed autograde and re-verification (coursetools.grade.autograde),
  - the floor: the same submitted notebooks executed one after another with nbclient, as Jupyter runs them, and
    again with figures not drawn (MPLBACKEND=agg, as the sandbox runs them),
checks that every way gives the same scores to every honest submission, prints the longest time one
submission held a grading slot in our runs (against the slowest honest one), and times single Dask-sized
tasks (one nbgrader process per submission) to project a cluster's grading time from them.
"""
import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from catalogue.cnn import CORRECT, WRONG  # noqa: E402

ENTRIES = WRONG + CORRECT
from hostile import ATTACKS  # noqa: E402
from coursetools import cycle, grade
from coursetools.assignments.cnn import sample_class
from coursetools.gradebook import scores
from coursetools.grading import commands, parallel, workspace  # noqa: E402
from coursetools.assignments.cnn import ASSIGNMENT as CNN  # noqa: E402

STOCK = ("from nbgrader.converters import Autograde\n"
         "c.Autograde.autograde_preprocessors = Autograde.class_traits()['autograde_preprocessors'].default()\n")
TASK_SAMPLES = 6  # single-submission tasks timed for the cluster projection
CLUSTER = ((10_000, 1), (10_000, 16), (10_000, 64), (10_000, 256))  # (students, workers) projected
FAULTS = ((0.05, ("infinite_loop",)), (0.02, ("replaces_isinstance", "ignores_interrupts", "sleeps_in_c")),
          (0.02, ("segfault", "os_exit")))  # (share of the class, the hostile.py attacks that make it)


def the_class(size: int) -> list[sample_class.Student]:
    """`size` catalogue submissions spread over the whole catalogue, repeated with new ids if it is too short."""
    picks = [ENTRIES[i * len(ENTRIES) // size % len(ENTRIES)] for i in range(size)]
    return [replace(entry.student(CNN), student_id=f"{entry.name}_{i:03d}") for i, entry in enumerate(picks)]


def faulty(size: int) -> list:
    """The faulty submissions of a class of `size`: each fault's share, rounded up, its attacks taken in turn."""
    by_name = {attack.name: attack for attack in ATTACKS}
    return [replace(by_name[names[i % len(names)]], name=f"{names[i % len(names)]}_{i:03d}")
            for share, names in FAULTS for i in range(math.ceil(share * size))]


def new_course(root: Path, name: str, students, faults, config: str = "") -> Path:
    course = commands.copy_course(REPO, root / name)
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write(config)
    commands.nbgrader(course, "generate_assignment", CNN.id, "--force")
    sample_class.build(course, students)
    for attack in faults:
        attack.write(course)
    cycle.register(course, [s.student_id for s in students] + [a.name for a in faults])
    return course


def cell_timeout() -> int:
    """The grading cell timeout that nbgrader_config.py sets."""
    return PyFileConfigLoader("nbgrader_config.py", str(REPO)).load_config().SandboxedExecute.cell_timeout


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def floor(course: Path, students, draw: bool) -> float:
    """Seconds to execute every submitted notebook with nbclient in a fresh kernel, one after another."""
    previous = os.environ.get("MPLBACKEND")
    if not draw:
        os.environ["MPLBACKEND"] = "agg"
    try:
        start = time.perf_counter()
        for student in students:
            folder = course / "submitted" / student.student_id / CNN.id
            nb = nbformat.read(folder / f"{CNN.notebook}.ipynb", as_version=4)
            try:
                NotebookClient(nb, timeout=60, allow_errors=True, resources={"metadata": {"path": str(folder)}}).execute()
            except Exception:  # noqa: BLE001 (a hung or dead kernel stops this notebook, as it would in Jupyter)
                pass
        return time.perf_counter() - start
    finally:
        os.environ.pop("MPLBACKEND", None) if previous is None else os.environ.update(MPLBACKEND=previous)


def stock_autograde(course: Path, limit: float) -> bool:
    """Stock `nbgrader autograde` of the class; False if it was stopped after `limit` s (stock nbgrader has no
    limit on a kernel that never answers, so one hung kernel can stall it for good)."""
    run = subprocess.Popen([sys.executable, "-m", "coursetools.grading.nbgrader_cli", "autograde", CNN.id, "--force",
                            "--log-level=ERROR"], cwd=course, env=commands.with_bin_on_path(), start_new_session=True)
    try:
        run.wait(timeout=limit)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        return False


def task_seconds(course: Path, students) -> list[float]:
    """Seconds of single-submission grading tasks, as a Dask worker runs them (after `make grade` staged them)."""
    return [timed(lambda s=s: parallel.autograde_students(str(course), CNN.id, [s.student_id])) for s in students]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--stock-minutes", type=float, default=20, help="stop stock nbgrader after this long")
    args = parser.parse_args(argv)
    faults = faulty(args.students)
    students = the_class(args.students - len(faults))
    honest = [s.student_id for s in students]
    everyone = students + [replace(sample_class.FULL_SOLUTION, student_id=a.name) for a in faults]  # for floor()
    ids = honest + [a.name for a in faults]
    seconds, graded, held = {}, {}, {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        stock = new_course(root, "stock", students, faults, STOCK)
        began = time.perf_counter()
        finished = stock_autograde(stock, args.stock_minutes * 60)
        seconds["stock nbgrader autograde"] = time.perf_counter() - began
        graded["stock nbgrader autograde"] = scores.cell_scores(commands.gradebook_url(stock), CNN, ids)
        for jobs in (1, 2):
            name = f"ours, --jobs {jobs}"
            course = new_course(root, f"jobs{jobs}", students, faults)
            seconds[name] = timed(lambda c=course, j=jobs: grade.autograde(c, CNN, jobs=j))
            graded[name] = scores.cell_scores(commands.gradebook_url(course), CNN, ids)
            held[name] = json.loads((course / workspace.slot_seconds(CNN.id)).read_text())
        seconds["floor: nbclient, figures drawn"] = floor(stock, everyone, draw=True)
        seconds["floor: nbclient, figures not drawn"] = floor(stock, everyone, draw=False)
        tasks = task_seconds(course, students[:TASK_SAMPLES])

    per = {name: value / len(ids) for name, value in seconds.items()}
    stock_per, floors = per["stock nbgrader autograde"], [v for k, v in per.items() if k.startswith("floor")]
    print(f"\n{len(ids)} submissions: {len(honest)} from the grading catalogue and {len(faults)} faulty "
          f"({', '.join(a.name for a in faults)}), {os.cpu_count()} cores, one run:")
    print(f"  {'':<36} {'total s':>8} {'s/submission':>13} {'stock/this':>11} "
          f"{'this/floor (drawn, not drawn)':>31}")
    for name, value in seconds.items():
        print(f"  {name:<36} {value:8.1f} {per[name]:13.2f} {stock_per / per[name]:10.2f}x "
              f"{per[name] / floors[0]:14.2f}x {per[name] / floors[1]:7.2f}x")
    if not finished:
        print(f"  (stock nbgrader was stopped after {args.stock_minutes:g} min: its figure is a lower bound, and "
              "the submissions it had not reached count as differing below)")
    differing = [s for s in honest if len({str(table[s]) for table in graded.values()}) > 1]
    print(f"\nscores identical for every honest submission in all three gradings: "
          f"{'yes' if not differing else 'NO: ' + ', '.join(differing)}")
    timeout = cell_timeout()
    print("longest time one submission held a grading slot (ours; stock nbgrader grades one after another), against "
          f"twice the slowest honest one plus the {timeout} s cell timeout:")
    for name, slots in held.items():
        slowest = max(honest, key=lambda s: slots.get(s, 0))
        longest = max(slots, key=slots.get)
        bound = 2 * slots[slowest] + timeout
        print(f"  {name}: {slots[longest]:.1f} s ({longest}); slowest honest submission {slots[slowest]:.1f} s "
              f"({slowest}); bound {bound:.1f} s: {'within' if slots[longest] <= bound else 'OVER'}")
        print("    faulty ones: " + ", ".join(f"{a.name} {slots.get(a.name, 0):.1f} s" for a in faults))
    task = statistics.mean(tasks)
    print(f"\none submission as one Dask task (a whole nbgrader process): {task:.2f} s on average "
          f"({min(tasks):.2f}-{max(tasks):.2f}, {len(tasks)} tasks). Tasks share nothing but the gradebook's few rows "
          f"per submission, so W workers take about students/W tasks each:")
    for size, workers in CLUSTER:
        print(f"  {size} students on {workers:>3} workers: {size / workers * task / 60:7.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
