"""The hub's directories, made with the permissions that keep students out of the course and of each other.

- the repository (it holds the solutions) loses every permission for others;
- `course/`: the instructor's copy of the course, owned by the instructor, mode 0700: source/, the gradebook and
  submitted/ are theirs alone; `make grade` runs there on the users' environment (VENV, see site.py);
- `exchange/`: nbgrader's exchange root, 1777 as nbgrader documents (everyone may create a course folder, the
  sticky bit stops users removing each other's); nbgrader itself makes `<course>/inbound` 2733 (students
  write their submissions but cannot list them) and `feedback` 0711 (each student finds only the files named
  by their own submission's secret);
- `jupyter/<role>/`: each role's Jupyter configuration: nbgrader's course id and exchange, and for students
  nbgrader's instructor extensions disabled, as nbgrader's installation guide does for students;
- `state/`: the hub's database, cookie secret, log and the passwords, root only.
"""
import json
import os
import pwd
import shutil
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from coursetools.grading.commands import copy_course
from coursetools.hub import roster
from coursetools.hub.accounts import run_as
from coursetools.hub.site import REPO, Site

INSTRUCTOR_ONLY = {  # nbgrader's instructor extensions, disabled in students' servers
    "lab": ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"],
    "server": ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"],
}
COURSE_FILES = ("Makefile", "requirements.txt", "requirements-lock.txt")  # what `make grade` reads besides the course


def close_repository(repo: Path = REPO) -> None:
    os.chmod(repo, os.stat(repo).st_mode & ~0o007)


def course_id(course_dir: Path) -> str:
    return PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config().CourseDirectory.course_id


def write_jupyter_config(site: Site, course: str) -> None:
    for role in roster.ROLES:
        folder = site.jupyter_config(role)
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        lines = ["c = get_config()  # noqa: F821", f"c.Exchange.root = {str(site.exchange)!r}"]
        if role == "student":
            lines.append(f"c.CourseDirectory.course_id = {course!r}")
        else:  # the course's own configuration: a server starts in its user's home, not in the course
            lines.append(f"load_subconfig({str(site.course / 'nbgrader_config.py')!r})  # noqa: F821")
        (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
        extensions = {name: False for name in INSTRUCTOR_ONLY["server"]} if role == "student" else \
            {"coursetools.display.csp": True}  # the Formgrader's CSP (coursetools/display/csp.py)
        (folder / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": extensions}}))
        disabled = {name: True for name in INSTRUCTOR_ONLY["lab"]} if role == "student" else {}
        (folder / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}))


def make_course(site: Site, assignments, repo: Path = REPO) -> None:
    """The instructor's course: a copy of the repository's, the assignments generated and the students in the
    gradebook, all done as the instructor. An existing course is the instructor's work and is left alone."""
    if site.course.exists():
        return
    teacher = roster.instructor(site.accounts)
    copy_course(repo, site.course)
    for name in COURSE_FILES:  # copy2: older than the environment's installed stamp, so make sees nothing to do
        shutil.copy2(repo / name, site.course)
    (site.course / "students.csv").write_text("id\n" + "".join(f"{s.name}\n" for s in roster.students(site.accounts)))
    user = pwd.getpwnam(teacher.name)
    for path in [site.course, *site.course.rglob("*")]:
        os.lchown(path, user.pw_uid, user.pw_gid)
    os.chmod(site.course, 0o700)
    env = site.environment("instructor")
    nbgrader = [str(site.venv / "bin" / "python"), "-m", "coursetools.grading.nbgrader_cli"]
    for argv in [[*nbgrader, "db", "student", "import", "students.csv"],
                 *([*nbgrader, "generate_assignment", a, "--force"] for a in assignments)]:
        run_as(teacher.name, [*argv, "--log-level=ERROR"], site.course, env, check=True)
    (site.course / "students.csv").unlink()


def prepare(site: Site, assignments) -> None:
    """Every folder of the site, with its owner and mode; the instructor's course made if missing."""
    close_repository()
    site.root.mkdir(parents=True, exist_ok=True)
    os.chmod(site.root, 0o755)
    site.state.mkdir(exist_ok=True)
    os.chmod(site.state, 0o700)
    site.exchange.mkdir(exist_ok=True)
    os.chmod(site.exchange, 0o1777)
    write_jupyter_config(site, course_id(REPO))
    make_course(site, assignments)
    site.save()
