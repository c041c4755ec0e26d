# HOSTILE: when imported, monkeypatches unittest and pytest (if importable) so that every
# test passes, and writes fake result files claiming 100% into its folder, /tmp and its
# parent folder. client() itself returns the wrong reply (the message reversed).
import json
import os
import socket
import sys

FAKE = {
    'score': 100, 'points': 100, 'max_points': 100, 'percent': 100,
    'output': 'FAKE: all checks passed',
    'tests': [{'name': 'everything', 'score': 100, 'max_score': 100, 'status': 'passed'}],
}
CHECKS = [
    'client_short_message', 'client_long_message', 'client_exactly_16_bytes',
    'client_exactly_32_bytes', 'client_empty_message', 'client_returns_what_server_sent',
    'client_slow_server', 'client_logs_chunks', 'client_closes_connection',
    'pair_short_message', 'pair_long_message',
]


def _patch_unittest():
    import unittest

    def passing(self, *args, **kwargs):
        return None

    for name in dir(unittest.TestCase):
        if name.startswith('assert') or name == 'fail':
            setattr(unittest.TestCase, name, passing)
    unittest.TestResult.wasSuccessful = lambda self: True


def _patch_pytest():
    try:
        import pytest
    except ImportError:
        return
    pytest.fail = lambda *a, **k: None
    pytest.skip = lambda *a, **k: None
    try:
        from _pytest import reports
        reports.TestReport.outcome = property(lambda self: 'passed', lambda self, v: None)
    except Exception:
        pass


def _write_fakes():
    here = os.path.dirname(os.path.abspath(__file__))
    lines = ''.join(
        json.dumps({'schema': 1, 'kind': 'check', 'check': c, 'outcome': 'passed',
                    'duration_s': 0.01, 'message': 'FAKE'}) + '\n'
        for c in CHECKS
    )
    for folder in (here, '/tmp', os.path.dirname(here)):
        for name, text in (('results.json', json.dumps(FAKE)), ('results.jsonl', lines)):
            try:
                with open(os.path.join(folder, name), 'w') as f:
                    f.write(text)
                print('FAKE wrote {0}'.format(os.path.join(folder, name)), file=sys.stderr)
            except OSError as exc:
                print('FAKE could not write {0}: {1}'.format(os.path.join(folder, name), exc),
                      file=sys.stderr)


for _step in (_patch_unittest, _patch_pytest, _write_fakes):
    try:
        _step()
    except Exception:
        pass


def client(msg, log_buffer=sys.stderr):
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)
    received = b''
    try:
        outgoing = msg.encode('utf8')
        sock.sendall(outgoing)
        while len(received) < len(outgoing):
            chunk = sock.recv(16)
            if not chunk:
                break
            print('received "{0}"'.format(chunk.decode('utf8', 'replace')), file=log_buffer)
            received += chunk
    finally:
        sock.close()
    return received.decode('utf8')[::-1] + 'FAKE'  # wrong on purpose


if __name__ == '__main__':
    print(client(sys.argv[1] if len(sys.argv) > 1 else 'hello'))
