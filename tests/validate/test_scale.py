"""Scale features of ``validate``: the behaviour result cache and ``--changed-since``.

Functional only (no timing): a cached run gives exactly the findings of an uncached one,
cold and warm, also after a policy change (no stale answer is served), and
``--changed-since`` keeps the full run's findings about the touched policy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks.bench_pipeline import prepare
from gitopspol.behaviour.cache import FILE_NAME, ResultCache, result_cache
from gitopspol.engines.admission import Action, RuleResult, Status
from gitopspol.validate import validate_repository

POLICY = "policies/kyverno/restrict-image-registries.yaml"


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(root), *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(default_repo: Path, tmp_path: Path) -> Path:
    """A committed copy of the default repository."""
    root = Path(shutil.copytree(default_repo, tmp_path / "repo"))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


def _allow_no_registry(root: Path) -> None:
    """A one-policy change that alters behaviour: the Kyverno allow-list admits nothing."""
    path = root / POLICY
    text = path.read_text(encoding="utf-8")
    assert '"open-policy-agent* | ubuntu*"' in text
    path.write_text(text.replace('"open-policy-agent* | ubuntu*"', '"nothing*"'), encoding="utf-8")


def test_cached_runs_equal_uncached_runs(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    plain = validate_repository(repo).findings
    assert validate_repository(repo, cache_dir=cache).findings == plain
    assert (cache / FILE_NAME).is_file()
    assert validate_repository(repo, cache_dir=cache).findings == plain
    # After a change the changed policy is evaluated again: no stale result.
    _allow_no_registry(repo)
    changed = validate_repository(repo).findings
    assert any(f.rule_id.startswith("GP4") for f in changed)
    assert changed != plain
    assert validate_repository(repo, cache_dir=cache).findings == changed


def test_warm_cache_evaluates_nothing_again(default_repo: Path, tmp_path: Path) -> None:
    from gitopspol.behaviour.run import run_repository

    with result_cache(tmp_path) as cold:
        first = run_repository(default_repo)
    assert cold.misses > 0
    with result_cache(tmp_path) as warm:
        second = run_repository(default_repo)
    assert (warm.misses, warm.hits) == (0, cold.misses + cold.hits)
    assert first.cells == second.cells


def test_damaged_cache_is_ignored(repo: Path, tmp_path: Path) -> None:
    plain = validate_repository(repo).findings
    cache = tmp_path / "cache"
    cache.mkdir()
    for text in (
        "{not json",
        '{"version": 4, "results": 1, "requests": [], "entries": {}}',
        '{"version": 4, "results": [], "requests": 2, "entries": {}}',
        "[]",
    ):
        (cache / FILE_NAME).write_text(text, encoding="utf-8")
        assert validate_repository(repo, cache_dir=cache).findings == plain


def test_bad_entry_is_computed_again(tmp_path: Path) -> None:
    good = RuleResult("kyverno", "p", "r", Status.FAIL, "m", (Action.DENY,))
    # Per policy: request index, result count, result indexes.
    bad = {"k": [0, 1, 0], "l": [0, 1, 1], "m": [0, 1, -1], "n": [0, 1, "0"], "o": [5, 1, 0]}
    bad |= {"p": [0, 2, 0], "q": ["r0", 1, 0], "s": [1, 1, 0]}
    (tmp_path / FILE_NAME).write_text(
        json.dumps(
            {
                "version": 4,
                "results": [["kyverno", "p", "r", "nope", "m", []]],
                "requests": ["r0", 7],
                "entries": bad,
            }
        ),
        encoding="utf-8",
    )
    cache = ResultCache(tmp_path)
    for key in bad:
        assert cache.lookup(key, "r0") is None
        assert cache.store(key, "r0", [good]) == (good,)
    assert (cache.hits, cache.misses) == (0, len(bad))
    cache.save()
    warm = ResultCache(tmp_path)
    assert warm.lookup("k", "r0") == (good,)
    assert warm.lookup("k", "other") is None
    warm.store("k", "other", [good, good])
    assert (warm.hits, warm.misses) == (1, 1)
    warm.save()
    again = ResultCache(tmp_path)
    assert again.lookup("k", "other") == (good, good)
    assert again.lookup("k", "r0") == (good,)
    # Entries the last run did not use are not kept.
    assert again.lookup("l", "r0") is None
    assert (again.hits, again.misses) == (2, 1)


def test_changed_since_keeps_the_touched_policys_findings(repo: Path, tmp_path: Path) -> None:
    _allow_no_registry(repo)
    path = repo / POLICY  # and a typo: a schema finding located in the policy
    path.write_text(path.read_text().replace("  background: true", "  backgrond: true"))
    _git(repo, "commit", "-q", "-am", "allow no registry")
    full = validate_repository(repo).findings
    part = validate_repository(repo, changed_since="HEAD~1", cache_dir=tmp_path).findings
    touched = [f for f in full if f.location is not None and f.location.file.endswith(POLICY)]
    assert touched
    assert set(touched) <= set(part)
    assert set(part) <= set(full)
    assert {f for f in full if f.rule_id.startswith("GP4")} <= set(part)


def test_benchmark_repository_meets_its_cases(tmp_path: Path) -> None:
    """The pipeline benchmark's repository runs every stage and its 50 cases hold."""
    root = prepare(12, 2, tmp_path / "bench")
    result = validate_repository(root)
    assert result.summary.documents == 24
    assert len(list((root / "tests").glob("case-*.yaml"))) == 50
    assert not [f for f in result.findings if f.rule_id.startswith("GP4")]


def test_cli_cache_dir(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gitopspol.cli.main import main

    cache = tmp_path / "cli-cache"
    assert main(["validate", "-C", str(repo), "--cache-dir", str(cache)]) == 0
    assert (cache / FILE_NAME).is_file()
    assert capsys.readouterr().out.startswith("no problems found")


def test_behaviour_on_the_second_core_gives_the_same_findings(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GP4xx run in a forked child while the other rules run: same findings, same order."""
    import os

    _allow_no_registry(repo)
    forked = validate_repository(repo).findings
    assert any(f.rule_id.startswith("GP4") for f in forked)
    monkeypatch.delattr(os, "fork")  # no fork: everything runs in this process
    assert validate_repository(repo).findings == forked
