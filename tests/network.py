"""Loopback ports for tests of services that cannot be reached."""

import socket


def closed_port() -> int:
    """A loopback port nothing listens on: the OS hands out a free one, and it is released
    unlistened (a fixed port such as 9 may well have a listener on some machine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
