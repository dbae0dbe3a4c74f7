"""What a student and an instructor see in JupyterLab, checked in a real headless Chromium."""
import re
import shutil

import pytest
from playwright.sync_api import expect

from coursetools.grading import notebook

from conftest import ASSIGNMENTS, CLASS, REPO
from jupyterlab import chromium_page, jupyterlab, nbgrader_errors, require_chromium, screenshot_dir

BUSY = "() => ![...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'))"
# A cell run before the notebook's kernel is connected is silently skipped by JupyterLab, so wait for it.
KERNEL_READY = """() => {
  const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
  return kernel?.connectionStatus === 'connected' && kernel?.status === 'idle';
}"""


@pytest.fixture(scope="module")
def lab(graded_class, tmp_path_factory):
    """JupyterLab on the graded course copy, with a student's working copy of each release (its data files
    included) in student/<assignment>/."""
    require_chromium()
    course, _ = graded_class
    for assignment in ASSIGNMENTS:
        shutil.copytree(assignment.release_notebook(REPO).parent, course / "student" / assignment.id, dirs_exist_ok=True)
    with jupyterlab(course, tmp_path_factory.mktemp("lab")) as server:
        yield server


def open_notebook(page, base, token, path):
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_function(KERNEL_READY)


def run_cells_one_by_one(page):
    """Shift+Enter through the notebook, each code cell run to its execution count, errors or not."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    cells.first.locator(".jp-InputPrompt").click()
    count = cells.count()
    for index in range(count):
        # Shift+Enter on the last cell would append an empty one; Ctrl+Enter runs it in place.
        page.keyboard.press("Shift+Enter" if index < count - 1 else "Control+Enter")
        if "jp-CodeCell" in cells.nth(index).get_attribute("class"):
            expect(cells.nth(index).locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=60_000)


def error_names(page):
    """The exception name of every error output on the page, in order."""
    names = []
    for text in page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts():
        match = re.search(r"^(\w+(?:Error|Exception|Interrupt))\b", text.strip().splitlines()[-1])
        names.append(match.group(1) if match else text.strip().splitlines()[-1])
    return names


def save(page):
    """File → Save Notebook, then wait until the tab no longer shows unsaved changes."""
    page.get_by_text("File", exact=True).click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Save Notebook", exact=True).click()
    page.wait_for_selector(".jp-mod-current.jp-mod-dirty", state="detached")


def type_solutions(page, assignment, student=None):
    """Type a sample student's solution (default: the instructor's) into each solution cell through the editor,
    as a student would."""
    solved = assignment.sample_class.submission(student or assignment.sample_class.FULL_SOLUTION, REPO)
    cells = page.locator(".jp-Notebook .jp-Cell")
    for index, cell in enumerate(solved.cells):
        if notebook.grade_id(cell) not in assignment.graded_parts:
            continue
        target = cells.nth(index)
        target.scroll_into_view_if_needed()
        if cell.cell_type == "markdown":
            target.dblclick()
        target.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(cell.source)
        page.keyboard.press("Escape")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
def test_student_sees_the_stubs_then_validates_a_solution(lab, assignment):
    base, token = lab
    with chromium_page() as (page, console_errors):
        open_notebook(page, base, token, f"student/{assignment.id}/{assignment.notebook}.ipynb")
        run_cells_one_by_one(page)
        stub_errors = error_names(page)
        assert stub_errors and set(stub_errors) == {"NotImplementedError"}, stub_errors

        type_solutions(page, assignment)
        page.get_by_text("Edit", exact=True).click()
        page.get_by_text("Clear Outputs of All Cells").click()  # so that the wait below sees the new run
        save(page)
        page.get_by_text("Kernel", exact=True).click()
        page.get_by_text("Restart Kernel and Run All Cells…").click()
        page.locator(".jp-Dialog").get_by_role("button", name="Confirm Kernel Restart").click()
        page.wait_for_function(BUSY + " && [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                               ".every(p => /\\[\\d+\\]/.test(p.textContent))", timeout=180_000)
        assert error_names(page) == []
        save(page)
        page.get_by_role("button", name="Validate").click()
        dialog = page.locator(".jp-Dialog", has_text="Validation Results")
        dialog.wait_for(timeout=180_000)
        page.screenshot(path=str(screenshot_dir() / f"student-validate-{assignment.id}.png"))
        assert "Success! Your notebook passes all the tests." in dialog.inner_text(), dialog.inner_text()
    assert nbgrader_errors(console_errors) == []


def test_instructor_sees_the_class_in_formgrader_and_opens_feedback(lab):
    base, token = lab
    with chromium_page() as (page, console_errors):
        page.goto(f"{base}/lab?reset&token={token}")
        page.wait_for_selector(".jp-LabShell")
        page.get_by_text("Nbgrader", exact=True).click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Formgrader", exact=True).click()
        formgrader = page.frame_locator("iframe[src*='formgrader']")
        assignment = formgrader.locator("tr").filter(has=formgrader.get_by_text("cnn", exact=True))
        assignment.get_by_role("link", name=str(len(CLASS))).click()  # its number of submissions
        rows = formgrader.locator("tr", has_text="graded")
        rows.first.wait_for()
        table = {row.split("\t")[1]: row.split("\t")[4] for row in rows.all_inner_texts()}
        assert table["full_solution"] == "100 / 100" and table["untouched_stub"] == "0 / 100", table
        assert set(table) == {s.student_id for s in CLASS}
        page.screenshot(path=str(screenshot_dir() / "instructor-formgrader.png"))

        page.goto(f"{base}/lab/tree/feedback/flipped_kernel/cnn/cnn.html?token={token}")
        feedback = page.frame_locator(".jp-HTMLViewer iframe, iframe[srcdoc]").first
        feedback.get_by_text("you computed a true convolution (kernel flipped)").first.wait_for()
        page.screenshot(path=str(screenshot_dir() / "instructor-feedback.png"))
    assert nbgrader_errors(console_errors) == []
