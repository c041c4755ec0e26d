"""The trusted side of a run: what an assignment's checks import.

Everything here runs in the harness process of one submission (a pytest session the
grader starts); nothing here imports student code. Student code runs in the sandbox,
reached through `StudentServer`, `call_client` and `call_function`; the wire is watched by
the grader's own peers (`exchange`, `converse`, `TrustedServer`). docs/new-assignment.md
is the guide to this API; tests/unit/harness/test_harness.py keeps the two in step.

A check fails the student's code with `Check.fail`, or with `StudentFault` where what
the submission did made the check's own code fail; `HarnessError` (and any other
exception) is the grader's fault, which never raises a score (grader/errors.py).
"""

from grader.errors import HarnessError, StudentFault
from grader.harness.conversation import Complete, converse
from grader.harness.diagnosis import HARNESS, Catalogue, Explanation, student_traceback
from grader.harness.evidence import Check
from grader.harness.fixtures.client_side import RunClient, Serve, Served
from grader.harness.fixtures.server_side import RunMemory, Servers, last_words
from grader.harness.idle import IdleCheck, wait_until
from grader.harness.netns import Netns, elsewhere
from grader.harness.peers.client import connect_and_close, exchange
from grader.harness.peers.relay import Relay, Upstream
from grader.harness.peers.servers import Scramble, TrustedServer
from grader.harness.peers.traffic import HOST, Traffic, Waited, Wire
from grader.harness.student.answer import ClientCall, Ended, FunctionCall
from grader.harness.student.calls import call_client, call_function
from grader.harness.student.server import StudentServer, free_port
from grader.model import Hang
from grader.protocol import RunConfig, StagedFunction, StagedServer
from grader.sandbox import Launcher
from grader.sandbox.procfs import listening_ports

__all__ = [
    "HARNESS",
    "HOST",
    "Catalogue",
    "Check",
    "ClientCall",
    "Complete",
    "Ended",
    "Explanation",
    "FunctionCall",
    "Hang",
    "HarnessError",
    "StudentFault",
    "IdleCheck",
    "Launcher",
    "Netns",
    "Relay",
    "RunClient",
    "RunConfig",
    "RunMemory",
    "Scramble",
    "Serve",
    "Served",
    "Servers",
    "StagedFunction",
    "StagedServer",
    "StudentServer",
    "Traffic",
    "TrustedServer",
    "Upstream",
    "Waited",
    "Wire",
    "call_client",
    "call_function",
    "connect_and_close",
    "converse",
    "elsewhere",
    "exchange",
    "free_port",
    "last_words",
    "listening_ports",
    "student_traceback",
    "wait_until",
]
