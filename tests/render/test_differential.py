"""Differential property test: random bases and overlays, gitopspol vs ``kubectl kustomize``.

Each example is a small tree built from the supported features (resources, nested bases,
namePrefix/nameSuffix, namespace, labels/commonLabels, commonAnnotations, strategic-merge
and JSON 6902 patches with targets, images, replicas, configMapGenerator, components).
Output bytes must be identical; when kubectl refuses a tree, gitopspol must refuse it too.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.errors import RenderError
from gitopspol.render import Renderer
from tests.conftest import build_file_tree, need_kubectl

pytestmark = pytest.mark.kubectl

NAMES = ("web", "api", "db")
IMAGES = ("nginx", "nginx:1.25", "registry.example.com/team/api:1.0", "busybox@sha256:" + "a" * 64)


def _deployment(name: str, image: str, env: list[str], cm: str | None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": image}
    if env:
        container["env"] = [{"name": e, "value": f"v-{e.lower()}"} for e in env]
    if cm:
        container["envFrom"] = [{"configMapRef": {"name": cm}}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"serviceAccountName": "runner", "containers": [container]},
            },
        },
    }


def _policy(name: str, action: str) -> dict[str, Any]:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": f"{name}-policy", "annotations": {"policies.kyverno.io/title": name}},
        "spec": {
            "validationFailureAction": action,
            "rules": [
                {
                    "name": "r",
                    "validate": {
                        "message": "label required",
                        "pattern": {"metadata": {"labels": {"team": "?*"}}},
                    },
                }
            ],
        },
    }


def _service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80}]},
    }


deployments = st.builds(
    _deployment,
    st.sampled_from(NAMES),
    st.sampled_from(IMAGES),
    st.lists(st.sampled_from(("MODE", "LEVEL", "ZONE")), unique=True, max_size=2),
    st.sampled_from((None, "settings", "plain")),
)


def _binding(sa: str, ns: str | None) -> dict[str, Any]:
    subject: dict[str, Any] = {"kind": "ServiceAccount", "name": sa}
    if ns:
        subject["namespace"] = ns
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "runner-binding"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [subject],
    }


others = st.one_of(
    st.builds(
        _binding,
        st.sampled_from(("runner", "default")),
        st.sampled_from((None, "default", "other")),
    ),
    st.builds(_policy, st.sampled_from(NAMES), st.sampled_from(("Audit", "Enforce"))),
    st.builds(_service, st.sampled_from(NAMES)),
    st.just({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner"}}),
    st.just(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "plain"}, "data": {"k": "v"}}
    ),
)
label_values = st.sampled_from(("a", "b", "team-x", "1.0"))


def _unique(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for doc in docs:
        key = (doc["kind"], doc["metadata"]["name"])
        if key not in seen:
            seen.add(key)
            out.append(doc)
    return out


def _yaml(doc: Any) -> str:
    return yamlio.dump(doc)


@st.composite
def trees(draw: st.DrawFn) -> dict[str, str]:
    base_docs = _unique(draw(st.lists(st.one_of(deployments, others), min_size=1, max_size=4)))
    files: dict[str, str] = {"base/resources.yaml": "---\n".join(_yaml(d) for d in base_docs)}
    base: dict[str, Any] = {"resources": ["resources.yaml"]}
    if draw(st.booleans()):
        base["namePrefix"] = "b-"
    if draw(st.booleans()):
        base["commonLabels"] = {"layer": "base"}
    if draw(st.booleans()):
        base["configMapGenerator"] = [{"name": "settings", "literals": ["LEVEL=base", "KEEP=1"]}]
    files["base/kustomization.yaml"] = _yaml(base)
    parent = "../base"
    if draw(st.booleans()):  # a middle layer: three levels
        mid: dict[str, Any] = {"resources": ["../base"], "nameSuffix": "-mid"}
        if draw(st.booleans()):
            mid["commonAnnotations"] = {"layer": "mid"}
        files["mid/kustomization.yaml"] = _yaml(mid)
        parent = "../mid"
    overlay: dict[str, Any] = {"resources": [parent]}
    if draw(st.booleans()):
        overlay["namePrefix"] = draw(st.sampled_from(("sbx-", "prd-")))
    if draw(st.booleans()):
        overlay["nameSuffix"] = "-v2"
    if draw(st.booleans()):
        overlay["namespace"] = draw(st.sampled_from(("apps", "policies")))
    if draw(st.booleans()):
        overlay["labels"] = [
            {
                "pairs": {"tier": draw(label_values)},
                "includeSelectors": draw(st.booleans()),
                "includeTemplates": draw(st.booleans()),
            }
        ]
    if draw(st.booleans()):
        overlay["commonAnnotations"] = {"owner": draw(label_values), "note": "rendered by test"}
    if draw(st.booleans()):
        image: dict[str, Any] = {
            "name": draw(st.sampled_from(("nginx", "busybox", "registry.example.com/team/api")))
        }
        if draw(st.booleans()):
            image["newName"] = "mirror.example.com/" + image["name"].rsplit("/", 1)[-1]
        if draw(st.booleans()):
            image["newTag"] = draw(st.sampled_from(("1.27", "latest")))
        if draw(st.booleans()):
            image["digest"] = "sha256:" + "d" * 64
        overlay["images"] = [image]
    deploys = [d for d in base_docs if d["kind"] == "Deployment"]
    if deploys and draw(st.booleans()):
        overlay["replicas"] = [
            {"name": deploys[0]["metadata"]["name"], "count": draw(st.integers(0, 5))}
        ]
    if draw(st.booleans()):
        behavior = "merge" if "configMapGenerator" in base else "create"
        overlay["configMapGenerator"] = [
            {
                "name": "settings",
                "behavior": behavior,
                "literals": [f"LEVEL={draw(label_values)}", "MODE=fast"],
            }
        ]
    if draw(st.booleans()):
        size = draw(st.sampled_from((3, 51, 52, 120)))
        overlay["secretGenerator"] = [
            {"name": "creds", "literals": ["user=admin", "token=" + "t" * size]}
        ]
    if draw(st.booleans()):
        overlay["generatorOptions"] = {
            "labels": {"generated": "yes-please"},
            "disableNameSuffixHash": draw(st.booleans()),
        }
    if draw(st.booleans()):
        overlay["sortOptions"] = {"order": "fifo"}
    patches: list[dict[str, Any]] = []
    target = draw(st.sampled_from(base_docs))
    if draw(st.booleans()):
        smp: dict[str, Any] = {
            "apiVersion": target["apiVersion"],
            "kind": target["kind"],
            "metadata": {"name": target["metadata"]["name"], "labels": {"patched": "yes"}},
        }
        if target["kind"] == "Deployment":
            smp["spec"] = {
                "template": {
                    "spec": {
                        "containers": [{"name": "app", "env": [{"name": "ZONE", "value": "eu"}]}]
                    }
                }
            }
        elif target["kind"] == "ClusterPolicy":
            smp["spec"] = {"validationFailureAction": "Enforce"}
        patches.append({"patch": _yaml(smp)})
    if draw(st.booleans()):
        op = draw(st.sampled_from(("annotation", "replace-name-label")))
        ops = (
            [{"op": "add", "path": "/metadata/annotations/checked", "value": "true"}]
            if op == "annotation"
            else [{"op": "add", "path": "/metadata/labels", "value": {"json": "patch"}}]
        )
        sel: dict[str, Any] = {"kind": target["kind"]}
        if draw(st.booleans()):
            sel["name"] = target["metadata"]["name"] if draw(st.booleans()) else ".*"
        patches.append({"target": sel, "patch": json.dumps(ops)})
    if draw(st.booleans()):
        ops = [{"op": "add", "path": "/metadata/annotations/selected", "value": "by-label"}]
        patches.append(
            {
                "target": {"labelSelector": f"app={target['metadata']['name']}"},
                "patch": json.dumps(ops),
            }
        )
    if deploys and draw(st.booleans()):
        op = draw(st.sampled_from(("replace", "remove")))
        ops = [{"op": op, "path": "/spec/replicas"} | ({"value": 7} if op == "replace" else {})]
        patches.append({"target": {"kind": "Deployment"}, "patch": json.dumps(ops)})
    if patches:
        overlay["patches"] = patches
    if any(d["kind"] == "ConfigMap" for d in base_docs) and deploys and draw(st.booleans()):
        overlay["replacements"] = [
            {
                "source": {"kind": "ConfigMap", "name": "plain", "fieldPath": "data.k"},
                "targets": [
                    {
                        "select": {"kind": "Deployment"},
                        "fieldPaths": [
                            "metadata.annotations.from-plain",
                            "spec.template.spec.containers.[name=app].image",
                        ],
                        "options": {"create": True},
                    }
                ],
            }
        ]
    if draw(st.booleans()):
        files["component/kustomization.yaml"] = _yaml(
            {
                "apiVersion": "kustomize.config.k8s.io/v1alpha1",
                "kind": "Component",
                "commonAnnotations": {"component": "on"},
                "resources": ["extra.yaml"],
            }
        )
        files["component/extra.yaml"] = _yaml(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "extra"},
                "data": {"x": "1"},
            }
        )
        overlay["components"] = ["../component"]
    files["overlay/kustomization.yaml"] = _yaml(overlay)
    return files


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(trees())
def test_gitopspol_matches_kubectl(tree: dict[str, str]) -> None:
    kubectl = need_kubectl()
    with tempfile.TemporaryDirectory() as tmp:
        root = build_file_tree(Path(tmp), tree)
        proc = subprocess.run(
            [kubectl, "kustomize", str(root / "overlay")],
            capture_output=True,
            text=True,
            check=False,
        )
        refusal: RenderError | None = None
        ours = ""
        try:
            ours = Renderer().render(root / "overlay")
        except RenderError as exc:
            refusal = exc
        if refusal is not None:
            assert proc.returncode != 0, f"gitopspol refused a tree kubectl renders: {refusal}"
            return
        assert proc.returncode == 0, f"kubectl refused a tree gitopspol renders: {proc.stderr}"
        assert ours == proc.stdout
