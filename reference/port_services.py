"""Reference solution, optional task: the services of a range of ports.

Usage: python port_services.py [LOWER [UPPER]]
"""

import contextlib
import socket
import sys


def services(lower=0, upper=1023):
    """Return {port: service name} for the ports from lower to upper (inclusive).

    Only valid ports (0-65535) are accepted, and lower must not exceed upper: anything
    else raises ValueError before a single port is looked up.
    """
    if not (0 <= lower <= upper <= 65535):
        raise ValueError(f"need 0 <= lower <= upper <= 65535, got {lower} and {upper}")
    found = {}
    for port in range(lower, upper + 1):
        # OSError: no service is registered for this port
        with contextlib.suppress(OSError):
            found[port] = socket.getservbyport(port)
    return found


if __name__ == "__main__":
    bounds = [int(arg) for arg in sys.argv[1:3]]
    for port, name in services(*bounds).items():
        print(f"{port:5d}  {name}")
