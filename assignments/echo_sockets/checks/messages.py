"""The messages the echo_sockets checks send, and how to show bytes in a sentence."""

from __future__ import annotations

import ast
import re

CHUNK = 16
SHORT = "Hello, sockets"
SIXTEEN = "sixteen bytes!!!"
THIRTY_TWO = "thirty-two bytes: two chunks :-)"
LONG = "Four score and seven years ago our fathers did stuff"
NON_ASCII_SPLIT = "fifteen bytes!!é and some more"  # 'é' spans bytes 15 and 16
MEBIBYTE = b"".join(b"%015d\n" % i for i in range(65536))
ARBITRARY = bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0xA0, 0xA1]) * 5 + b"\x00end"
assert (len(SIXTEEN), len(THIRTY_TWO), len(LONG), len(MEBIBYTE)) == (16, 32, 52, 1 << 20)
assert len(NON_ASCII_SPLIT[:15].encode()) == 15

# Short Python expressions for the payloads that are not text (double quotes only, so the
# commands can sit in single shell quotes).
EXPRESSIONS = {
    MEBIBYTE: 'b"".join(b"%015d\\n" % i for i in range(65536))',
    ARBITRARY: 'bytes([0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0xA0, 0xA1]) * 5 + b"\\x00end"',
}


def show(data: bytes | None, limit: int = 120) -> str:
    """Escape and shorten bytes for a sentence (the report shows them in full detail)."""
    if data is None:
        return "nothing"
    text = repr(bytes(data))
    if len(text) > limit:
        return f"{text[: limit - 20]}...{text[-12:]} ({len(data)} bytes)"
    return text


def show_text(text: str, limit: int = 120) -> str:
    shown = repr(text)
    if len(shown) <= limit:
        return shown
    return f"{shown[: limit - 20]}...{shown[-12:]} ({len(text)} chars)"


_RECEIVED = re.compile(r'^\s*received "(.*)"\s*$', flags=re.MULTILINE)


def logged_chunks(log: str) -> list[bytes]:
    """The chunks a log names in `received "..."` lines, as bytes. A chunk logged as its
    bytes repr (received "b'...'") counts as those bytes: what is logged matters, not how."""
    chunks = []
    for text in _RECEIVED.findall(log):
        if re.fullmatch(r"b'.*'|b\".*\"", text):
            try:
                chunks.append(bytes(ast.literal_eval(text)))
                continue
            except (ValueError, SyntaxError):
                pass
        chunks.append(text.encode("utf-8", "surrogateescape"))
    return chunks
