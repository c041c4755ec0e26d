"""Handles on the student's code, as the trusted checks see it.

`StudentServer` (server.py) starts a student's server in the sandbox and finds the port
it really listens on from the kernel. `call_client` and `call_function` (calls.py) run
one function of a student's module in a separate sandboxed interpreter
(grader/inside/runner.py), through the machinery every such call shares (runner.py), and
bring back what it did over a private pipe, read as the student's bytes (answer.py); the
trusted process never imports student code.
"""

from grader.harness.student.answer import Answer, ClientCall, Ended, FunctionCall
from grader.harness.student.calls import call_client, call_function
from grader.harness.student.runner import Ran, run_runner
from grader.harness.student.server import StudentServer, free_port, port_in_use

__all__ = [
    "Answer",
    "ClientCall",
    "Ended",
    "FunctionCall",
    "Ran",
    "StudentServer",
    "call_client",
    "call_function",
    "free_port",
    "port_in_use",
    "run_runner",
]
