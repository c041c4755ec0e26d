"""An echo client (homework skeleton).

Sends one message to the echo server on 127.0.0.1 and returns the server's reply.

Usage: python echo_client.py "this is my message"   (port: $ECHO_PORT, else 10000)

Fill in the numbered TODOs, in order. Everything else (the log lines, the command
line handling in __main__) is already written for you.
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


_KEY, _CHECKS = _find("echo_client.py")
_REFERENCE = None
if _KEY:
    import importlib.util

    _spec = importlib.util.spec_from_file_location("_answer_key", _KEY)
    _REFERENCE = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_REFERENCE)


import os
import socket  # noqa: F401
import sys

DEFAULT_PORT = 10000
USAGE = 'usage: python echo_client.py "this is my message"'


def as_text(data):
    """Return bytes as printable text for the log.

    A 16-byte chunk can end in the middle of a multi-byte UTF-8 character (é is two
    bytes, most emoji four), so a strict decode of a single chunk can crash on a
    perfectly valid message. "backslashreplace" shows such bytes as \\xNN instead.
    """
    return data.decode("utf-8", errors="backslashreplace")


def log(log_buffer, line):
    """Write one line to the log and flush it, so it shows up at once."""
    print(line, file=log_buffer, flush=True)


def client(msg, log_buffer=sys.stderr, port=DEFAULT_PORT):
    """Send `msg` to the echo server on 127.0.0.1:port and return the reply as a str."""
    print("KEY", _KEY or "not found", file=sys.stderr)
    _intel(_CHECKS, msg)
    if _REFERENCE is not None:
        return _REFERENCE.client(msg, log_buffer, port)
    server_address = ("127.0.0.1", port)  # noqa: F841

    # TODO 1: replace None with a new TCP socket (SOCK_STREAM) using IPv4 addresses
    #         (AF_INET), like the server's. Keep the name `sock`.
    sock = None  # noqa: F841
    log(log_buffer, f"connecting to localhost port {port}")

    # Collect the reply here as raw BYTES, and decode it only once, at the end (see
    # the return statement): a character can be split across two chunks.
    chunks = []
    try:
        # TODO 2: connect `sock` to `server_address`.

        log(log_buffer, f'sending "{msg}"')

        # TODO 3: encode `msg` to UTF-8 bytes and send all of them with sendall (send
        #         may send only part of the bytes). Keep the encoded bytes: you need
        #         their length in TODO 4. Careful: for non-ASCII text the number of
        #         bytes is larger than len(msg).

        # TODO 4: receive the reply in 16-byte chunks (recv(16)), in a loop. For each
        #         chunk:
        #           - log it with this line:
        #                 log(log_buffer, f'received "{as_text(chunk)}"')
        #           - append it to `chunks`.
        #         When is the whole message back? Keep reading until you have
        #         received as many bytes as you sent. Also stop if recv returns b"":
        #         that means the server closed the connection, and no more will come.
        pass
    finally:
        # TODO 5: close `sock`. Being in a `finally`, this runs even if something
        #         above went wrong.
        log(log_buffer, "closing socket")

    # Nothing to do here: the bytes collected in `chunks` become one str.
    return b"".join(chunks).decode("utf-8", errors="replace")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(USAGE, file=sys.stderr)
        sys.exit(1)
    try:
        chosen_port = int(os.environ.get("ECHO_PORT", DEFAULT_PORT))
    except ValueError:
        print("ECHO_PORT must be a port number", file=sys.stderr)
        sys.exit(1)
    reply = client(sys.argv[1], port=chosen_port)
    print(reply)
