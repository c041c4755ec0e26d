"""Every diagnosis the echo_sockets checks can give, in one place.

Each entry: the code a check emits, what it means in plain words (filled with the
check's numbers), and the evidence that triggers it. The checks (echo_helpers.py,
test_*.py) and the harness decide when; this file says what to tell the student. The
words never quote the expected reply (only sizes), so a check with `detail =
"actual-only"` can show them; evidence that does quote it is marked `quotes_expected`.
Every code has an example submission in tests/examples/ whose report shows it.
"""

from __future__ import annotations

from grader.harness import HARNESS, Catalogue, Explanation

CATALOGUE = Catalogue(
    *HARNESS,  # python2, server_never_listens
    # ------------------------------------------------------------ the server
    Explanation(
        "server_drops_last_chunk",
        "your server echoed only the full 16-byte chunks and dropped the last {tail} bytes: "
        "send back every chunk you receive, including a final shorter one.",
        "the server closed after echoing exactly the whole 16-byte chunks of a message whose "
        "length is not a multiple of 16",
    ),
    Explanation(
        "server_echoes_first_chunk",
        "your server echoed the first 16-byte chunk and then closed the connection: keep "
        "receiving and echoing in a loop until the client has finished (recv() returns b'').",
        "the server closed after echoing 16 bytes of a message longer than 32",
    ),
    Explanation(
        "server_stops_on_short_chunk",
        "your server closed the connection in the middle of the message. A recv(16) returns "
        "whatever has arrived so far, which can be fewer than 16 bytes long before the "
        "message ends, so a short chunk does not mean the message is complete: keep reading "
        "until recv() returns b'' (the client closed its side).",
        "the server closed in the middle of a message (not on a 16-byte boundary that "
        "explains it), typically one that arrived in pieces",
    ),
    Explanation(
        "server_waits_for_close",
        "your server echoed nothing while the client waited for the echo: it waits for the "
        "client to close (or for more data) before it sends anything, while the client waits "
        "for the echo before it closes. Both wait forever, a deadlock. Send each chunk back "
        "as soon as you receive it.",
        "the server received the whole message, sent back 0 bytes, and sat idle (no CPU)",
    ),
    Explanation(
        "server_stops_after_first_client",
        "your server stopped listening after its first client. A server keeps accepting new "
        "connections in a loop (`while True: conn, addr = sock.accept() ...`) and closes "
        "only each client's connection, never the listening socket; an empty recv() ends "
        "that one connection, not the server.",
        "after one client (possibly one that sent nothing) the server no longer listened",
    ),
    Explanation(
        "server_crashed",
        "your server process ended during this exchange: it raised an exception that nothing "
        "caught (your code's frames of the traceback are below). A server should survive "
        "anything one client does.",
        "the server process exited while a client was talking to it",
    ),
    Explanation(
        "server_other_port",
        "your server listens on port {server_port}, but your client connects to port "
        "{client_port}, so they never meet. Use the same port on both sides: 10000, as the "
        "template does, or the port given on the command line or in ECHO_PORT.",
        "in the pairing checks, the port the student's client connects to is not a port the "
        "student's server listens on",
    ),
    Explanation(
        "address_in_use",
        'your server could not bind its port again right after a restart ("Address already '
        'in use"): the connection that was open when it stopped still holds the port for '
        "about a minute. Set SO_REUSEADDR before bind(): "
        "sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1).",
        "the restarted server printed EADDRINUSE ('Address already in use', errno 98)",
    ),
    # ------------------------------------------------------------ the client
    Explanation(
        "client_stops_on_short_chunk",
        "your client stops reading only when a chunk is shorter than 16 bytes, so a message "
        "whose length is a multiple of 16 (this one is {size} bytes) never ends: after the "
        "last full chunk it waits for more data that never comes. Keep count of the bytes "
        "received and stop when you have as many as you sent.",
        "client() blocked (idle, no bytes moving) on a message whose length is a multiple of "
        "16, while it returned on every other length",
    ),
    Explanation(
        "client_stops_early",
        "your client returned only the first {got} of {total} bytes: it stopped reading "
        "before the whole reply had arrived, probably at the first chunk shorter than 16 "
        "bytes. A server may send the reply in pieces of any size: keep reading until you "
        "have as many bytes as you sent.",
        "client() returned a proper prefix of the reply that the grader's server sent",
    ),
    Explanation(
        "client_waits_for_close",
        "your client waits for the server to close the connection, while the server waits "
        "for your client to close it first: both wait forever (a deadlock). Stop reading "
        "when you have received as many bytes as you sent.",
        "client() blocked (idle) on a message whose length is not a multiple of 16 after the "
        "server had echoed everything, and never closed",
    ),
    Explanation(
        "client_waits_for_timeout",
        "your client returned only after its {timeout}socket timeout ran out, although the "
        "whole reply had arrived long before: it waits for more data that will not come, and "
        "the timeout rescues it. That is slow, and a slower network would cut real replies "
        "short. Count the bytes received and stop when you have as many as you sent: then "
        "it returns at once.",
        "client() returned the right reply, but only after it had sat waiting on a timer (a "
        "socket timeout, select with a timeout) once the server had sent everything",
    ),
    Explanation(
        "client_sends_nothing",
        "the server received nothing from your client: it never sent the message. Send it "
        "with sock.sendall(msg.encode('utf-8')) before receiving.",
        "client() returned and the grader's server had received 0 bytes of a non-empty message",
    ),
    Explanation(
        "client_returns_what_it_sent",
        "your client returned the message it sent, not what the server sent back. This "
        "server changes the letters it echoes, so only a client that returns the received "
        "bytes passes: build the reply from the chunks you recv().",
        "against the grader's letter-shifting server, client() returned its own msg",
        quotes_expected=True,
    ),
    Explanation(
        "client_returns_bytes",
        "client() must return a str, but it returned bytes: decode the complete reply once "
        "at the end with .decode('utf-8').",
        "client() returned a bytes or bytearray object",
    ),
    Explanation(
        "client_returns_none",
        "client() returned None: it has no `return` statement for the reply (or returns "
        "before receiving).",
        "client() returned None",
    ),
    Explanation(
        "client_crashed",
        "{where} raised {exception}; the traceback below shows your code's frames.",
        "client() (or importing the client module) raised an exception",
    ),
    Explanation(
        "unicode_split",
        "a character that takes two bytes in UTF-8 ('é') was split between two 16-byte "
        "chunks, and decoding one chunk on its own raised UnicodeDecodeError. Decode the "
        "whole reply once at the end; for the log, use chunk.decode('utf-8', "
        "'backslashreplace').",
        "client() raised UnicodeDecodeError on a message whose 'é' straddles the 16-byte boundary",
    ),
    # ------------------------------------------------------------ optional tasks
    Explanation(
        "multi_server_one_at_a_time",
        "your multi-client server serves one client at a time: while it waits in recv() for "
        "a client that has not finished, every other client waits too. With select.select() "
        "the server waits for whichever socket is ready (the listening socket or any "
        "client's) and serves just that one, so no client holds up the others.",
        "client B got no whole echo while client A was connected with half a message sent",
    ),
)
