"""Trusted network peers: the client that drives a student's server (client.py); the
servers (sending back what they receive, changed or trickled) a student's client talks
to (servers.py); and a relay that stands between a student's client and a student's
server (relay.py).

They run inside the trusted harness process, so every byte on the wire is observed by
code the student cannot touch: a verdict about a reply is made from what crossed the
wire on one connection, never from what a student's process says. Each records what it
sent and received (copies capped, counts exact) and when bytes last moved, which is what
hang detection reads (traffic.py).
"""

from grader.harness.peers.client import connect_and_close, exchange
from grader.harness.peers.relay import Relay, Upstream
from grader.harness.peers.servers import Scramble, Transform, TrustedServer
from grader.harness.peers.traffic import HOST, KEEP, IdleProbe, Traffic, Waited, Wire

__all__ = [
    "HOST",
    "KEEP",
    "IdleProbe",
    "Relay",
    "Scramble",
    "Traffic",
    "Transform",
    "TrustedServer",
    "Upstream",
    "Waited",
    "Wire",
    "connect_and_close",
    "exchange",
]
