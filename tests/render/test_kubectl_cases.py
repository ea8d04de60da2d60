"""Curated differential cases (``kubectl_cases.yaml``): gitopspol vs ``kubectl kustomize``.

Each case is a small tree written for one behaviour found while comparing with kubectl
(replacement typing, YAML 1.1 booleans in kustomizations, Secret data wrapping, annotation
texts, transformer annotations of every layer, JSON 6902 details, error cases...). The
output must be byte-identical, or both must refuse the tree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitopspol.errors import RenderError
from gitopspol.render import Renderer
from tests.conftest import build_file_tree, need_kubectl

pytestmark = pytest.mark.kubectl

CASES: dict[str, Any] = yaml.safe_load(
    (Path(__file__).with_name("kubectl_cases.yaml")).read_text(encoding="utf-8")
)


def test_case_count_is_pinned() -> None:
    assert len(CASES) == 201


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_kubectl(tmp_path: Path, name: str) -> None:
    kubectl = need_kubectl()
    case = CASES[name]
    build_file_tree(tmp_path, case["files"])
    target = tmp_path / case["build"]
    proc = subprocess.run(
        [kubectl, "kustomize", str(target)], capture_output=True, text=True, check=False
    )
    refusal: RenderError | None = None
    ours = ""
    try:
        ours = Renderer().render(target)
    except RenderError as exc:
        refusal = exc
    if proc.returncode != 0:
        assert refusal is not None, f"kubectl refused ({proc.stderr.strip()}), gitopspol rendered"
        assert refusal.file is not None
        return
    assert refusal is None, f"gitopspol refused a tree kubectl renders: {refusal}"
    assert ours == proc.stdout
