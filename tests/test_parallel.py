"""make grade's safety net for parallel grading: whatever the batch left ungraded is graded again on its own."""
from pathlib import Path

from coursetools import cycle, grade

from coursetools.assignments.cnn import sample_class

from coursetools.gradebook import scores

from coursetools.grading import commands, parallel
from coursetools.assignments.cnn import ASSIGNMENT as CNN

REPO = Path(__file__).resolve().parents[1]


def test_students_a_lost_batch_left_ungraded_are_graded_again_on_their_own(tmp_path, monkeypatch):
    course = commands.copy_course(REPO, tmp_path / "course")
    commands.nbgrader(course, "generate_assignment", CNN.id, "--force")
    students = (sample_class.FULL_SOLUTION, sample_class.SAMPLE_CLASS[-1])
    sample_class.build(course, students)
    cycle.register(course, [s.student_id for s in students])
    monkeypatch.setattr(parallel, "autograde", lambda *args, **kwargs: None)  # every chunk's nbgrader lost
    intakes = grade.autograde(course, CNN)
    assert [taken.status for taken in intakes] == ["ok", "ok"], "graded again as handed in, not as the release"
    assert all(row.graded for row in grade.statuses(course, CNN, intakes))
    table = scores.part_scores(commands.gradebook_url(course), CNN, [s.student_id for s in students])
    for student in students:
        lost = {part for part in CNN.parts if table[student.student_id][part][0] < table[student.student_id][part][1]}
        assert lost == set(student.loses) & set(CNN.parts), (student.student_id, table[student.student_id])
