"""Generate a synthetic policy repository for the render benchmark.

``generate(dest, policies=P, tiers=T)`` writes ``policies/`` (a base of P objects cycling
through a Kyverno ClusterPolicy with several rules, a Gatekeeper ConstraintTemplate with
realistic Rego, and a constraint) and ``environments/<tier>/`` overlays that patch every
object, like ../shared/notes/kustomize-oracle.md section 3:

* ClusterPolicies: an inline JSON 6902 patch (validationFailureAction and a list append)
  for even indexes, a strategic-merge patch file for odd ones;
* templates: a JSON 6902 annotation;
* constraints: a JSON 6902 patch file (enforcementAction and two repo appends);
* each overlay also has a ``labels:`` entry and a commonAnnotation.

``python -m benchmarks.gen_repo DEST P T`` runs it from the command line.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

TIER_NAMES = ("sbx", "prd", "stg", "dev", "qa", "uat", "perf", "dr", "eu", "us")

_REGO = """\
package {pkg}

violation[{{"msg": msg, "details": {{"image": image}}}}] {{
  container := input_containers[_]
  image := container.image
  not repo_allowed(image)
  msg := sprintf("container <%v> uses image <%v>; allowed: %v", [container.name, image, input.parameters.repos])
}}

violation[{{"msg": msg}}] {{
  container := input_containers[_]
  not container.securityContext.runAsNonRoot
  input.parameters.requireNonRoot
  msg := sprintf("container <%v> must set runAsNonRoot", [container.name])
}}

repo_allowed(image) {{
  repo := input.parameters.repos[_]
  startswith(image, repo)
}}

repo_allowed(image) {{
  count(input.parameters.repos) == 0
}}

input_containers[c] {{
  c := input.review.object.spec.containers[_]
}}

input_containers[c] {{
  c := input.review.object.spec.initContainers[_]
}}

input_containers[c] {{
  c := input.review.object.spec.ephemeralContainers[_]
}}

exempt(ns) {{
  ns == input.parameters.exemptNamespaces[_]
}}
"""


def _policy(index: int) -> str:
    rules = []
    for r in range(3 + index % 3):
        rules.append(
            f"""\
  - name: rule-{r}
    match:
      any:
      - resources:
          kinds:
          - Pod
          - Deployment
          namespaces:
          - team-{r}
    exclude:
      any:
      - resources:
          namespaces:
          - kube-system
    validate:
      message: "rule {r} of policy {index}: label `team-{r}` is required"
      pattern:
        metadata:
          labels:
            team-{r}: "?*"
"""
        )
    return f"""\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: policy-{index}
  annotations:
    policies.kyverno.io/title: Policy {index}
    policies.kyverno.io/severity: medium
spec:
  validationFailureAction: Audit
  background: true
  rules:
""" + "".join(rules)


def _template(index: int) -> str:
    kind = f"K8sAllowedRepos{index}"
    rego = _REGO.format(pkg=f"k8sallowedrepos{index}")
    body = "".join(f"        {line}\n" if line else "\n" for line in rego.splitlines())
    return f"""\
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sallowedrepos{index}
  annotations:
    metadata.gatekeeper.sh/title: Allowed Repositories {index}
spec:
  crd:
    spec:
      names:
        kind: {kind}
      validation:
        openAPIV3Schema:
          type: object
          properties:
            repos:
              type: array
              items:
                type: string
            requireNonRoot:
              type: boolean
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
{body}"""


def _constraint(index: int) -> str:
    return f"""\
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sAllowedRepos{index}
metadata:
  name: repos-{index}
spec:
  enforcementAction: dryrun
  match:
    kinds:
    - apiGroups: [""]
      kinds: ["Pod"]
    excludedNamespaces: ["kube-system", "gatekeeper-system"]
  parameters:
    requireNonRoot: true
    repos:
    - "registry.example.com/"
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def tier_names(tiers: int) -> list[str]:
    """The overlay names for ``tiers`` tiers."""
    return [TIER_NAMES[i] if i < len(TIER_NAMES) else f"tier{i}" for i in range(tiers)]


