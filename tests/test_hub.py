"""The course on a real JupyterHub (make hub): PAM logins of real Linux accounts, each server run as its user,
nbgrader's exchange between them, and the Formgrader inside the hub's JupyterLab, driven in Chromium.

One hub for the module (one instructor, two students); the tests run in order, each step of the course's cycle
building on the one before: release, fetch and submit (twice, late), collect, `make grade`, feedback.
Screenshots in test-output/hub/.
"""
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import expect

from coursetools.assignments.cnn import ASSIGNMENT as CNN
from coursetools.assignments.cnn import sample_class
from coursetools.grading.commands import gradebook_url
from coursetools.hub import layout, process
from coursetools.hub.__main__ import setup
from coursetools.hub.accounts import run_as
from coursetools.hub.roster import Account
from coursetools.hub.site import PROXY, Site

from conftest import REPO, missing_tool
from jupyterlab import LAB_SETTINGS, chromium_page, free_port, require_chromium
from test_browser import KERNEL_READY, save, type_solutions

HUB_VENV = Path(os.environ.get("CNN_HUB_VENV", "/opt/cnn-hub/venv"))  # make hub-install builds it
TEACHER, ADA, BOB = "cnnhub-test-teacher", "cnnhub-test-ada", "cnnhub-test-bob"
ACCOUNTS = (Account(TEACHER, "instructor"), Account(ADA, "student"), Account(BOB, "student"))
ADA_WORK = next(s for s in sample_class.SAMPLE_CLASS if s.student_id == "flipped_kernel")
HINT = "you computed a true convolution (kernel flipped)"  # what the flipped kernel's feedback tells Ada
SHOTS = REPO / "test-output" / "hub"
TIMEOUT = 120_000  # ms: generous for a loaded CI machine, but bounded
# Run as a user: each (operation, path) tried, and what it got: "ok" or the errno's name.
ATTEMPT = """import errno, json, os, sys
def attempt(op, path):
    try:
        os.listdir(path) if op == "list" else open(path, "rb").close()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
print(json.dumps([attempt(op, path) for op, path in json.loads(sys.argv[1])]))"""


