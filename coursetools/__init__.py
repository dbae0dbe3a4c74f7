"""Course tooling for the CNN module.

The commands on top (grade.py, cycle.py, report.py) run on any assignment of the course:
- assignments/: each assignment's contract and sample class (assignments/<id>/), and what they share;
- grading/: the engine (intake, sandbox, scheduling, nbgrader runs) — it names no assignment;
- verification/: re-verification of every grade cell outside the student's process;
- display/: feedback, inert outputs, CSP and safe text: what people's browsers and terminals show;
- gradebook/: scores from the gradebook and a SQLite gradebook for concurrent graders.
"""
