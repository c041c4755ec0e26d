"""Programs that run in the student's interpreter, inside the sandbox.

Nothing in `grader` imports these modules: the sandbox mounts this folder read-only and
runs each file by path (`python -I -S runner.py ...`), so a student's code and ours
never share a trusted process. They use the standard library only and stay within
Python 3.8 syntax, since a course may grade with an older interpreter (`--python`).
`tests/unit/inside/` imports them directly to unit-test them.
"""
