"""Grading on a Dask cluster: a real scheduler and two workers on loopback, one of them killed mid-task."""
from coursetools.assignments.cnn import ASSIGNMENT as CNN


def autograded(table: dict) -> dict:
    """{student: {grade cell: (score, max)}} without the written answer, which the TA grades by hand."""
    return {student: {cell: value for cell, value in cells.items() if cell != CNN.written_answer}
            for student, cells in table.items()}


def test_a_class_graded_on_dask_gets_the_scores_of_a_local_run(graded_on_dask, class_cells):
    run, local = graded_on_dask, class_cells
    assert run.status == 0, run.output
    assert autograded(run.scores) == autograded({student: local[student] for student in run.scores})
    assert "autograde: 100%" in run.output and f"{len(run.scores)}/{len(run.scores)} [" in run.output, \
        "a progress bar with counts should have reached the end"


def test_a_killed_worker_loses_nothing_and_nobody_is_graded_twice(graded_on_dask, class_cells):
    run, local = graded_on_dask, class_cells
    assert run.killed_while, "the worker should have been killed while grading"
    killed = {student: run.scores[student] for student in run.killed_while}
    assert autograded(killed) == autograded({student: local[student] for student in killed}), run.output
    assert not run.survivors, "the nbgrader the killed worker started should have died with it"
    assert sorted(run.submissions) == sorted(run.scores), "each student should have exactly one submission"
