"""Hostile and broken submissions through the real pipeline (intake, sandboxed autograde, feedback):
each scores what it should, says what happened, and harms nothing and nobody else."""
import csv
import io
import json

import pytest

from coursetools import grade, report

from coursetools.grading import notebook
from coursetools.assignments.cnn import ASSIGNMENT as CNN
from coursetools.gradebook import scores
from coursetools.gradebook.scores import lost
from coursetools.grading import commands

from catalogue.verdicts import visible_text
from hostile import (ATTACKS, BACKPROP_ATTACKS, BACKPROP_HONEST, BP, BOUNDS, FATAL_LOADS, FORGERY, HONEST, HUNG_KERNELS,
                     LEAKS, SANDBOX_CONFIG, UNEARNED, XSS, hidden_lines_in, leaked_text)


def by_name(attack):
    return attack.name


def test_catalogue_has_at_least_three_attacks_of_each_class():
    classes = {"script in a view": XSS, "hidden tests leaked": LEAKS, "sandbox loosened": SANDBOX_CONFIG,
               "results forged": FORGERY, "TA process exhausted": BOUNDS, "points without the work": UNEARNED,
               "one fault costs everything": FATAL_LOADS + HUNG_KERNELS}
    assert {name: len(group) for name, group in classes.items() if len(group) < 3} == {}
    assert len({a.name for a in ATTACKS}) == len(ATTACKS)


def scores_what_it_should(run, attack) -> None:
    parts, written = run.parts[attack.name], attack.assignment.written_answer
    assert lost({p: parts[p] for p in attack.assignment.graded_parts if p != written}) == \
        attack.lost_parts() - {written}, parts
    if attack.loses == "all":
        assert sum(score for score, _ in parts.values()) == 0


def graded_with_a_status_and_feedback(run, attack) -> None:
    status, a = run.status[attack.name], attack.assignment
    assert status.graded and status.max_score == 100, status
    assert attack.status in " ".join([status.reason, *status.incidents]), status
    assert status.sandbox == "bubblewrap", "the sandbox did not start"
    feedback = run.course / "feedback" / attack.name / a.id / f"{a.notebook}.html"
    assert feedback.is_file()
    if attack.status:
        assert attack.status in feedback.read_text(), "the feedback should tell the student what happened"


def honest_scores_kept(run, honest, assignment, graded_course) -> None:
    """The honest students of a hostile batch score what the same submissions score in the sample class."""
    course, written = graded_course[0], assignment.written_answer
    for student in honest:
        class_scores = scores.part_scores(commands.gradebook_url(course), assignment, [student.student_id])
        expected = {p: s for p, s in class_scores[student.student_id].items() if p != written}
        got = {p: s for p, s in run.parts[student.student_id].items() if p != written}
        assert got == expected


@pytest.mark.parametrize("attack", ATTACKS, ids=by_name)
def test_attack_scores_what_it_should(graded_hostile, attack):
    scores_what_it_should(graded_hostile, attack)


@pytest.mark.parametrize("attack", ATTACKS, ids=by_name)
def test_every_submission_is_graded_with_a_status_and_feedback(graded_hostile, attack):
    graded_with_a_status_and_feedback(graded_hostile, attack)


def test_honest_students_in_the_same_batch_keep_their_exact_scores(graded_hostile, graded_course):
    honest_scores_kept(graded_hostile, HONEST, CNN, graded_course)


@pytest.mark.parametrize("attack", BACKPROP_ATTACKS, ids=by_name)
def test_backprop_attack_scores_what_it_should(graded_hostile_backprop, attack):
    scores_what_it_should(graded_hostile_backprop, attack)


@pytest.mark.parametrize("attack", BACKPROP_ATTACKS, ids=by_name)
def test_backprop_submission_is_graded_with_a_status_and_feedback(graded_hostile_backprop, attack):
    graded_with_a_status_and_feedback(graded_hostile_backprop, attack)


def test_backprop_honest_students_keep_their_exact_scores(graded_hostile_backprop, graded_course):
    honest_scores_kept(graded_hostile_backprop, BACKPROP_HONEST, BP, graded_course)


def test_backprop_course_files_and_submissions_are_unchanged(graded_hostile_backprop):
    assert graded_hostile_backprop.snapshot_before == graded_hostile_backprop.snapshot_after


def test_course_files_and_submissions_are_unchanged(graded_hostile):
    assert graded_hostile.snapshot_before == graded_hostile.snapshot_after
    assert not (graded_hostile.course / "planted.txt").exists()


def test_no_process_outlives_the_grading(graded_hostile):
    assert graded_hostile.stray_processes == []


def test_student_code_cannot_see_the_grading_environment(graded_hostile):
    text = (graded_hostile.course / "autograded" / "probes_environment" / CNN.id / f"{CNN.notebook}.ipynb").read_text()
    assert "HOME" in text, "the probe should have printed the environment"
    assert "NBGRADER" not in text and str(graded_hostile.course) not in text


