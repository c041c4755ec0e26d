"""A warm student interpreter's wait for its work (runs after the launcher's prelude).

It imports what every program imports, then reads one line of hex fields on stdin: "1"
to keep the answer pipe (fd sys.argv[1]) or "0" to close it, the number of environment
pairs, the pairs, then the argv of the script; an empty line ends it. It leaves sys.argv
as `-c SCRIPT ARGS...`, for the prelude's RUN_SCRIPT. The grader appends the call
(grader/sandbox/warm.py). Python 3.8 syntax.
"""

import os
import socket  # noqa: F401  (loaded before the student's code needs it)
import sys


def _grader_wait():  # type: ignore[no-untyped-def]
    fields = [
        bytes.fromhex(f).decode("utf-8", "surrogateescape") for f in sys.stdin.readline().split()
    ]
    if not fields:
        os._exit(0)
    keep, pairs = fields[0] == "1", int(fields[1])
    if not keep:
        os.close(int(sys.argv[1]))
    for i in range(pairs):
        os.environ[fields[2 + 2 * i]] = fields[3 + 2 * i]
    sys.argv = ["-c"] + fields[2 + 2 * pairs :]
