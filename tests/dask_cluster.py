"""A real Dask cluster on loopback (a `dask scheduler` and two `dask worker` processes) grading a class, with one
worker killed while it grades a submission."""
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook

from coursetools import cycle

from coursetools.assignments.cnn import sample_class

from coursetools.gradebook import scores

from coursetools.grading import commands
from coursetools.assignments.cnn import ASSIGNMENT as CNN
from coursetools.grading.commands import BIN
from coursetools.grading import workspace

WORKERS = 2


@dataclass
class DaskRun:
    status: int           # the exit status of `python -m coursetools.grade --scheduler ...`
    output: str           # what it printed
    killed_while: list    # the students the killed worker was grading when it was killed
    scores: dict          # {student: {grade cell: (score, max)}}
    submissions: list     # student ids of the gradebook's submissions of the assignment
    survivors: list       # processes the killed worker started that were still alive a second after the kill


def start(command: list[str], log: Path, cwd: Path) -> subprocess.Popen:
    """A Dask process in a session of its own (so that it can be killed with everything it started)."""
    env = dict(os.environ, PYTHONPATH=str(cwd))  # the workers import the grading task from coursetools
    with open(log, "w") as handle:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_for(condition, what: str, seconds: float = 300):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def scheduler_address(address_file: Path) -> str | None:
    """The address in the scheduler's file, or None until the scheduler has written all of it (the file exists,
    empty or half-written, for a moment before that)."""
    try:
        return json.loads(address_file.read_text())["address"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return None


@contextmanager
def cluster(course: Path, logs: Path):
    """(scheduler address, [worker processes]); everything is killed on the way out."""
    logs.mkdir(exist_ok=True)
    address_file = logs / "scheduler.json"
    processes = [start([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                        "--scheduler-file", str(address_file)], logs / "scheduler.log", course)]
    try:
        address = wait_for(lambda: scheduler_address(address_file), "the Dask scheduler")
        workers = [start([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                          "--name", f"worker{i}"], logs / f"worker{i}.log", course) for i in range(WORKERS)]
        processes += workers
        yield address, workers
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def tasks_of(worker: subprocess.Popen, course: Path) -> list[str]:
    """The students whose grading task `worker` is running now (from its chunk folders, named after its pid)."""
    try:
        return [student.name for chunk in (course / workspace.chunks(CNN.id)).glob(f"*-{worker.pid}-*") for student in chunk.iterdir()]
    except FileNotFoundError:  # the task ended while we looked
        return []


def living_members(group: int) -> list[str]:
    """The commands of the processes in process group `group` that are alive (zombies are dead)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:  # it ended meanwhile
            continue
        state, _, pgid = fields.split()[:3]
        if int(pgid) == group and state != "Z":
            members.append(name.split("(", 1)[1])
    return members


def run_on_dask(course: Path, students=sample_class.SAMPLE_CLASS) -> DaskRun:
    """Grade `students` on a loopback cluster of two workers, killing the first worker's process (only it: the
    nbgrader it started must die with it) once it is grading a submission."""
    commands.nbgrader(course, "generate_assignment", CNN.id, "--force")
    sample_class.build(course, students)
    ids = [s.student_id for s in students]
    cycle.register(course, ids)
    with cluster(course, course.parent / f"{course.name}-dask-logs") as (address, workers):
        grading = subprocess.Popen([sys.executable, "-m", "coursetools.grade", str(course), "--scheduler", address],
                                   cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        victim = workers[0]
        killed_while = wait_for(lambda: tasks_of(victim, course), "the first worker to start grading")
        time.sleep(2)  # well into the task: its kernel runs the student's cells
        victim.kill()
        victim.wait()
        time.sleep(1)  # the nbgrader it started needs seconds more to finish grading: it must be gone at once
        survivors = living_members(victim.pid)
        output, _ = grading.communicate(timeout=900)
    url = commands.gradebook_url(course)
    with Gradebook(url) as gb:
        submissions = [s.student.id for s in gb.find_assignment(CNN.id).submissions]
    return DaskRun(grading.returncode, output, killed_while, scores.cell_scores(url, CNN, ids), submissions, survivors)
