"""Autograding many submissions at once: local slots (`--jobs N`) or a Dask cluster (`--scheduler ADDRESS`).

Locally, each slot is a long-lived nbgrader (coursetools/grading/grading_worker.py) handed one submission at a time
by whichever slot is free, so a submission that hangs holds only its own slot and nbgrader starts once per
slot. On Dask each submission is a task of its own, graded by its own `nbgrader autograde` process whose
submitted folder holds only that student (copied from the intake's staging folder); a task whose worker dies
runs again on another worker, and `--force` makes the rerun start clean. Either way the graders share the
course: autograded/ and the gradebook, where no two students share a folder or a row, and a SQLite gradebook
waits for its lock instead of failing (coursetools/gradebook/patient_sqlite.py).

Whatever a slot leaves ungraded (a crash of nbgrader, a lost worker) is graded again by coursetools/grade.py.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from tqdm import tqdm

from coursetools.grading import graded, workspace
from coursetools.grading.commands import die_with_parent, nbgrader, with_bin_on_path



def autograde_students(course_dir: str, assignment_id: str, students: list[str]) -> str:
    """Grade `students` (staged in .grading/<assignment>/submitted/) with one `nbgrader autograde`; returns what
    it printed.

    This is the task a Dask worker runs, so it takes the course folder as a string and returns plain text."""
    course_dir = Path(course_dir)
    folder = workspace.chunks(assignment_id) / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    for student in students:
        shutil.copytree(course_dir / workspace.staging(assignment_id) / student, course_dir / folder / student)
    try:
        done = nbgrader(course_dir, "autograde", assignment_id, "--force",
                        f"--CourseDirectory.submitted_directory={folder}", check=False, capture=True)
    finally:
        shutil.rmtree(course_dir / folder, ignore_errors=True)
    return done.stdout


def autograde(course_dir: Path, assignment_id: str, students: list[str], jobs: int | None = None,
              scheduler: str | None = None) -> None:
    """Autograde `students`' submissions of `assignment_id` with `jobs` local processes (default: one per core), or on the Dask cluster at
    `scheduler` ("local" starts one on this machine), showing a progress bar; nbgrader's messages are printed."""
    course_dir = Path(course_dir).resolve()
    shutil.rmtree(course_dir / workspace.chunks(assignment_id), ignore_errors=True)  # what a killed run left behind
    for student in students:  # from here on, graded means graded by this run
        graded.forget(course_dir, assignment_id, student)
    jobs = jobs or os.cpu_count() or 1
    with tqdm(total=len(students), desc="autograde", unit="notebook", dynamic_ncols=True) as bar:
        def progress():
            bar.update(sum(graded.is_graded(course_dir, assignment_id, s) for s in students) - bar.n)

        if scheduler:
            on_dask(course_dir, assignment_id, students, scheduler, jobs, progress)
        else:
            on_this_machine(course_dir, assignment_id, students, jobs, progress)
        progress()


def report(output: str) -> None:
    if output.strip():
        tqdm.write(output.rstrip())


def on_this_machine(course_dir: Path, assignment_id: str, students: list[str], jobs: int, progress) -> None:
    """`jobs` slots, each a grading worker (coursetools/grading/grading_worker.py) that is handed the next submission
    whenever it is free: no submission waits behind a slow one, and nbgrader starts once per slot. A worker
    that dies is replaced; the submission it held is left ungraded, for grade.py to grade again on its own."""
    waiting, lock, held = list(students), threading.Lock(), {}

    def take() -> str | None:
        with lock:
            return waiting.pop(0) if waiting else None

    def work() -> None:
        worker = None
        try:
            while student := take():
                began = time.monotonic()
                worker = worker or start_worker(course_dir, assignment_id)
                answer = ask(worker, student)
                held[student] = round(time.monotonic() - began, 2)
                if answer is None:
                    report(f"the grading worker stopped while it graded {student}")
                    stop_worker(worker)
                    worker = None
                elif not answer["success"] or answer["log"].strip():
                    report(answer["log"] or f"nbgrader could not grade {student}")
        finally:
            stop_worker(worker)

    with ThreadPoolExecutor(jobs) as pool:
        follow([pool.submit(work) for _ in range(jobs)], progress)
    (course_dir / workspace.slot_seconds(assignment_id)).write_text(json.dumps(held, indent=1))


def start_worker(course_dir: Path, assignment_id: str) -> subprocess.Popen:
    return subprocess.Popen([*die_with_parent(), sys.executable, "-m", "coursetools.grading.grading_worker",
                             assignment_id],
                            cwd=course_dir, env=with_bin_on_path(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)


def ask(worker: subprocess.Popen, student: str) -> dict | None:
    """The worker's answer for `student`, or None if it died before it answered."""
    try:
        worker.stdin.write(student + "\n")
        worker.stdin.flush()
        line = worker.stdout.readline()
    except (BrokenPipeError, OSError):
        return None
    try:
        return json.loads(line) if line else None
    except ValueError:
        return None


def stop_worker(worker: subprocess.Popen | None) -> None:
    if worker is not None:
        worker.kill()
        worker.wait()
        worker.stdin.close()
        worker.stdout.close()


def follow(tasks: list, progress) -> list:
    """Wait for `tasks` (concurrent.futures or Dask futures), updating the progress bar; returns them."""
    while not all(task.done() for task in tasks):
        progress()
        time.sleep(0.5)
    return tasks


def on_dask(course_dir: Path, assignment_id: str, students: list[str], scheduler: str, jobs: int, progress) -> None:
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
        tasks = [client.submit(autograde_students, str(course_dir), assignment_id, [student], pure=False,
                               key=f"autograde-{student}-{run}") for student in students]
        for student, task in zip(students, follow(tasks, progress), strict=True):
            try:
                report(task.result())
            except Exception as problem:  # noqa: BLE001 (its student is graded again by grade.py)
                report(f"the Dask task grading {student} failed: {problem!r}")
