"""The visible tests warn before the hidden ones punish: every wrong catalogue entry run through the release's
visible tests (as a student runs them before submitting) should fail at least one of them, and every right entry
should pass them all. One subprocess runs every entry (tests/catalogue/visible.py); no grading is needed."""
import functools

import pytest

import catalogue
from catalogue.visible import EXPECTED_SURPRISES, SECONDS_PER_ENTRY, SUMMARY, Result, program, run, run_entry, summary
from coursetools.assignments.cnn import sample_class

from conftest import ASSIGNMENTS, REPO


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=lambda a: a.id)
def assignment(request):
    return request.param


@functools.cache
def measured(assignment_id: str) -> dict[str, Result]:
    return {r.name: r for r in run(assignment_id)}


@pytest.fixture(scope="module")
def results(request, assignment) -> dict[str, Result]:
    found = measured(assignment.id)
    request.config.stash.setdefault(SUMMARY, {})[assignment.id] = summary(assignment.id, list(found.values()))
    return found


def test_every_entry_and_the_solution_ran(results, assignment):
    assert set(results) == {e.name for e in catalogue.of(assignment.id).entries} | {"full_solution"}


def test_right_entries_pass_every_visible_test(results):
    failing = {name: r.failed for name, r in results.items() if not r.wrong and r.failed}
    assert not failing, failing


def test_visible_tests_catch_nine_in_ten_wrong_entries(results, assignment, capsys):
    line = summary(assignment.id, list(results.values()))
    with capsys.disabled():
        print(f"\n{line}")
    surprises = {name for name, r in results.items() if r.wrong and not r.caught}
    assert len(surprises) <= 0.1 * len(catalogue.of(assignment.id).wrong), line
    assert surprises == set(EXPECTED_SURPRISES[assignment.id]), \
        f"wrong entries that pass every visible test should be named in EXPECTED_SURPRISES, with why: {line}"


def test_wrong_entries_are_first_warned_in_their_own_part(results, assignment):
    own = {e.name: e.part for e in catalogue.of(assignment.id).wrong}
    stray = {name: sorted(r.failed) for name, r in results.items()
             if r.wrong and r.caught and assignment.part_of(next(iter(r.failed))) != own[name]}
    assert not stray, f"first warned by another part's visible tests: {stray}"


def test_the_two_surprises_of_issue_11_are_caught():
    results = measured("cnn")
    for name in ("naive_zeros_like_image", "conv_int_stride_padding_only"):
        assert results[name].caught, f"{name} passes every visible test"


def test_a_visible_test_that_raises_is_a_failure_and_a_hang_is_cut_off(monkeypatch):
    steps = program(sample_class.submission(sample_class.FULL_SOLUTION, REPO))
    assert run_entry(steps) == {}
    broken = [(gid, code.replace('print("pad2d: the visible examples pass.")', "raise ValueError('broken')"))
              for gid, code in steps]
    assert run_entry(broken) == {"test_pad2d": "ValueError: broken"}
    twice = [(gid, code + "\nraise ValueError('again')" if gid == "test_max_pool2d" else code) for gid, code in broken]
    assert list(run_entry(twice)) == ["test_pad2d", "test_max_pool2d"]
    assert list(run_entry(twice, first_only=True)) == ["test_pad2d"]
    warns = [(gid, code + "\nnp.log(np.zeros(1))" if gid == "test_pad2d" else code) for gid, code in steps]
    assert run_entry(warns)["test_pad2d"].startswith("stderr: RuntimeWarning")
    monkeypatch.setattr("catalogue.visible.SECONDS_PER_ENTRY", 1)
    hung = [(None, "while True:\n    pass")] + steps
    assert run_entry(hung) == {"(timeout)": "the notebook did not finish in 1 s"}
    assert SECONDS_PER_ENTRY >= 10


def test_the_measure_runs_the_release_without_hidden_tests_or_figures():
    steps = program(sample_class.submission(sample_class.FULL_SOLUTION, REPO))
    code = "\n".join(code for _, code in steps)
    assert "_grader" not in code and "BEGIN HIDDEN TESTS" not in code
    assert "show_sliding_window(X, K)" not in code and "plt.imread" not in code, "figure code should be skipped"
    assert "X = np.array(" in code, "the worked example's X, which the visible tests read, should be kept"
