"""`grade-peer`: the grader's own client and servers, to reproduce a check at home.

    grade-peer send 'Hello, sockets'              what your server on port 10000 sends back
    grade-peer send --pieces 4 --pause 0.15 MSG   the message in 4 pieces, 0.15 s apart
    grade-peer send --stay 30 MSG                 stay connected 30 s after the reply
    cat big.bin | grade-peer send -               bytes from standard input
    printf 'GET / HTTP/1.1\r\n\r\n' | grade-peer send --until-close -
                                                  any request; read until the server closes
    grade-peer serve                              a server that sends back what it receives
    grade-peer serve --scramble 4711              one that changes the letters it sends back
    grade-peer serve --trickle 3 --pause 0.04     one that replies 3 bytes at a time

The report's "See it on your machine" commands use these; they run the same code as
the checks (grader.harness.peers and grader.harness.conversation), so what you see is
what the grader saw.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from collections.abc import Callable
from typing import NoReturn, TypeVar

from grader.errors import UsageError
from grader.harness.conversation import converse
from grader.harness.peers import HOST, Scramble, TrustedServer, Wire, exchange

DEFAULT_PORT = 10000
T = TypeVar("T", int, float)


def port(text: str) -> int:
    """A TCP port number, 1 to 65535 (argparse's type: a bad one is one sentence, exit 2)."""
    value = _number(text, int)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number; give 1 to 65535")
    return value


def count(text: str) -> int:
    """A whole number of at least 1."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def seconds(text: str) -> float:
    """A duration in seconds, 0 to a day."""
    value = _number(text, float)
    if not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text} must be between 0 and 86400 seconds")
    return value


def _number(text: str, kind: Callable[[str], T]) -> T:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a number") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see `{self.prog} --help`.")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="grade-peer",
        description="The grader's client and servers, to reproduce a check on your machine.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="send a message to a server and show what comes back")
    send.add_argument("message", help="the message (UTF-8), or - to read bytes from stdin")
    send.add_argument("--port", type=port, default=DEFAULT_PORT)
    send.add_argument("--pieces", type=count, default=1, help="send it in this many pieces")
    send.add_argument("--pause", type=seconds, default=0.0, help="seconds between pieces")
    send.add_argument("--timeout", type=seconds, default=5.0, help="seconds to wait for the reply")
    send.add_argument("--stay", type=seconds, default=0.0, help="stay connected this long after")
    send.add_argument(
        "--until-close",
        action="store_true",
        help="read until the server closes (not until as many bytes came back as were sent)",
    )
    serve = sub.add_parser(
        "serve", help="run a server that sends back what it receives (Ctrl-C stops)"
    )
    serve.add_argument("--port", type=port, default=DEFAULT_PORT)
    serve.add_argument(
        "--scramble", type=int, default=0, help="change letters as the check did (its seed)"
    )
    serve.add_argument("--trickle", type=count, help="reply this many bytes at a time")
    serve.add_argument("--pause", type=seconds, default=0.0, help="seconds between those pieces")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except UsageError as exc:
        print(f"grade-peer: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    try:
        if args.command == "send":
            return _send(args)
        return _serve(args)
    except KeyboardInterrupt:
        return 130


def _send(args: argparse.Namespace) -> int:
    payload = sys.stdin.buffer.read() if args.message == "-" else args.message.encode()
    if args.stay:
        return _send_and_stay(args.port, payload, args.stay)
    if args.until_close:
        return _send_until_close(args, payload)
    traffic, waited = exchange(
        args.port, payload, timeout_s=args.timeout, pieces=args.pieces, piece_pause_s=args.pause
    )
    if traffic.error:
        print(f"error: {traffic.error}")
        return 1
    print(f"sent     {len(traffic.sent)} bytes: {_show(bytes(traffic.sent))}")
    print(f"received {len(traffic.received)} bytes: {_show(bytes(traffic.received))}")
    how = {
        Wire.DONE: "as many bytes came back as were sent",
        Wire.EOF: "the server closed the connection before as many bytes came back",
        Wire.TIMEOUT: f"not as many bytes came back within {args.timeout:g} s",
    }
    print(f"after {waited.elapsed_s:.3f} s: {how.get(waited.ended, waited.ended.value)}")
    return 0 if waited.ended is Wire.DONE and bytes(traffic.received) == payload else 1


def _send_until_close(args: argparse.Namespace, payload: bytes) -> int:
    traffic, waited = converse(
        payload,
        port=args.port,
        timeout_s=args.timeout,
        pieces=args.pieces,
        piece_pause_s=args.pause,
    )
    if traffic.error:
        print(f"error: {traffic.error}")
        return 1
    print(f"sent     {traffic.sent_n} of {len(payload)} bytes: {_show(bytes(traffic.sent))}")
    print(f"received {traffic.received_n} bytes:")
    sys.stdout.write(_lines(bytes(traffic.received)))
    how = (
        "the server closed the connection"
        if waited.ended is Wire.EOF
        else (f"the server had not closed the connection after {args.timeout:g} s")
    )
    print(f"after {waited.elapsed_s:.3f} s: {how}")
    return 0 if waited.ended is Wire.EOF else 1


def _lines(data: bytes, limit: int = 60) -> str:
    """The reply line by line, each shown as Python writes bytes (so \\r\\n shows)."""
    lines = data.splitlines(keepends=True)
    shown = [f"  {_show(line)}\n" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"  ... {len(lines) - limit} more lines\n")
    return "".join(shown)


def _send_and_stay(port: int, payload: bytes, stay_s: float) -> int:
    try:
        sock = socket.create_connection((HOST, port), timeout=5)
    except OSError as exc:
        print(f"error: cannot connect to {HOST}:{port} ({exc.strerror or exc})")
        return 1
    with sock:
        sock.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        print(f"received {len(got)} bytes: {_show(got)}; staying connected {stay_s:g} s")
        time.sleep(stay_s)
    return 0


def _serve(args: argparse.Namespace) -> int:
    scramble = Scramble(args.scramble)
    server = TrustedServer(
        args.port,
        transform=scramble.apply if args.scramble else lambda data, _offset: data,
        trickle=args.trickle or 0,
        trickle_pause_s=args.pause,
    )
    if server.bind_error:
        print(f"error: {server.bind_error}")
        return 1
    print(f"the grader's server on {HOST}:{args.port}; Ctrl-C stops it")
    seen = (0, 0)
    with server:
        while True:
            time.sleep(0.1)
            now = (len(server.traffic.received), len(server.traffic.sent))
            if now != seen:
                got = bytes(server.traffic.received[seen[0] :])
                sent = bytes(server.traffic.sent[seen[1] :])
                if got:
                    print(f"received {len(got)} bytes: {_show(got)}")
                if sent:
                    print(f"sent     {len(sent)} bytes: {_show(sent)}")
                seen = now


def _show(data: bytes, limit: int = 200) -> str:
    text = repr(data)
    return text if len(text) <= limit else f"{text[: limit - 30]} ... {text[-20:]}"


if __name__ == "__main__":
    sys.exit(main())
