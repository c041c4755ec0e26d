"""What runs in the student's interpreter before the student's code: the interpreter's
flags, the prelude that gives back what `-S` took, running a script as __main__, and the
portable mode's limits and listening reports."""

from __future__ import annotations

from collections.abc import Sequence

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
# Without Linux's facilities (macOS, or GRADER_PORTABLE=1) there is no prlimit and no
# /proc: the student's interpreter sets its own limits before any student code runs, and
# says on which ports it listens (the file named by GRADER_LISTEN_FILE), which is how the
# grader finds the port a server really uses. Unsandboxed either way.
PORTABLE_PRELUDE = """\
def _grader_setup(limits):
    import os, socket
    try:
        import resource
    except ImportError:
        resource = None
    for name, value in limits:
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (AttributeError, ValueError, OSError):
            pass
    report = os.environ.pop('GRADER_LISTEN_FILE', '')
    listen = socket.socket.listen
    def reported(self, *args):
        listen(self, *args)
        try:
            with open(report, 'a') as f:
                f.write(str(self.getsockname()[1]) + '\\n')
        except Exception:
            pass
    if report:
        socket.socket.listen = reported
_grader_setup(%r); del _grader_setup
"""
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
    return PORTABLE_PRELUDE % (rlimits,)
