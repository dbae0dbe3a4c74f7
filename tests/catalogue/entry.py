"""A catalogue entry: one way a student may have written one part; and a bundle of entries of different parts,
the sample student who hands them in together."""
from collections import Counter
from dataclasses import dataclass

from coursetools.assignments import Assignment
from coursetools.assignments.sample import Student


@dataclass(frozen=True)
class Entry:
    name: str
    part: str
    description: str
    hint: str | None = None                      # wrong entries: words of the feedback that name the mistake
    edits: tuple[tuple[str, str], ...] = ()      # text edits of the instructor's solution of `part`
    code: str | None = None                      # or the whole solution cell, written from scratch

    @property
    def wrong(self) -> bool:
        return self.hint is not None

    def student(self, assignment: Assignment) -> Student:
        """The sample student who solved every part of `assignment` with the instructor's solution but this one."""
        return Student(self.name, self.description, assignment.graded_parts,
                       edits=tuple((self.part, old, new) for old, new in self.edits),
                       rewrites=((self.part, self.code),) if self.code else (),
                       written_score=10, loses=(self.part,) if self.wrong else ())


def wrong(name, part, description, hint, *edits, code=None) -> Entry:
    return Entry(name, part, description, hint, tuple(edits), code)


def correct(name, part, description, code) -> Entry:
    return Entry(name, part, description, code=code)



@dataclass(frozen=True)
class Bundle:
    """Entries of different parts in one submission. Every grade cell tests its part alone (the re-verification
    runs the other parts' references, `_grader.grade_alone`), so each entry is judged as if it were handed in on
    its own, at a quarter of the grading work when four share a notebook."""
    name: str
    entries: tuple[Entry, ...]

    def student(self, assignment: Assignment) -> Student:
        students = [entry.student(assignment) for entry in self.entries]
        return Student(self.name, "; ".join(entry.description for entry in self.entries), assignment.graded_parts,
                       edits=sum((s.edits for s in students), ()), rewrites=sum((s.rewrites for s in students), ()),
                       written_score=10, loses=sum((s.loses for s in students), ()))


def bundled(entries, size: int, prefix: str) -> tuple[Bundle, ...]:
    """`entries` dealt into as few bundles of at most `size` as hold no two entries of one part: the entries,
    the largest part's first, go round the bundles in turn, so a part's entries land in different bundles."""
    per_part = Counter(entry.part for entry in entries)
    dealt = sorted(entries, key=lambda entry: (-per_part[entry.part], entry.part))  # a part's entries together
    count = max(-(-len(dealt) // size), *per_part.values())
    return tuple(Bundle(f"{prefix}{i:02d}", tuple(dealt[i::count])) for i in range(count))
