"""Renderer caching (bases built once, results private) and provenance of patched fields."""

from __future__ import annotations

from pathlib import Path

from gitopspol.render import Renderer, build, transformers
from tests.conftest import build_file_tree

POLICY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: Audit
  rules:
  - name: check
    validate:
      message: team label required
"""

TREE = {
    "policies/kustomization.yaml": "resources:\n- policy.yaml\n",
    "policies/policy.yaml": POLICY,
    "environments/sbx/kustomization.yaml": "resources:\n- ../../policies\ncommonAnnotations:\n  tier: sbx\n",
    "environments/prd/kustomization.yaml": (
        "resources:\n- ../../policies\n"
        "patches:\n- path: enforce.yaml\n"
        "- target:\n    kind: ClusterPolicy\n  patch: |-\n"
        "    - op: add\n      path: /metadata/labels\n      value: {tier: prd}\n"
    ),
    "environments/prd/enforce.yaml": (
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: require-team\n"
        "spec:\n  validationFailureAction: Enforce\n"
    ),
}


def test_shared_base_is_built_once_and_results_are_private(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    build_file_tree(tmp_path, TREE)
    calls: list[Path] = []
    original = Renderer._target

    def counting(self, kust, acc, stack):  # type: ignore[no-untyped-def]
        calls.append(kust.path)
        return original(self, kust, acc, stack)

    monkeypatch.setattr(Renderer, "_target", counting)
    renderer = Renderer()
    sbx = renderer.build(tmp_path / "environments" / "sbx")
    sbx[0].data["spec"]["validationFailureAction"] = "Mutated"
    prd = renderer.build(tmp_path / "environments" / "prd")
    sbx_again = renderer.build(tmp_path / "environments" / "sbx")
    base_builds = [p for p in calls if p.parent.name == "policies"]
    assert len(base_builds) == 1
    assert prd[0].data["spec"]["validationFailureAction"] == "Enforce"
    assert sbx_again[0].data["spec"]["validationFailureAction"] == "Audit"
    assert sbx_again[0].data["metadata"]["annotations"] == {"tier": "sbx"}
    assert "annotations" not in prd[0].data["metadata"]


def test_provenance_points_at_the_patch_line(tmp_path: Path) -> None:
    build_file_tree(tmp_path, TREE)
    [policy] = build(tmp_path / "environments" / "prd")
    assert policy.origin.file.endswith("policies/policy.yaml")
    assert policy.origin.line == 1
    file, line = policy.field_location("/spec/validationFailureAction")
    assert file.endswith("environments/prd/enforce.yaml")
    assert line == 6
    file, line = policy.field_location("/metadata/labels")
    assert file.endswith("environments/prd/kustomization.yaml")
    assert line >= 4
    file, line = policy.field_location("/spec/rules/0/name")
    assert file.endswith("policies/policy.yaml")
    assert line == 8


def test_legacy_sort_puts_core_kinds_after_named_groups(tmp_path: Path) -> None:
    docs = "\n---\n".join(
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}"
        for api, kind, name in [
            ("v1", "Pod", "p"),
            ("kyverno.io/v1", "ClusterPolicy", "c"),
            ("v1", "ConfigMap", "b"),
            ("v1", "ConfigMap", "a"),
            ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "w"),
        ]
    )
    build_file_tree(tmp_path, {"kustomization.yaml": "resources:\n- all.yaml\n", "all.yaml": docs})
    names = [r.name for r in build(tmp_path)]
    assert names == ["a", "b", "c", "p", "w"]
    assert transformers.split_image("localhost:5000/team/tool:1.0") == (
        "localhost:5000/team/tool",
        "1.0",
        "",
    )


SCHEMA = """\
{"definitions": {"io.kyverno.v1.ClusterPolicy": {"type": "object",
  "x-kubernetes-group-version-kind": [{"group": "kyverno.io", "kind": "ClusterPolicy", "version": "v1"}],
  "properties": {"spec": {"type": "object"}}}},
 "paths": {"/apis/kyverno.io/v1/clusterpolicies/{name}": {"get": {
  "x-kubernetes-group-version-kind": {"group": "kyverno.io", "kind": "ClusterPolicy", "version": "v1"}}}}}
"""


def test_custom_openapi_schema_does_not_leak_into_the_next_tier(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "policies/kustomization.yaml": "resources:\n- policy.yaml\n",
            "policies/policy.yaml": POLICY,
            "a/kustomization.yaml": "namespace: x\nopenapi:\n  path: schema.json\nresources:\n- ../policies\n",
            "a/schema.json": SCHEMA,
            "b/kustomization.yaml": "namespace: x\nresources:\n- ../policies\n",
        },
    )
    renderer = Renderer()
    [scoped] = renderer.build(tmp_path / "a")
    [namespaced] = renderer.build(tmp_path / "b")
    assert "namespace" not in scoped.data["metadata"]
    assert namespaced.data["metadata"]["namespace"] == "x"


def test_generated_secret_data_is_wrapped_like_kustomize(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "kustomization.yaml": "secretGenerator:\n- name: s\n  literals:\n  - short=abc\n  - long="
            + "a" * 60
            + "\n"
        },
    )
    [secret] = build(tmp_path)
    assert secret.data["data"]["short"] == "YWJj"
    lines = secret.data["data"]["long"].split("\n")
    assert [len(x) for x in lines] == [70, 10, 0]
    assert secret.name.startswith("s-")


def test_json_patch_append_records_the_new_index(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "kustomization.yaml": (
                "resources:\n- policy.yaml\npatches:\n- target:\n    kind: ClusterPolicy\n"
                "  patch: |-\n    - op: add\n      path: /spec/rules/-\n      value: {name: extra}\n"
            ),
            "policy.yaml": POLICY,
        },
    )
    [policy] = build(tmp_path)
    assert [r["name"] for r in policy.data["spec"]["rules"]] == ["check", "extra"]
    assert "/spec/rules/1" in policy.field_origins
    file, line = policy.field_location("/spec/rules/1/name")
    assert file.endswith("kustomization.yaml")
    assert line == 7


def test_patched_fields_map_pointers_to_patch_lines(tmp_path: Path) -> None:
    build_file_tree(tmp_path, TREE)
    [policy] = build(tmp_path / "environments" / "prd")
    patched = policy.patched_fields()
    assert patched["/spec/validationFailureAction"][1] == 6
    assert patched["/spec/validationFailureAction"][0].endswith("enforce.yaml")
    assert patched["/metadata/labels"][0].endswith("environments/prd/kustomization.yaml")
    assert "/spec/rules/0/name" not in patched


def test_field_location_of_a_non_ascii_digit_key(tmp_path: Path) -> None:
    # "²".isdigit() is True but int("²") fails: such a pointer segment is a mapping key.
    build_file_tree(
        tmp_path,
        {
            "kustomization.yaml": "resources:\n- cm.yaml\n",
            "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n  ²: c\n",
        },
    )
    (resource,) = build(tmp_path)
    assert resource.field_location("/data/²") == (str(tmp_path / "cm.yaml"), 7)


def test_image_name_regex_cannot_hang_the_build(tmp_path: Path) -> None:
    # kustomize matches image names as Go (RE2) regexes; a backtracking engine takes minutes here.
    image = "a" * 46 + "b"
    build_file_tree(
        tmp_path,
        {
            "kustomization.yaml": 'resources:\n- pod.yaml\nimages:\n- name: "(a|aa)+$"\n  newTag: "1"\n',
            "pod.yaml": f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: {image}\n",
        },
    )
    (pod,) = build(tmp_path)
    assert pod.data["spec"]["containers"][0]["image"] == image
