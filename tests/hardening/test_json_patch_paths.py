"""JSON 6902 patch paths that are not RFC 6901 pointers, compared with ``kubectl kustomize``.

kubectl's evanphx/json-patch splits a path at ``/`` and drops the first segment whatever it
is: ``spec/replicas`` is ``/replicas`` and ``zz/data/y`` is ``/data/y``; a path with no ``/``
has no parent ("doc is missing path"). The empty path replaces the whole document for
``replace`` only (``add``, ``remove`` to ``""`` fail). ``~1`` and ``~0`` are decoded, other
``~`` sequences kept as they are. Array indexes are Go's ``strconv.Atoi`` (``01``, ``+1``)
and a negative index counts from the end (``-1`` is the last item; for ``add``, after it).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitopspol.errors import RenderError
from gitopspol.render import render
from tests.conftest import build_file_tree, need_kubectl

CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  x: "1"
  a/b: "2"
  a~b: "3"
  "~": "4"
x: top
list: [a, b]
"""
WHOLE = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"n": "1"}}

#: (case, operations, what kubectl gives: True for output, else a part of its error)
CASES: list[tuple[str, list[dict[str, Any]], bool | str]] = [
    ("replace-no-slash", [{"op": "replace", "path": "data/x", "value": "y"}], True),
    ("add-no-slash", [{"op": "add", "path": "spec/replicas", "value": 3}], True),
    ("add-deep-no-slash", [{"op": "add", "path": "zz/data/y", "value": "v"}], True),
    ("remove-no-slash", [{"op": "remove", "path": "data/x"}], True),
    ("move-from-no-slash", [{"op": "move", "from": "data/x", "path": "/data/moved"}], True),
    ("copy-from-no-slash", [{"op": "copy", "from": "q/list", "path": "/data2"}], True),
    ("test-no-slash", [{"op": "test", "path": "a/x", "value": "top"}], True),
    ("replace-empty", [{"op": "replace", "path": "", "value": WHOLE}], True),
    (
        "escapes",
        [
            {"op": "replace", "path": "/data/a~1b", "value": "R1"},
            {"op": "replace", "path": "/data/a~0b", "value": "R0"},
            {"op": "replace", "path": "/data/~0", "value": "T"},
            {"op": "add", "path": "/data/a~2b", "value": "R2"},
            {"op": "add", "path": "/data/~", "value": "T2"},
            {"op": "add", "path": "/data/~01", "value": "T3"},
        ],
        True,
    ),
    (
        "array-indexes",  # Go's strconv.Atoi, and negative indexes from the end
        [
            {"op": "replace", "path": "/list/-1", "value": "last"},
            {"op": "add", "path": "/list/-1", "value": "appended"},
            {"op": "add", "path": "/list/-4", "value": "first"},
            {"op": "replace", "path": "/list/01", "value": "one"},
            {"op": "add", "path": "/list/+1", "value": "plus"},
            {"op": "remove", "path": "/list/-2"},
            {"op": "test", "path": "/list/-1", "value": "appended"},
        ],
        True,
    ),
    (
        "add-bare",
        [{"op": "add", "path": "x", "value": "z"}],
        'add operation does not apply: doc is missing path: "x"',
    ),
    (
        "replace-bare",
        [{"op": "replace", "path": "x", "value": "z"}],
        "replace operation does not apply: doc is missing path: x",
    ),
    (
        "add-empty",
        [{"op": "add", "path": "", "value": WHOLE}],
        'add operation does not apply: doc is missing path: ""',
    ),
    (
        "remove-empty",
        [{"op": "remove", "path": ""}],
        'remove operation does not apply: doc is missing path: ""',
    ),
    ("test-empty", [{"op": "test", "path": "", "value": 1}], "testing value  failed"),
]


def _case(root: Path, ops: list[dict[str, Any]]) -> Path:
    patch = json.dumps(ops)
    return build_file_tree(
        root,
        {
            "cm.yaml": CM,
            "kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- target:\n"
            f"    kind: ConfigMap\n  patch: '{patch}'\n",
        },
    )


@pytest.mark.parametrize(("name", "ops", "expected"), CASES, ids=[c[0] for c in CASES])
def test_path_as_kubectl_reads_it(
    tmp_path: Path, name: str, ops: list[dict[str, Any]], expected: bool | str
) -> None:
    root = _case(tmp_path / name, ops)
    proc = subprocess.run(
        [need_kubectl(), "kustomize", str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if expected is True:
        assert proc.returncode == 0, proc.stderr
        assert render(root) == proc.stdout
    else:
        assert proc.returncode != 0
        assert str(expected).replace('"', '\\"') in proc.stderr  # klog quotes the error
        with pytest.raises(RenderError) as info:
            render(root)
        assert info.value.message == f"{expected} (patching v1 ConfigMap 'cm')"


def test_no_slash_path_records_the_pointer_it_set(tmp_path: Path) -> None:
    # Findings trace a patched field to the patch: the field is '/spec', not 'a/spec'.
    from gitopspol.render import build

    root = _case(tmp_path, [{"op": "add", "path": "a/spec", "value": {"replicas": 1}}])
    (resource,) = build(root)
    assert resource.data["spec"] == {"replicas": 1}
    assert list(resource.field_origins) == ["/spec"]


@pytest.mark.parametrize(
    "op",
    [
        {"op": "replace", "path": "/list/-3", "value": "z"},
        {"op": "add", "path": "/list/-4", "value": "z"},
        {"op": "remove", "path": "/list/-3"},
    ],
)
def test_negative_index_past_the_start_fails_as_in_kubectl(
    tmp_path: Path, op: dict[str, Any]
) -> None:
    # kubectl: "doc is missing key" / "Unable to access invalid index"; both refuse it.
    root = _case(tmp_path, [op])
    proc = subprocess.run(
        [need_kubectl(), "kustomize", str(root)], capture_output=True, check=False, timeout=60
    )
    assert proc.returncode != 0
    with pytest.raises(RenderError, match="index out of range in /list/-"):
        render(root)
