"""Grading on a Dask cluster: a real scheduler and two workers on loopback, one of them killed mid-task."""


def test_a_class_graded_on_dask_gets_the_scores_of_a_local_run(graded_on_dask, gradings):
    run, (_, local) = graded_on_dask, gradings["class"].result()
    assert run.status == 0, run.output
    assert run.scores == {student: local[student] for student in run.scores}


def test_a_killed_worker_loses_nothing_and_nobody_is_graded_twice(graded_on_dask, gradings):
    run, (_, local) = graded_on_dask, gradings["class"].result()
    assert run.killed_while, "the worker should have been killed while grading"
    assert all(run.scores[student] == local[student] for student in run.killed_while), run.output
    assert not run.survivors, "the nbgrader the killed worker started should have died with it"
    assert sorted(run.submissions) == sorted(run.scores), "each student should have exactly one submission"
