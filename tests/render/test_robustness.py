"""Malformed input never escapes as a Python exception: it renders or raises RenderError.

Hypothesis puts arbitrary JSON-like values into the fields of a small, valid tree (the
kustomization, a patch, a resource) and checks the error contract: a RenderError that
names a file, never a KeyError/TypeError that the CLI would report as an internal error.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.errors import RenderError
from gitopspol.render import Renderer
from tests.conftest import build_file_tree

KUSTOMIZATION: dict[str, Any] = {
    "namePrefix": "p-",
    "namespace": "apps",
    "commonLabels": {"a": "b"},
    "labels": [{"pairs": {"c": "d"}, "includeSelectors": True}],
    "resources": ["cm.yaml", "dep.yaml"],
    "patches": [
        {"path": "patch.yaml"},
        {
            "target": {"kind": "ConfigMap"},
            "patch": '[{"op": "add", "path": "/data/x", "value": "1"}]',
        },
    ],
    "images": [{"name": "nginx", "newTag": "1.27"}],
    "replicas": [{"name": "web", "count": 2}],
    "configMapGenerator": [{"name": "gen", "literals": ["k=v"]}],
    "replacements": [
        {
            "source": {"kind": "ConfigMap", "name": "cm", "fieldPath": "data.k"},
            "targets": [
                {
                    "select": {"kind": "Deployment"},
                    "fieldPaths": ["metadata.annotations.k"],
                    "options": {"create": True},
                }
            ],
        }
    ],
}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}}
DEP = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx"}]}}},
}
PATCH = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {"replicas": 3},
}

values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.sampled_from(["", "x", "web", "../x", "a=b", "[]"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "kind", "path", "x"]), inner, max_size=3),
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = yamlio.load(yamlio.dump(node))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


DOCS = {"kustomization.yaml": KUSTOMIZATION, "cm.yaml": CM, "dep.yaml": DEP, "patch.yaml": PATCH}


@st.composite
def broken_trees(draw: st.DrawFn) -> dict[str, str]:
    name = draw(st.sampled_from(sorted(DOCS)))
    doc = DOCS[name]
    path = draw(st.sampled_from(_paths(doc)))
    files = {n: yamlio.dump(d) for n, d in DOCS.items()}
    files[name] = yamlio.dump(_replace(doc, path, draw(values)))
    return files


@settings(
    max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(broken_trees())
def test_malformed_input_renders_or_raises_a_located_render_error(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = build_file_tree(Path(tmp), files)
        refusal: RenderError | None = None
        try:
            Renderer().render(root)
        except RenderError as exc:
            refusal = exc
        if refusal is not None:
            assert refusal.file is not None, refusal.message
