"""Pod Security Standards levels and policy versions (``v1.<minor>`` or ``latest``).

Upstream: kubernetes/pod-security-admission ``api/helpers.go`` (``ParseLevel``,
``ParseVersion``). Versions newer than the newest one gitopspol knows are clamped to it,
as an API server clamps them to its own ``latest``.
"""

from __future__ import annotations

import re

from gitopspol.errors import InputError

PRIVILEGED = "privileged"
BASELINE = "baseline"
RESTRICTED = "restricted"
#: Levels in strictness order.
LEVELS: tuple[str, ...] = (PRIVILEGED, BASELINE, RESTRICTED)
LATEST = "latest"

#: The newest policy version with upstream fixtures (pod-security-admission 8f84a87c,
#: the 1.37 development line: v1.37 adds two sysctls). ``latest`` resolves to it.
NEWEST_MINOR = 37

_VERSION_RE = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


def is_level(text: str) -> bool:
    """Whether ``text`` is one of privileged, baseline, restricted (exact, case-sensitive)."""
    return text in LEVELS


def level_rank(level: str) -> int:
    """0 for privileged, 1 baseline, 2 restricted (``api.CompareLevels``)."""
    return LEVELS.index(level)


def is_version(text: str) -> bool:
    """Whether ``text`` is ``latest`` or ``v1.<minor>`` without leading zeros."""
    return text == LATEST or _VERSION_RE.match(text) is not None


def parse_version(text: str, latest_minor: int = NEWEST_MINOR) -> int:
    """The minor version a policy version selects; ``latest`` and newer minors clamp.

    Raises :class:`InputError` when ``text`` is neither ``latest`` nor ``v1.<minor>``.
    """
    if text == LATEST:
        return latest_minor
    match = _VERSION_RE.match(text)
    if match is None:
        raise InputError(f'invalid Pod Security version {text!r}: must be "latest" or "v1.<minor>"')
    return min(int(match.group(1)), latest_minor)


def check_level(level: str) -> str:
    """Return ``level`` when valid, else raise :class:`InputError`."""
    if level not in LEVELS:
        raise InputError(
            f"invalid Pod Security level {level!r}: must be one of {', '.join(LEVELS)}"
        )
    return level
