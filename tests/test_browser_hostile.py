"""No submission content runs in a TA's or a student's browser, checked in a real headless Chromium.

The `XSS` attacks of tests/hostile.py (script in the written answer, in HTML, Javascript, SVG and Markdown
outputs, in a javascript: link, in image metadata) are graded through the real pipeline in the hostile batch
(tests/hostile.py); then the TA opens each one's Formgrader page in JupyterLab (with the course's CSP extension,
as `make lab` runs it) and each feedback file straight from disk. Any sign of a payload having run fails the test: a request
that is not one of the page's own (every payload fetches /api/contents?pwned=<name>), a console message, the
page's title or `window.__pwned`. Grading still works on those pages: a score and a comment are saved.
"""
import json
import re
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from coursetools.grading import commands
from coursetools.assignments.cnn import ASSIGNMENT as CNN

from hostile import XSS, XSS_LINK
from jupyterlab import chromium_page, jupyterlab, require_chromium, screenshot_dir

SIGNS = """() => ({title: document.title, pwned: window.__pwned === undefined ? null : String(window.__pwned)})"""


@pytest.fixture(scope="module")
def hostile_lab(graded_hostile, tmp_path_factory):
    """(course, base URL, token, {student: submission id}) of the graded XSS attacks served by JupyterLab."""
    require_chromium()
    course = graded_hostile.course
    with Gradebook(commands.gradebook_url(course)) as gb:
        ids = {a.name: gb.find_submission_notebook(CNN.notebook, CNN.id, a.name).id for a in XSS}
    with jupyterlab(course, tmp_path_factory.mktemp("lab")) as (base, token):
        yield course, base, token, ids


