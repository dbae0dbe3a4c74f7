"""The command-line options the LMS commands share: the course, the LMS, the assignment and the roster."""
import argparse
from pathlib import Path

from coursetools import assignments
from coursetools.lms import naming


def parser(prog: str, description: str, assignment_help: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("course_dir", nargs="?", default=".", type=Path, help="the course folder (default: here)")
    parser.add_argument("--lms", required=True, choices=naming.LMS, help="canvas or moodle")
    parser.add_argument("--assignment", default=assignments.DEFAULT, choices=assignments.ALL,
                        help=f"{assignment_help} (default: {assignments.DEFAULT})")
    parser.add_argument("--roster", type=Path, default=None,
                        help="the LMS's roster export (default: lms/<lms>-roster.csv in the course)")
    return parser


def roster_path(args: argparse.Namespace) -> Path:
    return args.roster or lms_folder(args) / f"{args.lms}-roster.csv"


def lms_folder(args: argparse.Namespace) -> Path:
    """lms/ in the course: the rosters and the grades CSVs (student data, never committed)."""
    return args.course_dir / "lms"
