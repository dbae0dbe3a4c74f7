"""From and to the LMS: submissions collected from a Canvas or Moodle download, grades written for its import.

The course hands assignments out and in through an LMS, not nbgrader's exchange: `collect.py` unpacks the LMS's
"download all submissions" archive into submitted/ with nbgrader's zip_collect, `grades_csv.py` writes the
gradebook's scores as a CSV the LMS's gradebook imports; `naming.py` knows each LMS's file names and `roster.py`
its roster exports, which map the LMS's user ids to the course's student ids; `cli.py` holds the options the two
commands share.
"""