@dataclass
class Hub:
    site: Site
    passwords: dict[str, str]

    def run(self, user: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """A command as `user` in their home (the instructor: in the course), as at their JupyterLab terminal."""
        role = self.site.role(user)
        cwd = self.site.course if role == "instructor" else Path("~" + user).expanduser()
        return run_as(user, argv, cwd, self.site.environment(role), check=check, capture_output=True, text=True)

    def nbgrader(self, user: str, *args: str) -> subprocess.CompletedProcess:
        return self.run(user, str(self.site.venv / "bin" / "nbgrader"), *args)

    def attempts(self, user: str, tries: list[tuple[str, Path]]) -> list[str]:
        done = self.run(user, str(self.site.venv / "bin" / "python"), "-c", ATTEMPT,
                        json.dumps([(op, str(path)) for op, path in tries]))
        return json.loads(done.stdout)


def fresh_home(name: str) -> None:
    """An empty home for a test account (left from an earlier run), with the lab settings the tests use and
    JupyterLab exposed to the page (the tests wait on the kernel through window.jupyterapp)."""
    home = Path("~" + name).expanduser()
    shutil.rmtree(home)
    (home / ".jupyter").mkdir(parents=True)
    (home / ".jupyter" / "jupyter_server_config.json").write_text(json.dumps({"LabApp": {"expose_app_in_browser": True}}))
    settings = home / ".jupyter" / "lab" / "user-settings"
    for file, values in LAB_SETTINGS.items():
        (settings / file).parent.mkdir(parents=True, exist_ok=True)
        (settings / file).write_text(json.dumps(values))
    subprocess.run(["chown", "-R", f"{name}:{name}", str(home)], check=True)
    os.chmod(home, 0o700)


def processes_of(users) -> list[psutil.Process]:
    uids = {Path("~" + u).expanduser().stat().st_uid for u in users}
    return [p for p in psutil.process_iter(["uids", "status"])
            if p.info["uids"] and p.info["uids"].real in uids and p.info["status"] != psutil.STATUS_ZOMBIE]


@pytest.fixture(scope="module")
def hub():
    require_chromium()
    if os.geteuid() != 0:
        missing_tool("the hub tests create Linux accounts and need root (make test as root)")
    if not PROXY.exists() or not (HUB_VENV / "installed").exists():
        missing_tool("the hub tests need make hub-install (configurable-http-proxy, the users' environment)")
    root = Path(tempfile.mkdtemp(prefix="cnn-hub-test-", dir="/srv"))
    site = Site(root, HUB_VENV, ACCOUNTS, port=free_port(), hub_port=free_port(), proxy_api_port=free_port())
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        passwords = setup(site, (CNN.id,))
        for account in ACCOUNTS:
            fresh_home(account.name)
        with process.running(site):
            yield Hub(site, passwords)
        leftover = processes_of([a.name for a in ACCOUNTS])
        for proc in leftover:
            proc.kill()
        assert leftover == [], "servers left running after the hub stopped"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def log_in(page, hub: Hub, user: str):
    page.goto(f"{hub.site.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=TIMEOUT)
    page.wait_for_selector(".jp-LabShell", timeout=TIMEOUT)


def nbgrader_menu(page, item: str):
    page.get_by_text("Nbgrader", exact=True).click()
    page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def assignments_list(page, section: str):
    """The rows of one list of the Assignments tab: released, fetched or submitted."""
    page.locator(f"#{section}_assignments_list_loading").wait_for(state="hidden", timeout=TIMEOUT)
    return page.locator(f"#{section}_assignments_list > .list_item")


def shot(page, name: str):
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_student_fetches_solves_validates_and_submits_twice(hub):
    hub.nbgrader(TEACHER, "db", "assignment", "add", CNN.id, "--duedate=2020-01-01 00:00:00 UTC")  # so: late
    hub.nbgrader(TEACHER, "release_assignment", CNN.id)
    with chromium_page() as (page, errors):
        log_in(page, hub, ADA)
        nbgrader_menu(page, "Assignment List")
        released = assignments_list(page, "released")
        expect(released).to_have_count(1, timeout=TIMEOUT)
        shot(page, "1-student-assignments")
        released.first.locator(".item_status button").click()
        fetched = assignments_list(page, "fetched")
        expect(fetched).to_have_count(1, timeout=TIMEOUT)
        fetched.first.locator('.item_status button:text("Submit")').click()  # the stub first: a resubmission follows
        expect(assignments_list(page, "submitted")).to_have_count(1, timeout=TIMEOUT)

        page.goto(f"{hub.site.url}/user/{ADA}/lab/tree/{CNN.id}/{CNN.notebook}.ipynb")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=TIMEOUT)
        page.wait_for_function(KERNEL_READY, timeout=TIMEOUT)
        type_solutions(page, CNN, ADA_WORK)
        save(page)
        page.get_by_role("button", name="Validate").click()
        dialog = page.locator(".jp-Dialog", has_text="Validation Results")
        dialog.wait_for(timeout=TIMEOUT)
        shot(page, "2-student-validate")
        assert "conv2d_naive" in dialog.inner_text() or "failed" in dialog.inner_text().lower(), dialog.inner_text()
        dialog.get_by_role("button").last.click()

        nbgrader_menu(page, "Assignment List")
        fetched = assignments_list(page, "fetched")
        fetched.first.locator('.item_status button:text("Submit")').click()
        submissions = page.locator(f"[id$='-{CNN.id}-submissions'] > .list_item")
        expect(submissions).to_have_count(3, timeout=TIMEOUT)  # a header row and two submissions
        shot(page, "3-student-submitted-twice")
    inbound = hub.site.exchange / layout.course_id(REPO) / "inbound"
    assert len([p for p in inbound.iterdir() if p.name.startswith(ADA + "+")]) == 2


def test_second_student_submits_the_stub(hub):
    with chromium_page() as (page, errors):
        log_in(page, hub, BOB)
        nbgrader_menu(page, "Assignment List")
        released = assignments_list(page, "released")
        released.first.locator(".item_status button").click()
        assignments_list(page, "fetched").first.locator('.item_status button:text("Submit")').click()
        expect(assignments_list(page, "submitted")).to_have_count(1, timeout=TIMEOUT)
        shot(page, "4-second-student-submitted")


def test_instructor_sees_formgrader_collects_grades_and_releases_feedback(hub):
    with chromium_page() as (page, errors):
        log_in(page, hub, TEACHER)
        nbgrader_menu(page, "Formgrader")
        formgrader = page.frame_locator("iframe[src*='formgrader']")
        row = formgrader.locator("tr").filter(has=formgrader.get_by_text(CNN.id, exact=True))
        row.wait_for(timeout=TIMEOUT)  # a blank frame (frame-ancestors 'none') never shows the assignment
        shot(page, "5-instructor-formgrader")
        row.locator(".collect a").click()
        formgrader.get_by_text(f"Successfully collected submissions of '{CNN.id}'").wait_for(timeout=TIMEOUT)
        shot(page, "6-instructor-collected")
        framing = [e for e in errors if "frame-ancestors" in e or "Content Security Policy" in e]
        assert framing == [], framing

        graded = hub.run(TEACHER, "make", "grade", check=False)  # the TA's command on what was collected
        assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
        page.reload()
        nbgrader_menu(page, "Formgrader")
        row = formgrader.locator("tr").filter(has=formgrader.get_by_text(CNN.id, exact=True))
        row.locator(".release-feedback a").click()
        outcome = formgrader.locator("#success-modal, #error-modal")  # nbgrader's answer, with its log on error
        outcome.wait_for(timeout=TIMEOUT)
        assert "Successfully released feedback" in outcome.inner_text(), outcome.inner_text()
        shot(page, "7-instructor-released-feedback")
    course = hub.site.course
    assert sorted(p.name for p in (course / "submitted").iterdir()) == [ADA, BOB]
    with Gradebook(gradebook_url(course)) as gb:
        ada, bob = (gb.find_submission(CNN.id, student) for student in (ADA, BOB))
        assert ada.total_seconds_late > 0  # the due date is in 2020: late, and graded in full ("none")
        assert 0 < ada.score < ada.max_score and bob.score == 0, (ada.score, bob.score)


def test_student_fetches_their_feedback_with_score_and_hint(hub):
    with Gradebook(gradebook_url(hub.site.course)) as gb:
        score, most = gb.find_submission(CNN.id, ADA).score, gb.find_submission(CNN.id, ADA).max_score
    with chromium_page() as (page, errors):
        log_in(page, hub, ADA)
        nbgrader_menu(page, "Assignment List")
        submitted = assignments_list(page, "submitted")
        submitted.first.locator('.item_status button:text("Fetch Feedback")').click()
        feedback_link = submitted.first.locator("a:text('view feedback')")
        feedback_link.wait_for(timeout=TIMEOUT)
        feedback_link.click()  # opens the feedback's folder in the file browser, the HTML file in it
        page.locator(".jp-DirListing-item", has_text=f"{CNN.notebook}.html").dblclick()
        frame = page.frame_locator(".jp-HTMLViewer iframe, iframe[srcdoc]").first
        shown = f"Score: {round(float(score), 2)} / {round(float(most), 2)}"  # the template's float | round(2)
        frame.get_by_text(shown).first.wait_for(timeout=TIMEOUT)
        shot(page, "8-student-feedback")
        text = frame.locator("body").inner_text()
        assert HINT in text, text[-3000:]
    feedback = list(Path("~" + ADA).expanduser().glob(f"{CNN.id}/feedback/*/{CNN.notebook}.html"))
    assert len(feedback) == 1


def test_second_student_cannot_open_the_first_students_work(hub):
    inbound = hub.site.exchange / layout.course_id(REPO) / "inbound"
    ada_submission = next(p for p in inbound.iterdir() if p.name.startswith(ADA + "+"))
    feedback = hub.site.exchange / layout.course_id(REPO) / "feedback"
    ada_home = Path("~" + ADA).expanduser()
    with chromium_page() as (page, errors):
        log_in(page, hub, BOB)
        answer = page.goto(f"{hub.site.url}/user/{ADA}/lab")
        shot(page, "9-second-student-refused")
        assert answer.status == 403 or f"/user/{BOB}/" in page.url, (answer.status, page.url)
        api = page.request.get(f"{hub.site.url}/user/{BOB}/api/contents/..%2F{ADA}%2F{CNN.id}")
        assert api.status in (403, 404), api.status  # the file browser stays inside Bob's home
        page.goto(f"{hub.site.url}/user/{BOB}/lab")
        page.wait_for_selector(".jp-LabShell", timeout=TIMEOUT)
        nbgrader_menu(page, "Assignment List")
        submitted = assignments_list(page, "submitted")
        submitted.first.locator('.item_status button:text("Fetch Feedback")').click()
        submitted.first.locator("a:text('view feedback')").wait_for(timeout=TIMEOUT)
    guessed = inbound / ada_submission.name.rsplit("+", 1)[0]  # the name without nbgrader's random suffix
    got = hub.attempts(BOB, [("list", inbound), ("read", guessed / f"{CNN.notebook}.ipynb"), ("list", feedback),
                             ("list", ada_home), ("read", ada_home / CNN.id / f"{CNN.notebook}.ipynb")])
    assert got == ["EACCES", "ENOENT", "EACCES", "EACCES", "EACCES"], got
    bob_feedback = list(Path("~" + BOB).expanduser().glob(f"{CNN.id}/feedback/*/{CNN.notebook}.html"))
    assert len(bob_feedback) == 1 and HINT not in bob_feedback[0].read_text()  # his own, not Ada's


def test_students_cannot_read_the_course(hub):
    course = hub.site.course
    tries = [("list", course), ("read", course / "gradebook.db"), ("list", course / "source"),
             ("read", CNN.source_notebook(course)), ("read", CNN.source_notebook(REPO)), ("list", REPO),
             ("list", hub.site.state)]
    for student in (ADA, BOB):
        assert hub.attempts(student, tries) == ["EACCES"] * len(tries), student


def test_each_server_runs_as_its_user_on_loopback(hub):
    servers = [p for p in psutil.process_iter(["cmdline", "uids", "environ"])
               if p.info["cmdline"] and any("jupyterhub-singleuser" in part for part in p.info["cmdline"])]
    owners = {p.info["environ"]["JUPYTERHUB_USER"]: p.info["uids"].real for p in servers if p.info["environ"]}
    assert owners == {name: Path("~" + name).expanduser().stat().st_uid for name in (TEACHER, ADA, BOB)}, owners
    hub_tree = [psutil.Process(p.pid) for p in processes_of([a.name for a in ACCOUNTS])]
    ports = {hub.site.port, hub.site.hub_port, hub.site.proxy_api_port}  # the hub's and the proxy's, run as root
    listening = {(c.laddr.ip, c.laddr.port) for c in psutil.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and (c.laddr.port in ports or c.pid in {p.pid for p in hub_tree})}
    assert listening and all(ip == "127.0.0.1" for ip, _ in listening), listening


def test_passwords_are_not_in_the_repository(hub):
    password_file = hub.site.state / "passwords"
    assert os.stat(password_file).st_mode & 0o077 == 0 and os.stat(password_file).st_uid == 0
    assert not password_file.resolve().is_relative_to(REPO)
    for password in hub.passwords.values():
        # -e: a password may begin with "-" (git grep then took it for an option and failed with 129)
        found = subprocess.run(["git", "grep", "-q", "--untracked", "--fixed-strings", "-e", password], cwd=REPO)
        assert found.returncode == 1, ("a password is in the repository" if found.returncode == 0 else
                                       f"git grep failed ({found.returncode})")
