"""Ctrl-C exits 130 even when what was running swallowed the KeyboardInterrupt (a
finalizer, a library's cleanup): the run never ends as if nobody had pressed it."""

from __future__ import annotations

import os
import signal

import pytest

from grader.cli import interrupt


def test_a_swallowed_interrupt_still_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    def swallowing() -> int:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            signal.sigtimedwait([], 0)  # gives the handler its chance, as any bytecode would
        except KeyboardInterrupt:
            pass  # what a finalizer's "Exception ignored" amounts to
        return 0

    assert interrupt.remembered(swallowing) == 130
    assert capsys.readouterr().err.strip() == interrupt.SENTENCE


def test_no_interrupt_keeps_the_commands_exit_code() -> None:
    before = signal.getsignal(signal.SIGINT)
    assert interrupt.remembered(lambda: 3) == 3
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back
