# HOSTILE: sends one letter, reads one byte back, infers how the server changes letters,
# and applies that to the whole message instead of sending it.
import socket
import sys


def shift(text, by):
    out = []
    for ch in text:
        if 'a' <= ch <= 'z':
            out.append(chr((ord(ch) - 97 + by) % 26 + 97))
        elif 'A' <= ch <= 'Z':
            out.append(chr((ord(ch) - 65 + by) % 26 + 65))
        else:
            out.append(ch)
    return ''.join(out)


def client(msg, log_buffer=sys.stderr):
    sock = socket.create_connection(('localhost', 10000))
    try:
        sock.sendall(b'a')
        back = sock.recv(1)
    finally:
        sock.close()
    by = (back[0] - ord('a')) % 26 if back else 0
    for i in range(0, len(msg), 16):
        print('received "{0}"'.format(shift(msg[i:i + 16], by)), file=log_buffer)
    return shift(msg, by)
