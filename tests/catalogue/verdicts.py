"""What the grading made of each catalogue entry, and the catalogue's detection figures."""
import html
import re
from dataclasses import dataclass
from pathlib import Path

from coursetools import notebook
from coursetools.assignment import ASSIGNMENT, NOTEBOOK, part_of
from coursetools.scores import lost

from . import CORRECT, WRONG
from .entry import Entry


ERROR_OUTPUT = re.compile(r'<div class="output_subarea output_text output_error">(.*?)</div>', re.DOTALL)


def visible_text(page: str) -> str:
    """What a reader of an HTML page sees as text: tags dropped (code is split into many spans), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@dataclass
class Verdicts:
    graded: dict[str, tuple[Path, dict[str, tuple[float, float]]]]  # entry name -> (course, cell scores)

    def lost_cells(self, entry: Entry) -> set[str]:
        return lost(self.graded[entry.name][1])

    def feedback(self, entry: Entry) -> str:
        course = self.graded[entry.name][0]
        return visible_text((course / "feedback" / entry.name / ASSIGNMENT / f"{NOTEBOOK}.html").read_text())

    def messages(self, entry: Entry) -> str:
        """The error messages of its feedback page: where a hint must appear (the test code shown beside them
        may quote hint words too, which would prove nothing)."""
        course = self.graded[entry.name][0]
        page = (course / "feedback" / entry.name / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
        return "\n".join(visible_text(error) for error in ERROR_OUTPUT.findall(page))

    def own_lines(self, entry: Entry) -> set[str]:
        """The stripped lines of the notebook this entry's student handed in: their own code may show."""
        course = self.graded[entry.name][0]
        nb = notebook.read(course / "submitted" / entry.name / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
        return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}

    def caught(self, entry: Entry) -> bool:
        """A wrong entry lost points, and only in grade cells of its own part."""
        cells = self.lost_cells(entry)
        return bool(cells) and {part_of(cell) for cell in cells} == {entry.part}

    def summary(self) -> str:
        caught = sum(self.caught(entry) for entry in WRONG)
        missed = [entry.name for entry in WRONG if not self.lost_cells(entry)]
        stray = [entry.name for entry in WRONG if self.lost_cells(entry) and not self.caught(entry)]
        named = sum(entry.hint in self.messages(entry) for entry in WRONG)
        full = sum(not self.lost_cells(entry) for entry in CORRECT)
        return (f"wrong implementations caught in their own part: {caught}/{len(WRONG)} "
                f"(detection rate {caught / len(WRONG):.0%}); false negatives (no points lost): {len(missed)}"
                f"{' ' + str(missed) if missed else ''}; points lost in another part: {len(stray)}"
                f"{' ' + str(stray) if stray else ''}\n"
                f"feedback names the mistake: {named}/{len(WRONG)}; "
                f"right implementations at full marks: {full}/{len(CORRECT)}")
