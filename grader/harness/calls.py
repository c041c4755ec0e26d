"""Call any function of a student's module in the sandbox and observe what it did.

For tasks beyond `client()` (the optional port-services function): the function runs in
its own sandboxed interpreter, called with JSON arguments; its return value comes back
as a repr, what it printed during the call is captured, and every port it asked
`socket.getservbyport` about is recorded (so "did it reject an invalid port, or pass it
on?" is an observation, not a guess). As with `client()`, the trusted process never
imports student code: the answer travels on a private pipe and is parsed strictly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from grader.harness.student import Answer, run_runner, runner_script
from grader.sandbox import Launcher

MAX_TEXT = 20_000  # the runner keeps this much of the value and of the printed text

# Runs inside the sandbox as `python -c FUNCTION_RUNNER RESULT_FD MODULE_FILE`; stdlib only.
FUNCTION_RUNNER = runner_script(
    setup=(
        "MAX = 20000\n"
        "asked = []\n"
        "_real = socket.getservbyport\n"
        "def _watched(port, *rest):\n"
        "    if len(asked) < 5000:\n"
        "        ok = isinstance(port, int) and not isinstance(port, bool)\n"
        "        asked.append(port if ok else repr(port))\n"
        "    return _real(port, *rest)\n"
        "socket.getservbyport = _watched\n"
        "class Capped(io.StringIO):\n"
        "    def write(self, text):\n"
        "        if self.tell() < MAX:\n"
        "            return super().write(text[:MAX])\n"
        "        return len(text)\n"
        "printed = Capped()\n"
    ),
    call=(
        "with contextlib.redirect_stdout(printed):\n"
        "    value = function(*req['args'])\n"
        "result['type'] = type(value).__name__\n"
        "result['repr'] = repr(value)[:MAX]\n"
    ),
    finish=(
        "result['printed'] = printed.getvalue()[:MAX]\n"
        "result['asked'] = asked[:200]\n"
        "result['asked_invalid'] = [p for p in asked\n"
        "                           if not (isinstance(p, int) and 0 <= p <= 65535)][:20]\n"
        "result['asked_count'] = len(asked)\n"
    ),
)


@dataclass
class FunctionCall(Answer):
    """What one call of a student's function did."""

    value_repr: str = ""
    value_type: str = ""
    printed: str = ""
    asked: list[Any] = field(default_factory=list)  # ports passed to getservbyport
    asked_invalid: list[Any] = field(default_factory=list)
    asked_count: int = 0

    @property
    def said(self) -> str:
        """Everything the function reported: its return value and what it printed."""
        return f"{self.value_repr}\n{self.printed}"


def call_function(
    launcher: Launcher,
    filename: str,
    function: str,
    args: list[Any],
    *,
    timeout_s: float,
    quiescence_s: float = 0.5,
) -> FunctionCall:
    """Run `function(*args)` from the staged file in the sandbox; a call that sits idle
    (no CPU) for `quiescence_s` is declared blocked, one that keeps running times out."""
    request = json.dumps({"function": function, "args": args}) + "\n"
    ran = run_runner(
        launcher,
        FUNCTION_RUNNER,
        filename,
        request,
        name=f"your {function}()",
        timeout_s=timeout_s,
        quiescence_s=quiescence_s,
        # nothing on the wire to wait for: idle for a whole window is stuck
        blocked=lambda idle, _now, _start: idle(),
    )
    call = FunctionCall(ran.ended or "returned", ran.elapsed_s, outputs=ran.outputs)
    if not ran.ended:
        _parse(ran.raw, call, ran.proc.returncode)
    return call


def _parse(raw: bytes, call: FunctionCall, code: int | None) -> None:
    data = call.read(raw, code, "the function")
    if data is None:
        return
    call.printed = str(data.get("printed", ""))[:MAX_TEXT]
    call.asked = _list(data.get("asked"))
    call.asked_invalid = _list(data.get("asked_invalid"))
    count = data.get("asked_count")
    call.asked_count = count if isinstance(count, int) else len(call.asked)
    if call.ended == "returned":
        call.value_type = str(data.get("type", ""))
        call.value_repr = str(data.get("repr", ""))[:MAX_TEXT]


def _list(value: object) -> list[Any]:
    return [v for v in value if isinstance(v, int | str)] if isinstance(value, list) else []
