"""The portable mode's setup (runs in the student's interpreter before any student code).

Without Linux's facilities (macOS, or GRADER_PORTABLE=1) there is no prlimit and no
/proc: the interpreter sets its own limits, and says on which ports it listens (the file
named by GRADER_LISTEN_FILE), which is how the grader finds the port a server really
uses. The grader appends the call with the limits (grader/sandbox/prelude.py).
Python 3.8 syntax: it runs in whatever interpreter the student uses.
"""


def _grader_setup(limits):  # type: ignore[no-untyped-def]
    import os
    import socket

    try:
        import resource
    except ImportError:
        resource = None  # type: ignore[assignment]
    for name, value in limits:
        try:  # noqa: SIM105 (contextlib is one import more in every student process)
            resource.setrlimit(getattr(resource, name), (value, value))
        except (AttributeError, ValueError, OSError):
            pass
    report = os.environ.pop("GRADER_LISTEN_FILE", "")
    listen = socket.socket.listen

    def reported(self, *args):  # type: ignore[no-untyped-def]
        listen(self, *args)
        try:  # noqa: SIM105 (contextlib is one import more in every student process)
            with open(report, "a") as f:
                f.write(str(self.getsockname()[1]) + "\n")
        except Exception:
            pass

    if report:
        socket.socket.listen = reported  # type: ignore[method-assign]
