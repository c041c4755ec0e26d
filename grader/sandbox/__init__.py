"""Run untrusted student code: isolation, limits, capped output, nothing left behind.

`probe()` says what this machine offers; `Policy` is what one submission gets;
`Launcher` starts student processes under it (used inside the trusted harness process).

- `capabilities`: the probe, and why a facility fails here, with the fix;
- `policy`: the policy of one submission (`policy_for`), and the limits it enforces;
- `launch`: the Launcher, and the cleanup after each check and each job;
- `command`: the argv of a student process (cgroups, bubblewrap's mounts, prlimit, setpriv);
- `prelude`: what the student's interpreter runs before the student's code;
- `process`: a running student process, its captured output (`capture`) and its facts;
- `usermode`: Isolation.USER's copy of the submission and its Landlock rules;
- `procfs`, `cgroups`, `private`, `warm`: /proc's facts, cgroups, the grader's files kept
  out of reach, interpreters started ahead of time.
"""

from grader.sandbox.capabilities import Capabilities, netns_command, probe
from grader.sandbox.launch import Launcher, survivors, sweep
from grader.sandbox.policy import Policy, policy_for
from grader.sandbox.process import StudentProcess

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
