"""The gradebook: scores read per part, assignment and course, and a SQLite gradebook shared by concurrent
graders."""
