"""Per-policy result cache for behaviour cases: within a run and, optionally, across runs.

An engine's answer for one policy on one request is a pure function of the policy document
(for Gatekeeper: the compiled template and the constraint), the request and the labels of
its namespace. :meth:`ResultCache.lookup` and :meth:`~ResultCache.store` key that answer by digests of those inputs
(policy, request), so a policy that did not change is not evaluated again; after a
one-policy change only that policy runs against the cases.

The cache is active inside ``with result_cache(folder):``. With a folder (e.g.
``.gitopspol-cache/``, which the user may delete at any time) the entries used by the run
are written to ``<folder>/behaviour-v4.json`` at the end (when the run computed anything)
and read at the start of the next run. The file is plain JSON: a table of distinct results,
a table of request digests and, per policy key (128 bits of a digest), a flat list of
``request index, count, result indexes...``: tiers and cases repeat the same results and
requests, so the file stays small and quick to write. It is checked on load (a damaged
entry is computed again), never code. The folder is trusted: keep it where the
change under review cannot write (outside the checkout in CI), like any build cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from gitopspol.engines.admission import Action, RuleResult, Status

FILE_NAME = "behaviour-v4.json"
_VERSION = 4

_ACTIVE: ContextVar[ResultCache | None] = ContextVar("gitopspol_result_cache", default=None)


def digest(value: Any) -> str:
    """SHA-256 of ``value`` as canonical JSON (non-JSON leaves by ``str``)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def policy_key(*parts: str) -> str:
    """The cache key of one policy from the names and digests of its inputs (128 bits)."""
    return hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=16).hexdigest()


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


def _index(value: Any, size: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < size:
        raise ValueError("bad index")
    return value


class ResultCache:
    """Engine results by policy and request digest; see the module docstring."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self._stored: dict[str, Any] = {}
        self._table: list[Any] = []
        self._requests: list[Any] = []
        self._decoded: dict[int, RuleResult] = {}
        self._loaded: dict[str, dict[str, tuple[RuleResult, ...]]] = {}
        self._used: dict[str, dict[str, tuple[RuleResult, ...]]] = {}
        # id(document) -> (document, digest): documents are hashed once per run; the
        # document is kept so that its id is not reused.
        self._digests: dict[int, tuple[Any, str]] = {}
        if folder is not None:
            self._stored, self._table, self._requests = _load(folder / FILE_NAME)

    def document_digest(self, doc: Any) -> str:
        """The digest of a document (policy, template, constraint), computed once per run."""
        found = self._digests.get(id(doc))
        if found is None or found[0] is not doc:
            found = (doc, digest(doc))
            self._digests[id(doc)] = found
        return found[1]

    def lookup(self, policy: str, request: str) -> tuple[RuleResult, ...] | None:
        """The cached results of ``policy`` (a :func:`policy_key`) for ``request`` (a digest);
        None when not cached (a miss: :meth:`store` the computed results)."""
        used = self._used.get(policy)
        if used is None:
            used = self._used[policy] = {}
        found = used.get(request)
        if found is None:
            found = self._stored_results(policy).get(request)
            if found is None:
                self.misses += 1
                return None
            used[request] = found
        self.hits += 1
        return found

    def store(
        self, policy: str, request: str, results: Sequence[RuleResult]
    ) -> tuple[RuleResult, ...]:
        """Cache ``results`` of ``policy`` for ``request``; returns them."""
        kept = tuple(results)
        used = self._used.get(policy)
        if used is None:
            used = self._used[policy] = {}
        used[request] = kept
        return kept

    def _stored_results(self, policy: str) -> dict[str, tuple[RuleResult, ...]]:
        """The loaded results of ``policy`` by request (empty when absent or damaged)."""
        found = self._loaded.get(policy)
        if found is None:
            found = self._loaded[policy] = {}
            try:
                flat = self._stored.get(policy) or []
                at = 0
                while at < len(flat):
                    request = self._requests[_index(flat[at], len(self._requests))]
                    count = _index(flat[at + 1], len(flat) + 1)
                    indexes = flat[at + 2 : at + 2 + count]
                    if len(indexes) != count or not isinstance(request, str):
                        raise ValueError("bad entry")
                    found[request] = tuple(self._result(index) for index in indexes)
                    at += 2 + count
            except (TypeError, ValueError, IndexError, KeyError):
                found.clear()  # a damaged entry is computed again
        return found

    def _result(self, index: Any) -> RuleResult:
        """Entry ``index`` of the loaded result table, decoded once."""
        index = _index(index, len(self._table))
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
        by_id: dict[int, int] = {}  # engines hand out the same objects for equal answers

        def index(result: RuleResult) -> int:
            found = by_id.get(id(result))
            if found is None:
                found = by_id[id(result)] = table.setdefault(result, len(table))
            return found

        requests: dict[str, int] = {}
        entries: dict[str, list[int]] = {}
        for policy, answers in self._used.items():
            flat = entries[policy] = []
            for request, results in answers.items():
                flat.append(requests.setdefault(request, len(requests)))
                flat.append(len(results))
                flat.extend(map(index, results))
        payload = {
            "version": _VERSION,
            "results": [_encode(r) for r in table],
            "requests": list(requests),
            "entries": entries,
        }
        with contextlib.suppress(OSError):  # a cache that cannot be written is no error
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{FILE_NAME}.{os.getpid()}"
            tmp.write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
            tmp.replace(self.folder / FILE_NAME)


def _load(path: Path) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """The entries, result table and request table of a cache file (empty when damaged)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, [], []
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return {}, [], []
    entries, table, requests = data.get("entries"), data.get("results"), data.get("requests")
    if not isinstance(entries, dict) or not isinstance(table, list):
        return {}, [], []
    if not isinstance(requests, list):
        return {}, [], []
    return {k: v for k, v in entries.items() if isinstance(v, list)}, table, requests


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


def active_cache() -> ResultCache | None:
    """The active :class:`ResultCache`, if any."""
    return _ACTIVE.get()


def document_digest(doc: Any) -> str:
    """The digest of a document through the active cache's memo (plain digest without one)."""
    cache = _ACTIVE.get()
    return cache.document_digest(doc) if cache is not None else digest(doc)
