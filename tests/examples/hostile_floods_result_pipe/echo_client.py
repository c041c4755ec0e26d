# HOSTILE: client() writes 768 MiB into the grader's private answer pipe (its number is
# the runner's first argument), to make the trusted harness hold it all and overrun
# the check's time limit.
import os
import sys


def client(msg, log_buffer=sys.stderr):
    fd = int(sys.argv[1])
    block = b'{"schema": 1, ' + b'x' * (1 << 20)
    for _ in range(768):
        try:
            os.write(fd, block)
        except OSError:
            break
    return msg
