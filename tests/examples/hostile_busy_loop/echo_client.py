# HOSTILE: client() spins forever on the CPU (never connects, never blocks).
import sys


def client(msg, log_buffer=sys.stderr):
    while True:
        pass


if __name__ == '__main__':
    client(sys.argv[1] if len(sys.argv) > 1 else 'x')
