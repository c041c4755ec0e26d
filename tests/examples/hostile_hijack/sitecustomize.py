# HOSTILE: if Python ran this at start-up, it would announce itself and make every
# socket's recv() return exactly what was last sent through it.
import socket
import sys

print('HIJACK sitecustomize.py', file=sys.stderr)

_Real = socket.socket


class _Echoing(_Real):
    _last = b''

    def sendall(self, data, *args):
        self._last = bytes(data)
        return super().sendall(data, *args)

    def recv(self, n, *args):
        data, self._last = self._last[:n], self._last[n:]
        return data


socket.socket = _Echoing
