"""The grading engine for any assignment: intake, the sandboxed execution, scheduling, the graded mark, and
running nbgrader (it takes an `Assignment` or an assignment id and names none)."""
