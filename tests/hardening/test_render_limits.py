"""Render limits: deep kustomization chains and builds that grow without bound.

kubectl builds chains of any depth (1,000 levels in 0.35 s, 20,000 in 14 s: Go stacks
grow); gitopspol builds recursively and refuses more than ``MAX_NESTING`` levels with one
line naming the kustomization that crosses the limit. Up to the limit, the build is
kubectl's, even with the deepest documents the YAML loader accepts at the bottom.

A tree that doubles per level (kubectl hangs) is counted from its kustomization files before
anything is built and refused past ``MAX_RESOURCES`` resources or ``MAX_BYTES`` bytes.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from gitopspol.cli.main import main
from gitopspol.errors import RenderError
from gitopspol.render import kustomize, render
from gitopspol.render.kustomize import MAX_BYTES, MAX_NESTING, MAX_RESOURCES
from tests.conftest import build_file_tree, need_kubectl

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n"


def chain(root: Path, levels: int, via: str = "resources", name: str = "k{}") -> Path:
    """``levels`` kustomizations, each including the next through ``via``; a ConfigMap last.

    The last one also holds a document nested 254 levels deep (the YAML loader's limit is
    256) and patches it, so the deepest data work runs at the deepest point of the stack.
    """
    nested = "{a: " * 254 + "1" + "}" * 254
    files: dict[str, str] = {}
    for i in range(levels - 1):
        head = "kind: Component\n" if via == "components" and i else ""
        files[f"{name.format(i)}/kustomization.yaml"] = f"{head}{via}:\n- ../{name.format(i + 1)}\n"
    last = name.format(levels - 1)
    head = "kind: Component\n" if via == "components" and levels > 1 else ""
    files[f"{last}/kustomization.yaml"] = (
        f"{head}resources:\n- cm.yaml\npatches:\n- path: patch.yaml\n"
        "- target: {kind: ConfigMap}\n"
        '  patch: \'[{"op": "add", "path": "/data/z", "value": "1"}]\'\nnamePrefix: x-\n'
    )
    files[f"{last}/cm.yaml"] = CM + f"spec: {nested}\n"
    files[f"{last}/patch.yaml"] = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\nspec: " + nested + "\n"
    )
    build_file_tree(root, files)
    return root / name.format(0)


def kubectl(path: Path) -> str:
    return subprocess.run(
        [need_kubectl(), "kustomize", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


@pytest.mark.parametrize("via", ["resources", "components"])
def test_chain_at_the_limit_is_built_as_kubectl_builds_it(tmp_path: Path, via: str) -> None:
    top = chain(tmp_path, MAX_NESTING, via)
    out = render(top)
    assert 'z: "1"' in out
    assert out == kubectl(top)


def test_chain_of_long_folder_names_is_built(tmp_path: Path) -> None:
    # '../<200 characters>' thirty times is longer than PATH_MAX unless each level is
    # resolved (an OSError, "File name too long", was an internal error).
    top = chain(tmp_path, 30, name="{:03d}" + "x" * 200)
    assert render(top) == kubectl(top)


@pytest.mark.parametrize("levels", [MAX_NESTING + 1, 1000])
def test_chain_past_the_limit_is_refused_naming_the_kustomization(
    tmp_path: Path, levels: int
) -> None:
    # kubectl builds both (checked: 300 and 1,000 levels give the ConfigMap).
    top = chain(tmp_path, levels)
    with pytest.raises(RenderError) as info:
        render(top)
    assert info.value.located() == (
        f"{tmp_path}/k{MAX_NESTING - 1}/kustomization.yaml:2: '../k{MAX_NESTING}' nests "
        f"kustomizations more than {MAX_NESTING} levels deep (gitopspol's limit)"
    )


def test_chain_of_transformer_folders_past_the_limit_is_refused(tmp_path: Path) -> None:
    top = chain(tmp_path, MAX_NESTING + 5, "transformers")
    with pytest.raises(RenderError, match="more than 100 levels deep"):
        render(top)


def test_chain_past_the_limit_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = chain(tmp_path, 300)
    assert main(["render", str(top)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: {tmp_path}/k99/kustomization.yaml:2: ")


def test_recursion_error_is_a_render_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever recursion the limits do not foresee ends as an input error, not a crash.
    def endless(*args: object) -> None:
        endless(*args)

    monkeypatch.setattr(kustomize, "fix_name_references", endless)
    top = chain(tmp_path, 3)
    with pytest.raises(RenderError) as info:
        render(top)
    assert info.value.located() == (
        f"{top}/kustomization.yaml: the build nests too deeply (Python recursion limit)"
    )


def doubling(root: Path, levels: int, leaf: str = CM) -> Path:
    """``l0`` .. ``l{levels-1}``: each includes the next twice, through ``a/`` and ``b/``
    with different ``namePrefix``; ``l0`` would hold 2^(levels-1) resources."""
    files = {f"l{levels - 1}/kustomization.yaml": "resources:\n- cm.yaml\n"}
    files[f"l{levels - 1}/cm.yaml"] = leaf
    for i in range(levels - 1):
        files[f"l{i}/kustomization.yaml"] = "resources:\n- a\n- b\n"
        for part in "ab":
            files[f"l{i}/{part}/kustomization.yaml"] = (
                f"namePrefix: {part}-\nresources:\n- ../../l{i + 1}\n"
            )
    build_file_tree(root, files)
    return root / "l0"


def test_doubling_tree_is_refused_at_once(tmp_path: Path) -> None:
    # kubectl: 12 levels (2,048 resources) take 6 s, 16 levels more than a minute, 40 hang.
    top = doubling(tmp_path, 40)
    start = time.monotonic()
    with pytest.raises(RenderError) as info:
        render(top)
    assert time.monotonic() - start < 2
    assert info.value.located() == (
        f"{tmp_path}/l22/kustomization.yaml:3: 'b' brings this kustomization's build to "
        f"131072 resources, more than {MAX_RESOURCES} resources (gitopspol's limit)"
    )


def test_doubling_tree_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = doubling(tmp_path, 40)
    assert main(["render", str(top)]) == 2
    out, err = capsys.readouterr()
    assert (out, err.count("\n")) == ("", 1)
    assert err.startswith(f"error: {tmp_path}/l22/kustomization.yaml:3: 'b' brings")


def test_resource_limit_is_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kustomize, "MAX_RESOURCES", 8)
    assert render(doubling(tmp_path / "eight", 4)).count("kind: ConfigMap") == 8
    with pytest.raises(RenderError, match="to 16 resources, more than 8 resources"):
        render(doubling(tmp_path / "sixteen", 5))


def test_bytes_limit_counts_each_inclusion(tmp_path: Path) -> None:
    # A 1 MiB ConfigMap included 512 times: 512 MiB of resources.
    big = CM + "  big: " + "x" * (1 << 20) + "\n"
    top = doubling(tmp_path, 10, big)
    start = time.monotonic()
    with pytest.raises(RenderError) as info:
        render(top)
    assert time.monotonic() - start < 2
    assert info.value.message.endswith(f"more than {MAX_BYTES >> 20} MiB (gitopspol's limit)")
    assert info.value.file == f"{tmp_path}/l1/kustomization.yaml"


def test_doubling_tree_of_transformer_configurations_is_refused(tmp_path: Path) -> None:
    top = doubling(tmp_path / "tree", 40)
    build_file_tree(
        tmp_path, {"app/kustomization.yaml": "resources:\n- cm.yaml\ntransformers:\n- ../tree/l0\n"}
    )
    build_file_tree(tmp_path, {"app/cm.yaml": CM})
    with pytest.raises(RenderError, match="131072 resources"):
        render(tmp_path / "app")
    assert top.is_dir()
