"""Staging helpers and repository snapshots for the promotion tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitopspol.render import render
from tests.promote.conftest import git

#: A new Kyverno policy staged in sbx as its own file (with comments that must survive).
NEW_POLICY = """\
# Staged in sbx: every image names a tag.
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-image-tag
spec:
  background: true
  rules:
  - name: require-tag
    match:
      any:
      - resources:
          kinds: [Pod]
          namespaces: ["sbx", "prd"]
    validate:
      failureAction: "Audit"
      message: "An image tag is required."
      pattern:
        spec:
          containers:
          - image: "*:*"
"""

#: A changed Gatekeeper parameter staged in sbx as an inline JSON patch.
CHANGE_REPOS = """\
# staged: allow the distroless images too
- target:
    kind: K8sAllowedRepos
    name: allowed-repos
  patch: |-
    - op: add
      path: /spec/parameters/repos/-
      value: "gcr.io/distroless"
"""

#: Widened allow-lists in both engines: prd would admit the untrusted-registry case.
WIDEN_REGISTRIES = """\
- target:
    kind: K8sAllowedRepos
    name: allowed-repos
  patch: |-
    - op: replace
      path: /spec/parameters/repos
      value: ["open-policy-agent", "ubuntu", "untrusted.example"]
- target:
    kind: ClusterPolicy
    name: restrict-image-registries
  patch: |-
    - op: replace
      path: /spec/rules/0/validate/pattern/spec/containers/0/image
      value: "open-policy-agent* | ubuntu* | untrusted.example*"
"""


def stage_new_policy(root: Path) -> None:
    """Add ``require-image-tag.yaml`` to sbx and list it in sbx's resources."""
    (root / "environments/sbx/require-image-tag.yaml").write_text(NEW_POLICY)
    kust = root / "environments/sbx/kustomization.yaml"
    text = kust.read_text()
    kust.write_text(
        text.replace("- ../../policies\n", "- ../../policies\n- require-image-tag.yaml\n")
    )


def stage_patches(root: Path, patches: str, tier: str = "sbx") -> None:
    """Append entries to the end of the tier's ``patches`` list (before the comments
    of any key that follows it)."""
    kust = root / f"environments/{tier}/kustomization.yaml"
    lines = kust.read_text().splitlines(keepends=True)
    end = lines.index("patches:\n") + 1
    while end < len(lines) and not lines[end][:1].isalpha():
        end += 1
    while end < len(lines) and lines[end - 1].startswith("#"):
        end -= 1
    kust.write_text("".join(lines[:end]) + patches + "".join(lines[end:]))


def commit_all(root: Path, message: str, date: str | None = None) -> None:
    """Commit everything (optionally at a given date, for soak times)."""
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, env=env)


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused promotion must leave as it was."""

    tree: str
    status: str
    branches: str
    head: str


def snapshot(root: Path) -> Snapshot:
    """The work tree's tree hash (all files, untracked included), status, branches, HEAD."""
    return Snapshot(
        tree=_tree_of_work(root),
        status=git(root, "status", "--porcelain"),
        branches=git(root, "branch", "--list", "--format=%(refname) %(objectname)"),
        head=git(root, "rev-parse", "--symbolic-full-name", "HEAD"),
    )


def _tree_of_work(root: Path) -> str:
    """Tree hash of the work tree's files (through a throw-away index)."""
    index = root / ".git" / "snapshot-index"
    env = {"GIT_INDEX_FILE": str(index)}
    git(root, "add", "-A", env=env)
    tree = git(root, "write-tree", env=env).strip()
    index.unlink()
    return tree


def renders(root: Path) -> dict[str, str]:
    """Each tier's rendered text."""
    return {tier: render(root / "environments" / tier) for tier in ("sbx", "prd")}
