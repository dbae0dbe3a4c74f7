"""nbgrader configuration for the CNN module: this directory is the course root."""
import os
import sys
import warnings

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)
from sqlalchemy.exc import SAWarning

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coursetools.gradebook import patient_sqlite  # noqa: E402 (the course root is on the path now)
from coursetools.display.csp import FeedbackExporter  # noqa: E402
from coursetools.display.feedback import HideHiddenTests  # noqa: E402
from coursetools.grading.graded import MarkGraded  # noqa: E402
from coursetools.display.inert import InertOutputs, sanitised_markdown  # noqa: E402
from coursetools.grading.sandbox import SandboxedExecute  # noqa: E402
from coursetools.verification.verify import VerifyScores  # noqa: E402

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "ml-systems-cnn"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# The gradebook: SQLite in gradebook.db here unless GRADEBOOK_URL names another SQLAlchemy database, such as
# postgresql://user:password@host/dbname for a class graded on several machines (see README.md).
if os.environ.get("GRADEBOOK_URL"):
    c.CourseDirectory.db_url = os.environ["GRADEBOOK_URL"]
# `make grade` runs several nbgrader processes at once: on SQLite they queue for the write lock instead of failing.
patient_sqlite.install()
# nbgrader 0.9 on SQLAlchemy 2.0 warns "Object of type <Submitted...> not in session" while it saves submissions;
# the rows it saves are right (the tests check every score), so the warning is only noise in the TA's output.
warnings.filterwarnings("ignore", message="Object of type <Submitted", category=SAWarning)

# Timeouts. On a student's machine (nbgrader validate) 60 s. When grading: the slowest honest cell measured on a
# loaded 2-core machine (load average 7; the catalogue's right entries and the full solution graded two at a time,
# 2026-12-01) took 8.1 s in the kernel and 7.0 s in the verifier; 30 s is almost 4 times that, and a function that
# times out once is not run again (fail fast), in the kernel or in the verifier, so an infinite loop costs one
# timeout in all.
c.Execute.timeout = 60          # nbgrader validate
c.SandboxedExecute.cell_timeout = 30  # autograde
# The figure cells (tagged figure:...) are provided code that draws pictures nobody looks at when grading (the
# sandbox draws nothing) and are never graded: autograde does not run them, which halves a notebook's kernel
# time. Every grade cell is judged outside the kernel anyway (coursetools/verification/verify.py), so no score can change: the
# catalogue's verdicts are taken with this on, benchmarks/class_grading.py compares every honest score with stock
# nbgrader (which runs every cell), and tests/test_grading_mode.py checks that figure cells define nothing later
# cells read.
c.SandboxedExecute.skip_tags = ["figure:"]

# Autograde runs student code in a bubblewrap sandbox with resource limits instead of in nbgrader's own kernel
# (coursetools/grading/sandbox.py) and without the hidden tests, then judges every grade cell outside the student's process
# (coursetools/verification/verify.py), then keeps of its outputs only plain text and checked PNG/JPEG/GIF images, capped
# (coursetools/display/inert.py: nothing a submission prints can run in a TA's browser); the other steps are nbgrader's
# defaults, and the last marks the submission graded (coursetools/grading/graded.py: make grade's progress bar and
# retries read it).
c.Autograde.autograde_preprocessors = [SandboxedExecute, VerifyScores, InertOutputs, IgnorePattern,
                                       ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                       CheckCellMetadata, MarkGraded]

# Every page that shows a submission (the Formgrader builds its HTMLExporter from this file; generate_feedback
# too) is rendered sanitised. sanitize_html is nbconvert's own sanitiser, maintained with nbconvert (bleach
# under it), for outputs; nbgrader's formgrade and feedback templates render markdown without it, so their
# markdown filter is bleach with an allow-list for what markdown makes (coursetools/display/inert.py), and the
# headings' anchor links go (their ids are removed). coursetools/display/csp.py adds a Content-Security-Policy to
# the feedback files here and to the Formgrader's pages in `make lab`.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"strip_files_prefix": sanitised_markdown}
c.HTMLExporter.exclude_anchor_links = True
c.GenerateFeedback.exporter_class = FeedbackExporter

# Instructor-only files never reach release/: nbgrader copies every other file in source/cnn/ to students.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
    "*.py", "*solution*", "*answers*", "instructor*",
]

# Late work: the due date is the assignment's in the gradebook (`nbgrader db assignment add cnn --duedate=...`
# or the Formgrader). "none" grades late work in full and `make report` flags it; "zero" scores it 0.
c.LateSubmissionPlugin.penalty_method = "none"

# A student who deletes a test cell gets it back at grading time instead of silently losing its points.
c.OverwriteCells.add_missing_cells = True

# Feedback shows each test's name, score and message, never the hidden tests' source (nbgrader issue #917).
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