def watch(page) -> dict:
    """Everything the page requests and logs from now on: {"requests": [...], "blocked": [requests the
    Content-Security-Policy stopped before they left], "console": [...]}."""
    seen = {"requests": [], "blocked": [], "console": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("requestfailed", lambda request: seen["blocked"].append(request.url) if request.failure == "csp" else None)
    page.on("console", lambda message: seen["console"].append(message.text))
    return seen


def forget(seen: dict) -> None:
    """Start watching a new page."""
    for kind in seen.values():
        kind.clear()


def look(page, seen: dict, own: re.Pattern) -> list[str]:
    """Let the page settle, click the link a payload hides behind, and list every sign of script having run:
    a request for `pwned` (blocked or not: the script ran), a request that left for anywhere but the page's
    own files (`own`), a console message, the title, the global."""
    page.wait_for_load_state("networkidle", timeout=240_000)  # make test loads the machine heavily
    for link in page.get_by_text(XSS_LINK).all():
        link.click(force=True, no_wait_after=True)
    page.wait_for_timeout(1000)
    signs = page.evaluate(SIGNS)
    left = [url for url in seen["requests"] if url not in seen["blocked"] and not own.match(url)]
    return ([f"request {url}" for url in seen["requests"] if "pwned" in url or url in left] +
            [f"console {text}" for text in seen["console"] if "pwned" in text] +
            [f"title {signs['title']}"] * signs["title"].startswith("pwned") +
            [f"window.__pwned = {signs['pwned']}"] * (signs["pwned"] is not None))


def formgrader_signs(base: str, token: str, ids: dict, shots: dict) -> dict:
    """{attack: signs of script} on each attack's Formgrader page; saves `shots` ({attack: (file name, CSS
    selector of what to show)})."""
    # The page's own requests: itself, the Formgrader's static files and fonts, its grading API.
    own = re.compile(re.escape(base) + r"/formgrader/(submissions/[^/]+/?(\?.*)?|static/|fonts/|api/)")
    found = {}
    with chromium_page() as (page, _):
        seen = watch(page)
        page.goto(f"{base}/formgrader?token={token}")  # the token's cookie, before any submission page
        for name, submission in ids.items():
            forget(seen)
            page.goto(f"{base}/formgrader/submissions/{submission}/")
            found[name] = look(page, seen, own)
            if name in shots:
                shot, selector = shots[name]
                page.locator(selector).last.scroll_into_view_if_needed()
                page.screenshot(path=str(screenshot_dir() / shot))
    return found


def feedback_signs(course: Path, shots: dict) -> dict:
    """{attack: signs of script} in each attack's feedback HTML opened from disk, as a student would."""
    found = {}
    with chromium_page() as (page, _):
        seen = watch(page)
        for attack in XSS:
            forget(seen)
            path = course / "feedback" / attack.name / CNN.id / f"{CNN.notebook}.html"
            page.goto(path.as_uri())
            found[attack.name] = look(page, seen, re.compile(re.escape(path.as_uri()) + "$|data:"))
            if attack.name in shots:
                page.locator(f".nbgrader_cell:has(a[name={CNN.written_answer}])").scroll_into_view_if_needed()
                page.screenshot(path=str(screenshot_dir() / shots[attack.name]))
    return found


def test_no_payload_runs_in_the_formgrader(hostile_lab):
    course, base, token, ids = hostile_lab
    found = formgrader_signs(base, token, ids, {
        "xss_markdown_answer": ("formgrader-hostile.png", f".nbgrader_cell:has(#{CNN.written_answer})"),
        "xss_image_metadata": ("formgrader-hostile-image.png", ".output_png")})
    assert found == {name: [] for name in ids}


def test_no_payload_runs_in_the_feedback(hostile_lab):
    course, *_ = hostile_lab
    found = feedback_signs(course, {"xss_markdown_answer": "feedback-hostile.png"})
    assert found == {attack.name: [] for attack in XSS}


def saved(model: str):
    """Matches the Formgrader's PUT of one grade or comment (its Backbone models save on each input's change)."""
    return lambda response: f"/api/{model}/" in response.url and response.request.method == "PUT"


def test_the_formgrader_shows_the_answer_and_the_image_and_still_saves_grades(hostile_lab):
    course, base, token, ids = hostile_lab
    with chromium_page() as (page, errors):
        page.goto(f"{base}/formgrader?token={token}")  # as in formgrader_signs: the login cookie first
        page.goto(f"{base}/formgrader/submissions/{ids['xss_markdown_answer']}/")
        answer = page.locator(".nbgrader_cell", has=page.locator(f"#{CNN.written_answer}"))
        assert "4,923,520" in answer.inner_text() and answer.locator("img[onerror], img[src='x']").count() == 0
        page.wait_for_function("window.formgrader && formgrader.loaded")  # the inputs' save handlers are bound
        with page.expect_response(saved("grade")) as grade_put, page.expect_response(saved("comment")) as comment_put:
            page.locator(f"#{CNN.written_answer}").fill("7")
            page.locator(f"#{CNN.written_answer}-comment").fill("Right counts; the image tag does nothing here.")
            page.locator(f"#{CNN.written_answer}").focus()  # leaving each box saves it
        assert grade_put.value.ok and comment_put.value.ok, (grade_put.value.status, comment_put.value.status)
        page.goto(f"{base}/formgrader/submissions/{ids['xss_image_metadata']}/")
        image = page.locator(".output_png img[src^='data:image/png;base64,']")
        assert image.count() == 1 and image.evaluate("img => img.naturalWidth") == 64
        page.locator("span.glyphicon-eye-open").click()  # an onclick handler of the page's own, allowed by hash
        assert page.locator("a.name-shown").first.is_visible()
        assert page.evaluate("formgrader.loaded"), "formgrade.js did not finish setting up (keyboard shortcuts)"
        own_blocked = re.compile(r"Executing inline|Loading the script '" + re.escape(base) + "|page error")
        assert [e for e in errors if own_blocked.match(e)] == [], "the policy broke the page's own scripts"
    with Gradebook(commands.gradebook_url(course)) as gb:
        grade = gb.find_grade(CNN.written_answer, CNN.notebook, CNN.id, "xss_markdown_answer")
        comment = gb.find_comment(CNN.written_answer, CNN.notebook, CNN.id, "xss_markdown_answer")
        assert (grade.manual_score, comment.manual_comment) == (7, "Right counts; the image tag does nothing here.")


def test_autograded_notebooks_keep_no_active_output(hostile_lab):
    course, *_ = hostile_lab
    for attack in XSS:
        nb = json.loads((course / "autograded" / attack.name / CNN.id / f"{CNN.notebook}.ipynb").read_text())
        mimes = {mime for cell in nb["cells"] for output in cell.get("outputs", []) for mime in output.get("data", {})}
        assert mimes <= {"text/plain", "image/png", "image/jpeg", "image/gif"}, attack.name
