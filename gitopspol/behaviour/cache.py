"""Per-policy result cache for behaviour cases: within a run and, optionally, across runs.

An engine's answer for one policy on one request is a pure function of the policy document
(for Gatekeeper: the compiled template and the constraint), the request and the labels of
its namespace. :func:`cached_results` keys that answer by a SHA-256 of those inputs, so a
policy that did not change is not evaluated again; after a one-policy change only that
policy runs against the cases.

The cache is active inside ``with result_cache(folder):``. With a folder (e.g.
``.gitopspol-cache/``, which the user may delete at any time) the entries used by the run
are written to ``<folder>/behaviour-v3.json`` at the end (when the run computed anything)
and read at the start of the next run. The file is plain JSON: a table of distinct results
and, per key (128 bits of the digest), the indexes of its results. It is checked on load (a
damaged entry is computed again), never code. The folder is trusted: keep it where the
change under review cannot write (outside the checkout in CI), like any build cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from gitopspol.engines.admission import Action, RuleResult, Status

FILE_NAME = "behaviour-v3.json"
_VERSION = 3

_ACTIVE: ContextVar[ResultCache | None] = ContextVar("gitopspol_result_cache", default=None)


def digest(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON (non-JSON leaves by ``str``)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _encode(result: RuleResult) -> list[Any]:
    return [
        result.engine,
        result.policy,
        result.rule,
        result.status.value,
        result.message,
        [a.value for a in result.actions],
    ]


def _decode(item: Any) -> RuleResult:
    engine, policy, rule, status, message, actions = item
    if not all(isinstance(v, str) for v in (engine, policy, message)):
        raise ValueError("bad entry")
    if rule is not None and not isinstance(rule, str):
        raise ValueError("bad entry")
    return RuleResult(
        engine, policy, rule, Status(status), message, tuple(Action(a) for a in actions)
    )


class ResultCache:
    """Engine results by input digest; see the module docstring."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self._stored: dict[str, Any] = {}
        self._table: list[Any] = []
        self._decoded: dict[int, RuleResult] = {}
        self._used: dict[str, tuple[RuleResult, ...]] = {}
        # id(document) -> (document, digest): documents are hashed once per run; the
        # document is kept so that its id is not reused.
        self._digests: dict[int, tuple[Any, str]] = {}
        if folder is not None:
            self._stored, self._table = _load(folder / FILE_NAME)

    def document_digest(self, doc: Any) -> str:
        """The digest of a document (policy, template, constraint), computed once per run."""
        found = self._digests.get(id(doc))
        if found is None or found[0] is not doc:
            found = (doc, digest(doc))
            self._digests[id(doc)] = found
        return found[1]

    def results(self, key: str, compute: Callable[[], list[RuleResult]]) -> list[RuleResult]:
        """The cached results for ``key``, else ``compute()`` (then cached)."""
        if key in self._used:
            self.hits += 1
            return list(self._used[key])
        stored = self._stored.get(key)
        if stored is not None:
            try:
                decoded = tuple(self._result(index) for index in stored)
            except (TypeError, ValueError, IndexError):
                decoded = None
            if decoded is not None:
                self.hits += 1
                self._used[key] = decoded
                return list(decoded)
        self.misses += 1
        computed = compute()
        self._used[key] = tuple(computed)
        return computed

    def _result(self, index: Any) -> RuleResult:
        """Entry ``index`` of the loaded result table, decoded once."""
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError("bad index")
        found = self._decoded.get(index)
        if found is None:
            found = self._decoded[index] = _decode(self._table[index])
        return found

    def save(self) -> None:
        """Write the entries this run used to the folder (nothing without a folder, or when
        every answer came from the cache)."""
        if self.folder is None or not self.misses:
            return
        table: dict[RuleResult, int] = {}
        entries = {
            key: [table.setdefault(r, len(table)) for r in results]
            for key, results in self._used.items()
        }
        payload = {"version": _VERSION, "results": [_encode(r) for r in table], "entries": entries}
        with contextlib.suppress(OSError):  # a cache that cannot be written is no error
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{FILE_NAME}.{os.getpid()}"
            tmp.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
            tmp.replace(self.folder / FILE_NAME)


def _load(path: Path) -> tuple[dict[str, Any], list[Any]]:
    """The entries and the result table of a cache file (empty when damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, []
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return {}, []
    entries, table = data.get("entries"), data.get("results")
    if not isinstance(entries, dict) or not isinstance(table, list):
        return {}, []
    return {k: v for k, v in entries.items() if isinstance(v, list)}, table


@contextlib.contextmanager
def result_cache(folder: str | Path | None = None) -> Iterator[ResultCache]:
    """Make a :class:`ResultCache` active for the block; save it to ``folder`` at the end."""
    cache = ResultCache(Path(folder) if folder is not None else None)
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)
    cache.save()


def cached_results(
    parts: tuple[str, ...], compute: Callable[[], list[RuleResult]]
) -> list[RuleResult]:
    """``compute()`` through the active cache, keyed by ``parts`` (names and digests of every
    input); just ``compute()`` when no cache is active."""
    cache = _ACTIVE.get()
    if cache is None:
        return compute()
    key = hashlib.blake2b("\0".join(map(str, parts)).encode("utf-8"), digest_size=16)
    return cache.results(key.hexdigest(), compute)


def caching() -> bool:
    """Whether a :class:`ResultCache` is active."""
    return _ACTIVE.get() is not None


def document_digest(doc: Any) -> str:
    """The digest of a document through the active cache's memo (plain digest without one)."""
    cache = _ACTIVE.get()
    return cache.document_digest(doc) if cache is not None else digest(doc)
