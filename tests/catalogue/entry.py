"""A catalogue entry: one way a student may have written one part, and the student who hands it in."""
from dataclasses import dataclass

from coursetools.sample_class import ALL, Student


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

    def student(self) -> Student:
        return Student(self.name, self.description, ALL,
                       edits=tuple((self.part, old, new) for old, new in self.edits),
                       rewrites=((self.part, self.code),) if self.code else (),
                       written_score=10, loses=(self.part,) if self.wrong else ())


def wrong(name, part, description, hint, *edits, code=None) -> Entry:
    return Entry(name, part, description, hint, tuple(edits), code)


def correct(name, part, description, code) -> Entry:
    return Entry(name, part, description, code=code)

