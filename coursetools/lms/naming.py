"""How Canvas and Moodle name the files of a "download all submissions" archive.

Canvas (Assignments → Download Submissions) names each file `<lastfirst>_<late_>?<user id>_<file id>_<name>`:
the student's name lowercased without spaces, `late_` if it came after the due date, the Canvas user id (the ID
column of the gradebook export) and a number of the upload, then the file's name, which Canvas suffixes `-1`,
`-2` when a student uploads the same name again (as described by tools that sort these downloads:
https://github.com/TimHanneman/Canvas_submission_sort, https://github.com/mikewesthad/canvas-unzipper).

Moodle (Assignment → View all submissions → Download all submissions) names each file
`<Full Name>_<participant id>_assignsubmission_file_<name>`, or since Moodle 3.1 by default puts it in a folder
`<Full Name>_<participant id>_assignsubmission_file/` under the path the student gave it; the participant id is
the assignment's own (the grading worksheet's "Participant <id>"), and `_` in names becomes a space
(`download_submissions` in https://github.com/moodle/moodle/blob/main/mod/assign/locallib.php).
"""
import re
from dataclasses import dataclass

CANVAS = re.compile(r"(?P<name>[^_/]+)_(?:(?P<late>late)_)?(?P<user_id>\d+)_(?P<file_id>\d+)_(?P<file>[^/]+)")
MOODLE = re.compile(r"(?P<name>[^_/]+)_(?P<user_id>\d+)_assignsubmission_file(?:_(?P<file>[^/]+)|/(?P<path>.+))")
SCHEMES = {"canvas": CANVAS, "moodle": MOODLE}
LMS = tuple(SCHEMES)


@dataclass(frozen=True)
class Named:
    """What an LMS's file name says: whose file it is and the name the student gave it."""
    user_id: str   # the LMS's id of the student (Canvas user id, Moodle participant id)
    name: str      # the student's name as the LMS wrote it
    file: str      # the file's own name (Moodle: with the student's folders)
    late: bool     # Canvas marks files handed in after the due date


def parse(lms: str, path: str) -> Named | None:
    """What `path` (a member of the archive, with any folders around it) says under `lms`'s naming scheme; None
    for a file the LMS did not name (a TA's README beside the submissions)."""
    for start in [0] + [m.end() for m in re.finditer("/", path)]:
        if found := SCHEMES[lms].fullmatch(path, start):
            late = bool(found.groupdict().get("late"))
            return Named(found["user_id"], found["name"], found["file"] or found["path"], late)
    return None


def is_notebook_named(file: str, notebook: str) -> bool:
    """True for the assignment's notebook under the names LMSs and browsers give copies of it: `cnn.ipynb`,
    `cnn-1.ipynb` (Canvas's resubmission), `cnn (2).ipynb`, `cnn_1.ipynb`, in any folder."""
    return re.fullmatch(rf"(?:.*/)?{re.escape(notebook)}(?:[-_]\d+| ?\(\d+\))?\.ipynb", file) is not None
