# HOSTILE: never listens, just sleeps (idle, no CPU) for ~11 days.
import sys
import time


def server(log_buffer=sys.stderr):
    print('starting server... (not really)', file=log_buffer, flush=True)
    time.sleep(10**6)


if __name__ == '__main__':
    server()
