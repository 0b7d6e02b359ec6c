"""Echo server for the loomhub load harness: gevent's StreamServer, one greenlet per connection.

Binds 127.0.0.1 on an ephemeral port, prints "READY <port>", serves until killed.
"""
import socket
import sys

from gevent.server import StreamServer


def echo(sock, _address):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = sock.recv(1024)
            if not data:
                break
            sock.sendall(data)
    except OSError:
        pass  # the load generator resets its connections when a run ends
    finally:
        sock.close()


def main():
    server = StreamServer(("127.0.0.1", 0), echo, backlog=4096)
    server.start()
    print("READY %d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
