"""load_repository on mutated gitopspol.yaml documents: a value, or a located ConfigError /
InputError; never another exception (house rule: no bare KeyError/ValueError escapes)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol.errors import ConfigError, InputError
from gitopspol.repo import load_repository
from gitopspol.yamlio import dump, load
from tests.repo.test_config import CONFIG

BASE = load(CONFIG)

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 50),
    st.text(max_size=12),
    st.sampled_from(["sbx", "prd", "dev", "Audit", "deny", "v1.35", "latest", "2026-01-01"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


PATHS = _paths(BASE)


def _mutate(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(PATHS), _VALUES), min_size=1, max_size=3))
def test_mutations_load_or_fail_with_a_located_error(
    tmp_path: Path, mutations: list[tuple[tuple[Any, ...], Any]]
) -> None:
    doc: Any = BASE
    for path, value in mutations:
        try:
            doc = _mutate(doc, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
    (tmp_path / "gitopspol.yaml").write_text(dump(doc), encoding="utf-8")
    error: ConfigError | InputError | None = None
    try:
        repo = load_repository(tmp_path)
    except (ConfigError, InputError) as exc:
        error = exc
    if error is not None:
        assert error.file == str(tmp_path / "gitopspol.yaml")
        assert error.message
    else:
        assert [t.rank for t in repo.tiers] == sorted(t.rank for t in repo.tiers)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "repo_name",
            "tiers",
            "engines",
            "kyverno_flavour",
            "gitops",
            "registries",
            "namespaces",
            "clusters",
        ]
    ),
    st.one_of(st.text(max_size=30), _VALUES.map(lambda v: dump(v).strip())),
)
def test_any_data_value_is_accepted_or_a_clear_error(key: str, raw: str) -> None:
    from gitopspol.repo.scaffold import parse_data

    try:
        answers = parse_data([f"{key}={raw}"])
    except (ConfigError, InputError) as exc:
        message = str(exc)
        assert message.startswith(f"--data {key}")
    else:
        assert set(answers) == {key}
