"""The platforms instructors already use, each a documented file contract:

- `gradescope`: the autograder zip (setup.sh, run_autograder) and the run inside it
  (/autograder/submission -> /autograder/results/results.json);
- `prairielearn`: the external grader's entry point (/grade/student ->
  /grade/results/results.json);
- `lms`: a batch's grades into the instructor's Canvas gradebook export, or a Moodle
  grade-import CSV.

Each reads the grader's own results (a GradeResult, or a batch's output folder) and
renders them through `grader.report` (visibility, escaping); none decides who sees what.
"""
