"""Facts about live processes read from /proc: trees, listening ports, CPU time.

Reading /proc instead of asking the student's code is what lets the grader discover the
port a server really listens on (almost every real submission hard-codes 10000 and
ignores the port it is given) and tell a blocked process from a busy one.

Linux only. Without /proc (macOS, or GRADER_PORTABLE=1) nothing here is called:
`StudentProcess` knows it is not observable, and the policy says so. The package still
imports anywhere, so the grader does.

A student's process writes some of what /proc shows (its name, command line and
environment: any bytes at all), so every file is read through `files.text` (bounded,
never strict UTF-8) and every reader returns what it could read, skips what it could
not, and raises nothing but OSError: no name a process gives itself can make the
grader's watching fail. One module per job:

- `files`: PROC, and bounded reading of its files (what every other module reads through);
- `trees`: process trees, CPU time, threads and scheduler states;
- `sockets`: the TCP ports a process tree listens on (netlink), a port's owner;
- `waits`: what a sleeping thread waits in, and whether that wait ends by itself;
- `kills`: the processes of a uid or of a job's marker, killing them, reaping orphans.
"""

from grader.sandbox.procfs.files import MAX_READ, PROC
from grader.sandbox.procfs.kills import (
    adopt_orphans,
    kill_tree,
    kill_uid,
    pids_with_env,
    processes_of,
    reap,
    reap_orphans,
    tasks_of,
)
from grader.sandbox.procfs.sockets import listening_ports, port_owner, socket_inodes
from grader.sandbox.procfs.trees import children, cpu_seconds, states, threads, tree
from grader.sandbox.procfs.waits import Wait, waits

__all__ = [
    "MAX_READ",
    "PROC",
    "Wait",
    "adopt_orphans",
    "children",
    "cpu_seconds",
    "kill_tree",
    "kill_uid",
    "listening_ports",
    "pids_with_env",
    "port_owner",
    "processes_of",
    "reap",
    "reap_orphans",
    "socket_inodes",
    "states",
    "tasks_of",
    "threads",
    "tree",
    "waits",
]