def hidden_lines(course) -> set[str]:
    """Lines of the hidden tests that appear nowhere in the release, not even inside a longer line."""
    release = CNN.release_notebook(course).read_text()
    return {line for line in notebook.lines_only_in_regions(notebook.read(CNN.source_notebook(course)),
                                                            notebook.HIDDEN_MARKERS)
            if json.dumps(line)[1:-1] not in release}


def lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines()}


def autograded(run, student: str):
    return notebook.read(run.course / "autograded" / student / CNN.id / f"{CNN.notebook}.ipynb")


def test_student_code_cannot_reach_the_hidden_tests_source(graded_hostile):
    course = graded_hostile.course
    graded = autograded(graded_hostile, "prints_hidden_tests")
    outputs = [output for cell in graded.cells for output in cell.get("outputs", [])]
    assert "NameError" in {o.get("ename") for o in outputs}, "the attack's _Grader should not exist in the kernel"
    printed = "\n".join(o.get("text", "") for o in outputs)
    feedback = visible_text((course / "feedback" / "prints_hidden_tests" / CNN.id / f"{CNN.notebook}.html").read_text())
    assert not hidden_lines(course) & (lines(printed) | lines(feedback))


@pytest.mark.parametrize("attack", LEAKS, ids=by_name)
def test_encoded_leaks_carry_no_hidden_test(graded_hostile, attack):
    leaked = leaked_text(attack.name, autograded(graded_hostile, attack.name))
    assert "the visible examples pass" in leaked, "the attack should have collected the notebook it ran"
    assert not hidden_lines_in(leaked, hidden_lines(graded_hostile.course))


@pytest.mark.parametrize("attack", SANDBOX_CONFIG, ids=by_name)
def test_the_kernel_keeps_its_limits_after_tampering_and_a_restart(graded_hostile, attack):
    printed = [line.split() for cell in autograded(graded_hostile, attack.name).cells
               for line in notebook.printed_lines(cell) if line.startswith("LIMITS ")]
    assert printed, "the attack should have printed the kernel's limits"
    _, memory, processes, shadowed = printed[-1]
    assert (int(memory), int(processes), shadowed) == (3072 * 2**20, 256, "-")


@pytest.fixture(scope="module")
def hostile_flags(graded_hostile) -> str:
    """report/cnn/flagged.csv of the hostile batch (writing the report must not fail on anything they did)."""
    return (report.write(graded_hostile.course) / CNN.id / "flagged.csv").read_text()


@pytest.mark.parametrize("attack", FORGERY, ids=by_name)
def test_forged_results_reach_neither_the_table_nor_the_report(graded_hostile, hostile_flags, attack):
    table = grade.format_statuses([graded_hostile.status[attack.name]])
    assert "HYPERLINK" not in table and "\x1b" not in table, table
    flags = [row for row in csv.reader(io.StringIO(hostile_flags)) if row[0] == attack.name]
    assert not [cell for row in flags for cell in row if cell[:1] in ("=", "+", "-", "@")], flags


def test_megabytes_of_output_are_cut(graded_hostile):
    path = graded_hostile.course / "autograded" / "prints_megabytes" / CNN.id / f"{CNN.notebook}.ipynb"
    assert path.stat().st_size < 5 * 2**20


def autograded_points(cells) -> float:
    return sum(score for cell, (score, _) in cells.items() if cell != "weight_sharing_answer")


def test_a_killed_run_started_again_grades_everyone_once(interrupted_grading, graded_class):
    run, (_, class_scores) = interrupted_grading, graded_class
    students = set(run.after_restart)
    assert 2 <= run.graded_before_kill < len(students), "the run should have been killed halfway"
    assert sorted(run.submissions) == sorted(students), "each student should have exactly one submission"
    for student, cells in run.after_restart.items():
        same_as = student if student in class_scores else "full_solution"  # studentN hand in the full solution
        assert autograded_points(cells) == autograded_points(class_scores[same_as]), (student, cells)


def test_grading_again_gives_the_same_gradebook(interrupted_grading):
    assert interrupted_grading.after_rerun == interrupted_grading.after_restart


def test_without_the_sandbox_grading_goes_on_and_says_so_loudly(without_sandbox):
    status, output, students = without_sandbox["unsandboxed"]
    assert status == 0 and all(s.graded and s.sandbox == "none" for s in students.values()), students
    assert "WITHOUT the bubblewrap sandbox" in output


def test_a_course_that_requires_the_sandbox_refuses_to_grade_without_it(without_sandbox):
    status, output, students = without_sandbox["refused"]
    assert status == 1 and not any(s.graded for s in students.values()), students
    assert output.count("NOT GRADED") == len(students), output
