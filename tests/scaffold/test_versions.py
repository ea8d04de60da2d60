"""Shipped scaffold versions: ordered, present, and pinned by content digest."""

from __future__ import annotations

from pathlib import Path

from packaging.version import Version

from gitopspol.repo.scaffold import shipped_versions, template_repo, tree_digest


def test_versions_are_ordered_and_present() -> None:
    versions = shipped_versions()
    assert versions, "scaffolds/versions.yaml lists no version"
    numbers = [Version(v.version) for v in versions]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
    for item in versions:
        assert (item.path / "copier.yml").is_file(), item
    assert versions[-1].path.name == "policy-repo"


def test_released_content_never_changes() -> None:
    # copier computes an update by re-rendering the version a repository was made from: a
    # changed version silently corrupts updates. Change the scaffold under a new version.
    for item in shipped_versions():
        assert item.digest is not None, f"scaffold {item.version} has no digest"
        assert tree_digest(item.path) == item.digest, (
            f"scaffold {item.version} changed; if it was released, add a new version "
            "(docs/scaffold.md), else update its digest in scaffolds/versions.yaml"
        )


def test_digest_sees_content_and_mode(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x")
    first = tree_digest(tmp_path)
    (tmp_path / "a").write_text("y")
    second = tree_digest(tmp_path)
    (tmp_path / "a").chmod(0o755)
    assert len({first, second, tree_digest(tmp_path)}) == 3


def test_template_repo_tags_every_version() -> None:
    import subprocess

    repo = template_repo()
    tags = subprocess.run(
        ["git", "tag", "--list"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tags == [v.version for v in shipped_versions()]
    assert template_repo() == repo  # materialised once per process
