"""What runs in the student's interpreter before the student's code: the interpreter's
flags, the prelude that gives back what `-S` took, running a script as __main__, and the
portable mode's limits and listening reports. The programs longer than a line are real
files in grader/inside/ (Python 3.8 syntax: they run in whatever interpreter the student
uses), read through importlib.resources."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources

from grader.settings import Limits

# -S skips `site`: no site-packages .pth processing (about 50 ms of every start here, and
# third-party hooks have no business in student processes); -I ignores PYTHON* variables
# and the user's site, and puts neither the current folder nor a script's folder on
# sys.path; -B writes no bytecode; -u keeps output unbuffered so a killed process still
# said it.
PYTHON_FLAGS = ("-I", "-S", "-B", "-u")
# What `site` would have given student code and it commonly uses: exit() and quit(); and
# the submission's folder on sys.path, last, so a student's socket.py or select.py can
# never shadow the standard library while their own modules still import each other.
PRELUDE = (
    "import builtins, os, sys; builtins.exit = builtins.quit = sys.exit; "
    "sys.path.append(os.getcwd())\n"
)
# Run a script as __main__ (what `python SCRIPT` does; runpy costs 10 ms of imports).
RUN_SCRIPT = (
    "sys.argv = sys.argv[1:]; __file__ = sys.argv[0]\n"
    "with open(__file__, 'rb') as _f: _c = compile(_f.read(), __file__, 'exec')\n"
    "del _f; exec(_c)"
)
LISTEN_FILE_ENV = "GRADER_LISTEN_FILE"


def with_prelude(args: Sequence[str], *, first: str = "") -> list[str]:
    """`python -c CODE ...` or `python SCRIPT ...`, with the prelude run first."""
    if args and args[0] == "-c":
        return ["-c", first + PRELUDE + args[1], *args[2:]]
    return ["-c", first + PRELUDE + RUN_SCRIPT, *args]


def portable_prelude(limits: Limits) -> str:
    """The code that sets a portable run's per-process limits and reports listening."""
    rlimits = (
        ("RLIMIT_CPU", limits.cpu_s),
        ("RLIMIT_AS", limits.address_space_bytes),
        ("RLIMIT_FSIZE", limits.file_size_bytes),
        ("RLIMIT_NOFILE", limits.open_files),
        ("RLIMIT_CORE", 0),
    )
    return inside_program("portable.py", call=f"_grader_setup({rlimits!r}); del _grader_setup")


@functools.cache
def _inside_text(name: str) -> str:
    text = resources.files("grader").joinpath("inside", name).read_text(encoding="utf-8")
    if text.startswith('"""'):  # its docstring is for readers, never the student's __doc__
        text = text.split('"""', 2)[2].lstrip("\n")
    return text


def inside_program(name: str, *, call: str) -> str:
    """A grader/inside program (a real file, linted and read like any other), as code for
    `python -c`, followed by the line that calls it."""
    return f"{_inside_text(name)}\n{call}\n"
