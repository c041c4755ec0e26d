# HOSTILE: named like the standard library's socket module. Imported as `socket` it
# would break every student process (and claim a marker); loaded as the student's own
# module, it only holds the optional port-services function.
import sys

if __name__ == "socket":
    print("SHADOW imported as the real socket module", file=sys.stderr)
    raise SystemExit(3)


def services(lower=0, upper=1023):
    import socket as real

    if not (0 <= lower <= upper <= 65535):
        raise ValueError("ports are 0-65535")
    found = {}
    for port in range(lower, upper + 1):
        try:
            found[port] = real.getservbyport(port)
        except OSError:
            pass
    return found
