"""Ctrl-C, remembered. Python turns it into KeyboardInterrupt wherever the main thread
happens to be; when that is a finalizer or a library's cleanup, Python swallows it
("Exception ignored") and the run would end as if nobody had pressed it (exit 0). The
command remembers the key instead, and exits 130 with one sentence whatever swallowed it."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from grader.errors import ExitCode

SENTENCE = "grade: interrupted."


def remembered(command: Callable[[], int]) -> int:
    """Run `command`; 130 if Ctrl-C was pressed meanwhile, however it ended."""
    if threading.current_thread() is not threading.main_thread():
        return command()  # signals reach the main thread only
    pressed = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        pressed.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    hook = sys.unraisablehook
    sys.unraisablehook = lambda u: None if isinstance(u.exc_value, KeyboardInterrupt) else hook(u)
    try:
        code = command()
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook
    if pressed.is_set() and code != ExitCode.INTERRUPTED:
        print(SENTENCE, file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    return code
