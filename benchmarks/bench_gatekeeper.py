"""Gatekeeper engine throughput: constraint evaluations per second (allowed-repos template).

``run()`` returns the measurements; ``python -m benchmarks.bench_gatekeeper`` prints them.
The template is the K8sAllowedRepos policy of gatekeeper-library (OWASP K04's example),
written inline so the benchmark needs no corpus.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
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


def _pod(index: int, tag: str = "") -> dict[str, Any]:
    """An allowed Pod (odd ``index``) or a denied one; ``tag`` makes its image unique."""
    suffix = f"{tag}-{index}" if tag else "0.9.2"
    image = f"openpolicyagent/opa:{suffix}" if index % 2 else f"nginx:{suffix}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{index}", "namespace": "default"},
        "spec": {
            "containers": [{"name": "main", "image": image}],
            "initContainers": [{"name": "init", "image": "ubuntu:24.04"}],
        },
    }


def _rate(requests: Callable[[], list[AdmissionRequest]], seconds: float) -> tuple[int, int, float]:
    """Evaluate ``requests()`` (called once per pass) for ``seconds``: count, fails, time."""
    count = violations = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        batch = requests()
        for request in batch:
            results = evaluate([TEMPLATE], [CONSTRAINT], request)
            violations += sum(1 for r in results if r.status.value == "fail")
        count += len(batch)
    return count, violations, time.perf_counter() - start


def run(seconds: float = 1.0) -> dict[str, object]:
    """Evaluate the allowed-repos constraint on alternating allowed/denied Pods.

    ``evaluations_per_second``: every Pod has its own image, so each evaluation reaches the
    Rego engine (in its bounded worker). ``repeated_per_second``: the same 64 Pods again and
    again, answered from the results remembered per template by the input the Rego reads.
    """
    evaluate([TEMPLATE], [CONSTRAINT], AdmissionRequest(_pod(0)))  # compile outside the timing
    passes = itertools.count()

    def fresh() -> list[AdmissionRequest]:
        tag = f"pass{next(passes)}"
        return [AdmissionRequest(_pod(i, tag)) for i in range(64)]

    count, violations, elapsed = _rate(fresh, seconds)
    repeated = [AdmissionRequest(_pod(i)) for i in range(64)]
    _rate(lambda: repeated, 0.0)
    again, _, again_elapsed = _rate(lambda: repeated, seconds)
    return {
        "benchmark": "gatekeeper",
        "engine": ENGINE,
        "template": "k8sallowedrepos",
        "evaluations": count,
        "violations": violations,
        "seconds": round(elapsed, 3),
        "evaluations_per_second": round(count / elapsed),
        "repeated_per_second": round(again / again_elapsed),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