def generate(dest: Path, policies: int, tiers: int) -> list[Path]:
    """Write the repository under ``dest`` (replaced) and return the overlay folders."""
    if dest.exists():
        shutil.rmtree(dest)
    base = dest / "policies"
    files: list[str] = []
    for i in range(policies):
        kind = i % 3
        n = i // 3
        if kind == 0:
            rel = f"kyverno/policy-{n}.yaml"
            _write(base / rel, _policy(n))
        elif kind == 1:
            rel = f"gatekeeper/templates/k8sallowedrepos{n}.yaml"
            _write(base / rel, _template(n))
        else:
            rel = f"gatekeeper/constraints/repos-{n}.yaml"
            _write(base / rel, _constraint(n))
        files.append(rel)
    _write(base / "kustomization.yaml", "resources:\n" + "".join(f"- {f}\n" for f in files))
    overlays = []
    for tier in tier_names(tiers):
        overlays.append(_overlay(dest / "environments" / tier, tier, policies))
    return overlays


def _overlay(root: Path, tier: str, policies: int) -> Path:
    action = "Enforce" if tier == "prd" else "Audit"
    gk_action = "deny" if tier == "prd" else "warn"
    lines = [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources:",
        "- ../../policies",
        "labels:",
        "- pairs:",
        f"    gitopspol.io/tier: {tier}",
        "commonAnnotations:",
        f"  gitopspol.io/rendered-for: {tier}",
        "patches:",
    ]
    for i in range(policies):
        kind = i % 3
        n = i // 3
        if kind == 0 and n % 2 == 0:
            ops = [
                {"op": "replace", "path": "/spec/validationFailureAction", "value": action},
                {
                    "op": "add",
                    "path": "/spec/rules/0/exclude/any/0/resources/namespaces/-",
                    "value": f"{tier}-system",
                },
            ]
            lines += [
                "- target:",
                "    group: kyverno.io",
                "    kind: ClusterPolicy",
                f"    name: policy-{n}",
                f"  patch: '{json.dumps(ops)}'",
            ]
        elif kind == 0:
            _write(
                root / "patches" / f"policy-{n}.yaml",
                "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n"
                f"  name: policy-{n}\nspec:\n  validationFailureAction: {action}\n  background: false\n",
            )
            lines.append(f"- path: patches/policy-{n}.yaml")
        elif kind == 1:
            ops = [{"op": "add", "path": "/metadata/annotations/gitopspol.io~1tier", "value": tier}]
            lines += [
                "- target:",
                "    kind: ConstraintTemplate",
                f"    name: k8sallowedrepos{n}",
                f"  patch: '{json.dumps(ops)}'",
            ]
        else:
            ops = [
                {"op": "replace", "path": "/spec/enforcementAction", "value": gk_action},
                {
                    "op": "add",
                    "path": "/spec/parameters/repos/-",
                    "value": f"{tier}.registry.example.com/",
                },
                {"op": "add", "path": "/spec/parameters/repos/-", "value": "mirror.example.com/"},
            ]
            _write(root / "patches" / f"repos-{n}.json", json.dumps(ops, indent=2) + "\n")
            lines += [
                "- target:",
                f"    kind: K8sAllowedRepos{n}",
                f"    name: repos-{n}",
                f"  path: patches/repos-{n}.json",
            ]
    _write(root / "kustomization.yaml", "\n".join(lines) + "\n")
    return root


def main(argv: list[str]) -> int:
    """``python -m benchmarks.gen_repo DEST P T``."""
    dest, policies, tiers = Path(argv[0]), int(argv[1]), int(argv[2])
    for overlay in generate(dest, policies, tiers):
        print(overlay)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
