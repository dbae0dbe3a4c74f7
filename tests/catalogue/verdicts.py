"""What the grading made of each catalogue entry, and the catalogue's detection figures."""
import html
import re
from dataclasses import dataclass
from pathlib import Path

from coursetools.gradebook.scores import lost
from coursetools.grading import notebook

from . import Catalogue
from .entry import Entry


ERROR_OUTPUT = re.compile(r'<div class="output_subarea output_text output_error">(.*?)</div>', re.DOTALL)


def visible_text(page: str) -> str:
    """What a reader of an HTML page sees as text: tags dropped (code is split into many spans), entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


CELL = re.compile(r'(?=<div [^>]*\bclass="cell )')  # where each cell of the page begins, whatever its attributes' order
GRADE_ANCHOR = re.compile(r'<a name="(\w+)"></a>')


@dataclass
class Verdicts:
    catalogue: Catalogue
    graded: dict[str, tuple[Path, dict[str, tuple[float, float]]]]  # bundle name -> (course, cell scores)

    def __post_init__(self):
        self.bundle = {entry.name: bundle for bundle in self.catalogue.bundles for entry in bundle.entries}

    def submission(self, entry: Entry, folder: str, suffix: str) -> Path:
        """The file of the student who handed the entry in, in the course's `folder` (feedback, submitted)."""
        a = self.catalogue.assignment
        return self.graded[self.bundle[entry.name].name][0] / folder / self.bundle[entry.name].name / a.id / f"{a.notebook}{suffix}"

    def page(self, entry: Entry) -> str:
        """The HTML of the feedback on the submission that holds the entry."""
        return self.submission(entry, "feedback", ".html").read_text()

    def cells(self, entry: Entry) -> dict[str, tuple[float, float]]:
        """The submission's cell scores but those of the parts that other entries of its bundle stand for."""
        others = {e.part for e in self.bundle[entry.name].entries if e is not entry}
        cells = self.graded[self.bundle[entry.name].name][1]
        return {cell: score for cell, score in cells.items() if self.catalogue.assignment.part_of(cell) not in others}

    def lost_cells(self, entry: Entry) -> set[str]:
        return lost(self.cells(entry))

    def feedback(self, entry: Entry) -> str:
        return visible_text(self.page(entry))

    def messages(self, entry: Entry) -> str:
        """The error messages of its part's grade cells in the feedback page: where a hint must appear (the test
        code shown beside them may quote hint words too, which would prove nothing)."""
        part_of = self.catalogue.assignment.part_of
        sections = [section for section in CELL.split(self.page(entry))
                    if (anchor := GRADE_ANCHOR.search(section)) and part_of(anchor.group(1)) == entry.part]
        return "\n".join(visible_text(error) for section in sections for error in ERROR_OUTPUT.findall(section))

    def own_lines(self, entry: Entry) -> set[str]:
        """The stripped lines of the notebook that handed this entry in: their own code may show."""
        nb = notebook.read(self.submission(entry, "submitted", ".ipynb"))
        return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}

    def caught(self, entry: Entry) -> bool:
        """A wrong entry lost points, and only in grade cells of its own part."""
        cells = self.lost_cells(entry)
        return bool(cells) and {self.catalogue.assignment.part_of(cell) for cell in cells} == {entry.part}

    def summary(self) -> str:
        wrong, correct = self.catalogue.wrong, self.catalogue.correct
        caught = sum(self.caught(entry) for entry in wrong)
        missed = [entry.name for entry in wrong if not self.lost_cells(entry)]
        stray = [entry.name for entry in wrong if self.lost_cells(entry) and not self.caught(entry)]
        named = sum(entry.hint in self.messages(entry) for entry in wrong)
        full = sum(not self.lost_cells(entry) for entry in correct)
        return (f"{self.catalogue.assignment.id}: wrong implementations caught in their own part: "
                f"{caught}/{len(wrong)} (detection rate {caught / len(wrong):.0%}); false negatives (no points lost): "
                f"{len(missed)}{' ' + str(missed) if missed else ''}; points lost in another part: {len(stray)}"
                f"{' ' + str(stray) if stray else ''}\n"
                f"feedback names the mistake: {named}/{len(wrong)}; "
                f"right implementations at full marks: {full}/{len(correct)}")
