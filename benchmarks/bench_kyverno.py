"""Kyverno engine throughput: pattern-rule and deny/JMESPath-rule evaluations per second.

``run()`` returns the measurements; ``python -m benchmarks.bench_kyverno`` prints them.
The policies are inline and typical of a policy repository: a pattern rule with equality,
negation and conditional anchors (Pod Security "restrict privileged/host namespaces" and
"disallow latest tag"), and a deny rule with JMESPath and preconditions (Kyverno's
"disallow capabilities"). They run on Pods and, through auto-gen, on Deployments; half of
the objects violate. Rates are per CPU second of this process (single-threaded).
"""

from __future__ import annotations

import json
import time
from typing import Any

from gitopspol import yamlio
from gitopspol.engines.admission import AdmissionRequest, Status
from gitopspol.engines.kyverno import evaluate

PATTERN_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: pod-hygiene}
spec:
  validationFailureAction: Enforce
  rules:
  - name: host-namespaces-and-privileged
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "host namespaces and privileged containers are not allowed"
      pattern:
        spec:
          =(hostPID): "false"
          =(hostIPC): "false"
          =(hostNetwork): "false"
          =(initContainers):
          - =(securityContext):
              =(privileged): "false"
          containers:
          - =(securityContext):
              =(privileged): "false"
              X(procMount): "null"
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: "images need a tag other than latest"
      pattern:
        spec:
          containers:
          - (name): "?*"
            image: "!*:latest & *:*"
            =(resources):
              =(limits):
                =(memory): "<=4Gi"
"""

DENY_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: disallow-capabilities}
spec:
  rules:
  - name: adding-capabilities
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all:
      - key: "{{ request.operation || 'BACKGROUND' }}"
        operator: NotEquals
        value: DELETE
    validate:
      deny:
        conditions:
          all:
          - key: "{{ request.object.spec.[ephemeralContainers, initContainers, containers][].securityContext.capabilities.add[] }}"
            operator: AnyNotIn
            value: [AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE]
"""


def _objects(count: int = 40) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        bad = i % 2 == 1
        container: dict[str, Any] = {
            "name": f"c{i}",
            "image": "nginx:latest" if bad else "nginx:1.25",
            "resources": {"limits": {"memory": "8Gi" if bad else "1Gi"}},
            "securityContext": {
                "privileged": bad,
                "capabilities": {"add": ["NET_ADMIN" if bad else "CHOWN"]},
            },
        }
        spec = {"hostPID": bad, "containers": [container, {**container, "name": "side"}]}
        if i % 4 < 2:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"p{i}", "namespace": "default"},
                    "spec": spec,
                }
            )
        else:
            out.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": f"d{i}", "namespace": "default"},
                    "spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": spec}},
                }
            )
    return out


def _measure(
    policy: dict[str, Any], requests: list[AdmissionRequest], seconds: float
) -> dict[str, Any]:
    evaluated = failed = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    elapsed = 0.0
    while elapsed < seconds:
        for request in requests:
            for result in evaluate([policy], request):
                evaluated += 1
                failed += result.status is Status.FAIL
        elapsed = time.perf_counter() - start
    cpu = max(time.process_time() - cpu_start, 1e-9)
    return {
        "rule_evaluations": evaluated,
        "failed": failed,
        "cpu_seconds": round(cpu, 3),
        "rules_per_second": round(evaluated / cpu),
    }


def run(seconds: float = 1.0) -> dict[str, object]:
    """Evaluate both policies for about ``seconds`` each; return the rates."""
    requests = [AdmissionRequest(object=obj) for obj in _objects()]
    pattern = _measure(yamlio.load(PATTERN_POLICY), requests, seconds)
    deny = _measure(yamlio.load(DENY_POLICY), requests, seconds)
    return {
        "benchmark": "kyverno",
        "objects": len(requests),
        "pattern": pattern,
        "deny_jmespath": deny,
        "pattern_rules_per_second": pattern["rules_per_second"],
        "deny_rules_per_second": deny["rules_per_second"],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
