# HOSTILE: a correct client that first runs 40 busy processes for a third of a second,
# to take the CPU from whatever else runs on the machine (a neighbour in a batch), and
# says how much CPU they got together ("HOG ... cpu-s in ... s"): with the job's CPU
# quota, at most its share. Then it does its job.
import os
import socket
import sys
import time

HOGS = 40
HOG_S = 0.3


def _children_cpu_s():
    times = os.times()
    return times.children_user + times.children_system


def hog(log_buffer):
    before = _children_cpu_s()
    start = time.monotonic()
    end = start + HOG_S
    pids = []
    for _ in range(HOGS):
        pid = os.fork()
        if pid == 0:
            while time.monotonic() < end:
                pass
            os._exit(0)
        pids.append(pid)
    time.sleep(HOG_S)
    for pid in pids:  # each ends by itself as soon as it runs after `end`
        os.waitpid(pid, 0)
    wall = time.monotonic() - start
    used = _children_cpu_s() - before
    print("HOG %d processes used %.2f cpu-s in %.2f s" % (HOGS, used, wall), file=sys.stderr)


def client(msg, log_buffer=sys.stderr):
    hog(log_buffer)
    server_address = ('localhost', 10000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    print('connecting to {0} port {1}'.format(*server_address), file=log_buffer)
    sock.connect(server_address)

    received_message = b''
    try:
        print('sending "{0}"'.format(msg), file=log_buffer)
        outgoing = msg.encode('utf8')
        sock.sendall(outgoing)

        # the echo comes back in 16 byte chunks: keep reading until all of it is here
        while len(received_message) < len(outgoing):
            chunk = sock.recv(16)
            if not chunk:
                break
            print('received "{0}"'.format(chunk.decode('utf8', 'replace')), file=log_buffer)
            received_message += chunk
    finally:
        print('closing socket', file=log_buffer)
        sock.close()

    return received_message.decode('utf8')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        usage = '\nusage: python echo_client.py "this is my message"\n'
        print(usage, file=sys.stderr)
        sys.exit(1)

    msg = sys.argv[1]
    client(msg)
