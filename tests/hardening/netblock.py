"""pytest plugin: no test reaches the network.

Registered for the whole suite in ``pyproject.toml`` (``-p tests.hardening.netblock``). Every
socket ``connect``, ``connect_ex``, ``sendto`` and ``sendmsg`` outside ``AF_UNIX``, and every
name lookup, raises :class:`NetworkBlocked`; gitopspol itself must never need the network.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest


class NetworkBlocked(OSError):
    """A test tried to use the network."""


def _refuse(what: str) -> NetworkBlocked:
    return NetworkBlocked(f"network use in a test: {what} (blocked by tests/hardening/netblock.py)")


def _connect(self: socket.socket, address: Any) -> None:
    if self.family != socket.AF_UNIX:
        raise _refuse(f"connect to {address!r}")
    _REAL_CONNECT(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if self.family != socket.AF_UNIX:
        raise _refuse(f"connect to {address!r}")
    return _REAL_CONNECT_EX(self, address)


def _sendto(self: socket.socket, *args: Any) -> int:
    if self.family != socket.AF_UNIX:
        raise _refuse(f"sendto {args[-1]!r}")
    return _REAL_SENDTO(self, *args)


def _sendmsg(self: socket.socket, *args: Any) -> int:
    if self.family != socket.AF_UNIX:
        raise _refuse("sendmsg")
    return _REAL_SENDMSG(self, *args)


def _lookup(*args: Any, **kwargs: Any) -> Any:
    raise _refuse(f"name lookup {args[0]!r}" if args else "name lookup")


_REAL_CONNECT = socket.socket.connect
_REAL_CONNECT_EX = socket.socket.connect_ex
_REAL_SENDTO = socket.socket.sendto
_REAL_SENDMSG = socket.socket.sendmsg


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any non-AF_UNIX socket connect or send, and any name lookup, fail for the test."""
    monkeypatch.setattr(socket.socket, "connect", _connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", _sendto)
    monkeypatch.setattr(socket.socket, "sendmsg", _sendmsg)
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        monkeypatch.setattr(socket, name, _lookup)
