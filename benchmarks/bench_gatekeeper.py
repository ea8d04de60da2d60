"""Gatekeeper engine throughput: constraint evaluations per second (allowed-repos template).

``run()`` returns the measurements; ``python -m benchmarks.bench_gatekeeper`` prints them.
The template is the K8sAllowedRepos policy of gatekeeper-library (OWASP K04's example),
written inline so the benchmark needs no corpus.
"""

from __future__ import annotations

import json
import time
from typing import Any

from gitopspol.engines.admission import AdmissionRequest
from gitopspol.engines.gatekeeper import evaluate
from gitopspol.engines.gatekeeper.rego import ENGINE

TEMPLATE: dict[str, Any] = {
    "apiVersion": "templates.gatekeeper.sh/v1",
    "kind": "ConstraintTemplate",
    "metadata": {"name": "k8sallowedrepos"},
    "spec": {
        "crd": {
            "spec": {
                "names": {"kind": "K8sAllowedRepos"},
                "validation": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {"repos": {"type": "array", "items": {"type": "string"}}},
                    }
                },
            }
        },
        "targets": [
            {
                "target": "admission.k8s.gatekeeper.sh",
                "rego": "\n".join(
                    [
                        "package k8sallowedrepos",
                        "",
                        *(
                            line
                            for field in ("containers", "initContainers", "ephemeralContainers")
                            for line in (
                                'violation[{"msg": msg}] {',
                                f"  container := input.review.object.spec.{field}[_]",
                                "  not strings.any_prefix_match(container.image, input.parameters.repos)",
                                f'  msg := sprintf("{field} <%v> has an invalid image repo <%v>, allowed repos are %v",'
                                " [container.name, container.image, input.parameters.repos])",
                                "}",
                            )
                        ),
                    ]
                ),
            }
        ],
    },
}
CONSTRAINT: dict[str, Any] = {
    "apiVersion": "constraints.gatekeeper.sh/v1beta1",
    "kind": "K8sAllowedRepos",
    "metadata": {"name": "repo-is-openpolicyagent"},
    "spec": {
        "match": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}], "namespaces": ["default"]},
        "parameters": {"repos": ["openpolicyagent/", "ubuntu"]},
    },
}


def _pod(index: int) -> dict[str, Any]:
    image = "openpolicyagent/opa:0.9.2" if index % 2 else "nginx"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{index}", "namespace": "default"},
        "spec": {
            "containers": [{"name": "main", "image": image}],
            "initContainers": [{"name": "init", "image": "ubuntu:24.04"}],
        },
    }


def run(seconds: float = 1.0) -> dict[str, object]:
    """Evaluate the allowed-repos constraint on alternating allowed/denied Pods for ``seconds``."""
    requests = [AdmissionRequest(_pod(i)) for i in range(64)]
    evaluate([TEMPLATE], [CONSTRAINT], requests[0])  # compile outside the timing
    count = 0
    violations = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for request in requests:
            results = evaluate([TEMPLATE], [CONSTRAINT], request)
            violations += sum(1 for r in results if r.status.value == "fail")
        count += len(requests)
    elapsed = time.perf_counter() - start
    return {
        "benchmark": "gatekeeper",
        "engine": ENGINE,
        "template": "k8sallowedrepos",
        "evaluations": count,
        "violations": violations,
        "seconds": round(elapsed, 3),
        "evaluations_per_second": round(count / elapsed),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
