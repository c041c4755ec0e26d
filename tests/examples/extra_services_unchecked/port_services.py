# Optional task, half done: lists the services of a range of ports, but the bounds have
# no defaults and nothing stops an invalid port from being looked up.
import socket


def services(start, end):
    for port in range(start, end + 1):
        try:
            print(port, socket.getservbyport(port))
        except OSError:
            pass
