"""The network-blocking plugin is active for the whole suite and blocks what it should."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

from tests.hardening.netblock import NetworkBlocked


def test_tcp_connect_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlocked, match="connect to"):
            sock.connect(("127.0.0.1", 9))
        with pytest.raises(NetworkBlocked):
            socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_connect_ex_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NetworkBlocked):
        sock.connect_ex(("127.0.0.1", 9))


def test_udp_send_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkBlocked, match="sendto"):
            sock.sendto(b"x", ("127.0.0.1", 53))
        with pytest.raises(NetworkBlocked, match="sendmsg"):
            sock.sendmsg([b"x"], [], 0, ("127.0.0.1", 53))


def test_name_lookup_is_blocked() -> None:
    with pytest.raises(NetworkBlocked, match="name lookup"):
        socket.getaddrinfo("example.com", 443)


def test_urllib_is_blocked() -> None:
    with pytest.raises(OSError, match=r"blocked by tests/hardening/netblock\.py"):
        urllib.request.urlopen("http://example.com/", timeout=1)


def test_unix_sockets_still_work(tmp_path: Path) -> None:
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            conn, _ = server.accept()
            with conn:
                client.sendall(b"ok")
                assert conn.recv(2) == b"ok"
