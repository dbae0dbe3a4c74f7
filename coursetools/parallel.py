"""Autograding many submissions at once: local processes (`--jobs N`) or a Dask cluster (`--scheduler ADDRESS`).

nbgrader autograde grades one notebook after another and takes a second to start. Here the class is cut into
chunks and each chunk is graded by its own `nbgrader autograde` process, whose submitted folder holds only that
chunk's students (copied from the intake's staging folder). The processes share the course: autograded/ and the
gradebook, where no two students share a folder or a row, so chunks are independent, and a SQLite gradebook
waits for its lock instead of failing (coursetools/patient_sqlite.py). Locally, chunks shrink as the class runs
out (guided self-scheduling: each process takes 1/jobs of what is left, so few processes start and no core
idles long at the end). On Dask each submission is a task of its own; a task whose worker dies runs again on
another worker, and `--force` makes the rerun start clean.

Whatever a chunk leaves ungraded (a crash of nbgrader, a lost worker) is graded again by coursetools/grade.py.
"""
import math
import os
import shutil
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from tqdm import tqdm

from . import graded
from .assignment import ASSIGNMENT
from .commands import nbgrader

STAGING = Path(".grading") / "submitted"  # the intake's copies of submitted/, one folder per student
CHUNKS = Path(".grading") / "chunks"       # one submitted folder per running nbgrader process


def autograde_students(course_dir: str, students: list[str]) -> str:
    """Grade `students` (staged in .grading/submitted/) with one `nbgrader autograde`; returns what it printed.

    This is the task a Dask worker runs, so it takes the course folder as a string and returns plain text."""
    course_dir = Path(course_dir)
    folder = CHUNKS / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    for student in students:
        shutil.copytree(course_dir / STAGING / student, course_dir / folder / student)
    try:
        done = nbgrader(course_dir, "autograde", ASSIGNMENT, "--force",
                        f"--CourseDirectory.submitted_directory={folder}", check=False, capture=True)
    finally:
        shutil.rmtree(course_dir / folder, ignore_errors=True)
    return done.stdout


def autograde(course_dir: Path, students: list[str], jobs: int | None = None, scheduler: str | None = None) -> None:
    """Autograde `students` with `jobs` local processes (default: one per core), or on the Dask cluster at
    `scheduler` ("local" starts one on this machine), showing a progress bar; nbgrader's messages are printed."""
    course_dir = Path(course_dir).resolve()
    shutil.rmtree(course_dir / CHUNKS, ignore_errors=True)  # what a killed run left behind
    for student in students:  # from here on, graded means graded by this run
        graded.forget(course_dir, student)
    jobs = jobs or os.cpu_count() or 1
    with tqdm(total=len(students), desc="autograde", unit="notebook", dynamic_ncols=True) as bar:
        def progress():
            bar.update(sum(graded.is_graded(course_dir, s) for s in students) - bar.n)

        if scheduler:
            on_dask(course_dir, students, scheduler, jobs, progress)
        else:
            on_this_machine(course_dir, students, jobs, progress)
        progress()


def report(output: str) -> None:
    if output.strip():
        tqdm.write(output.rstrip())


def on_this_machine(course_dir: Path, students: list[str], jobs: int, progress) -> None:
    """`jobs` threads, each running one nbgrader process after another on the next chunk of the class."""
    waiting, lock = list(students), threading.Lock()

    def next_chunk() -> list[str]:
        with lock:
            size = math.ceil(len(waiting) / jobs)
            chunk, waiting[:size] = waiting[:size], []
            return chunk

    def work() -> None:
        while chunk := next_chunk():
            report(autograde_students(str(course_dir), chunk))

    with ThreadPoolExecutor(jobs) as pool:
        follow([pool.submit(work) for _ in range(jobs)], progress)


def follow(tasks: list, progress) -> list:
    """Wait for `tasks` (concurrent.futures or Dask futures), updating the progress bar; returns them."""
    while not all(task.done() for task in tasks):
        progress()
        time.sleep(0.5)
    return tasks


def on_dask(course_dir: Path, students: list[str], scheduler: str, jobs: int, progress) -> None:
    """One task per submission on the Dask cluster at `scheduler` (workers see the course at the same path)."""
    from distributed import Client, LocalCluster  # only a cluster run needs Dask

    with ExitStack() as stack:
        if scheduler == "local":
            scheduler = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1,
                                                         dashboard_address=None))
        try:
            client = stack.enter_context(Client(scheduler, timeout="30s"))
        except OSError as problem:  # dask's TimeoutError is an OSError too
            raise SystemExit(f"cannot reach the Dask scheduler at {scheduler}: {problem}") from problem
        run = uuid.uuid4().hex[:8]
        tasks = [client.submit(autograde_students, str(course_dir), [student], pure=False,
                               key=f"autograde-{student}-{run}") for student in students]
        for student, task in zip(students, follow(tasks, progress), strict=True):
            try:
                report(task.result())
            except Exception as problem:  # noqa: BLE001 (its student is graded again by grade.py)
                report(f"the Dask task grading {student} failed: {problem!r}")
