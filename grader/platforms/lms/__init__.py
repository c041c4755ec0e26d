"""A batch's grades into the files an LMS imports: the instructor's own Canvas gradebook
export, filled with this assignment's column, or a Moodle grade-import CSV.

Canvas (lib/gradebook_exporter.rb, lib/gradebook_importer.rb): the export's header is
`Student`, `ID`, optional `SIS User ID`, `SIS Login ID`, `Integration ID`, `Root
Account`, then `Section` (the last student column), then assignment columns titled
`Name (id)` and totals; a row whose first cell holds `Points Possible` gives each
assignment's points; a `Manual Posting` (or `Muted`) row may follow. The importer finds
students by `ID`/SIS columns and assignments by their `(id)`, creates an assignment for
an unknown title, and overwrites a grade whenever a cell differs from Canvas's. So the
file written here keeps only the student columns and this assignment's column: a stale
cell of another assignment can never overwrite a newer grade.

Moodle (grade/import/csv): any CSV; the instructor maps one column to a user field
(email, username, ID number) and the others to a grade item and its feedback. One
unknown user aborts the whole import, so with the participants' list (a Moodle grades
export) only matching rows are written.

Students are matched exactly (Moodle compares emails case-sensitively); whoever matches
nobody, and every roster entry missing from the LMS file, is listed, never dropped.
A grade is left blank (never zero), and listed, where the grader itself failed, in all
or in part (an incomplete result), or could not fetch the submission.

The batch's grades and the file written are in grades.py, Canvas's export in
canvas_csv.py, Moodle's import in moodle_csv.py.
"""

from grader.platforms.lms.canvas_csv import STUDENT_COLUMNS, CanvasExport, canvas, read_canvas
from grader.platforms.lms.grades import BLANK, Export, Grade, read_batch, read_map, write
from grader.platforms.lms.moodle_csv import moodle, read_participants

__all__ = [
    "BLANK",
    "STUDENT_COLUMNS",
    "CanvasExport",
    "Export",
    "Grade",
    "canvas",
    "moodle",
    "read_batch",
    "read_canvas",
    "read_map",
    "read_participants",
    "write",
]
