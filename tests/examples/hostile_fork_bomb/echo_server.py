# HOSTILE: a fork bomb instead of a server. Every process keeps forking and retries
# at once when the process limit says no, burning CPU in every process it got.
# One concession to machines without any limit (e.g. graded with --no-sandbox as root):
# each process stops after 12 successful forks, so the worst case is 4096 processes that
# then sleep. Under the grader's limits (64 processes) that cap is never reached.
import os
import time


def server(log_buffer=None):
    forks = 0
    while forks < 12:
        try:
            if os.fork() == 0:
                continue  # the child goes on forking too
            forks += 1
        except OSError:
            pass  # at the limit: try again at once
    while True:
        time.sleep(60)


if __name__ == '__main__':
    server()
