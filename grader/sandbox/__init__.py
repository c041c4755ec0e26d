"""Run untrusted student code: isolation, limits, capped output, nothing left behind.

`probe()` says what this machine offers; `Policy` is what one submission gets;
`Launcher` starts student processes under it (used inside the trusted harness process).
"""

from grader.sandbox.launch import Launcher, StudentProcess, survivors, sweep
from grader.sandbox.policy import Capabilities, Policy, netns_command, policy_for, probe

__all__ = [
    "Capabilities",
    "Launcher",
    "Policy",
    "StudentProcess",
    "netns_command",
    "policy_for",
    "probe",
    "survivors",
    "sweep",
]
