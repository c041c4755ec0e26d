"""Restrict file access with Landlock (runs in the student's interpreter before any
student code, where there is no bubblewrap: Isolation.USER).

The grader appends the call with the kernel's ABI and the rules it computed
(grader/sandbox/private.py). Any failure ends the process with status 70 before student
code runs: it never runs unrestricted. Python 3.8 syntax.
"""


def _grader_landlock(abi, rules):  # type: ignore[no-untyped-def]
    import ctypes
    import os
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    handled = (1 << 13) - 1
    if abi >= 2:
        handled |= 1 << 13
    if abi >= 3:
        handled |= 1 << 14
    if abi >= 5:
        handled |= 1 << 15
    attr = ctypes.create_string_buffer(struct.pack("Q", handled))
    fd = libc.syscall(444, attr, 8, 0)  # landlock_create_ruleset
    if fd < 0:
        os.write(2, b"grader: cannot restrict file access (landlock ruleset)\n")
        os._exit(70)
    for path, access in rules:
        try:
            parent = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        rule = ctypes.create_string_buffer(struct.pack("=Qi", access & handled, parent))
        done = libc.syscall(445, fd, 1, rule, 0)  # landlock_add_rule, a path beneath
        os.close(parent)
        if done != 0:
            os.write(2, b"grader: cannot restrict file access (landlock rule)\n")
            os._exit(70)
    # PR_SET_NO_NEW_PRIVS, then landlock_restrict_self
    if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.syscall(446, fd, 0) != 0:
        os.write(2, b"grader: cannot restrict file access (landlock)\n")
        os._exit(70)
    os.close(fd)
