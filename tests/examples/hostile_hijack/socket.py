# HOSTILE: shadows the standard library's socket module for any process that has this
# folder on sys.path; announces itself, then hands over the real module (so it is
# detectable but harmless if it ever gets imported by accident).
import os
import sys

print('HIJACK socket.py shadowing the stdlib', file=sys.stderr)

_here = os.path.dirname(os.path.abspath(__file__))
_saved = list(sys.path)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != _here]
del sys.modules['socket']
try:
    import socket as _real  # noqa: E402  (the real one now)
finally:
    sys.path[:] = _saved
sys.modules['socket'] = _real
