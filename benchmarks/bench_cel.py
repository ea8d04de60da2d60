"""CEL engine throughput: ValidatingPolicy and ``validate.cel`` rule evaluations per second.

``run()`` returns the measurements; ``python -m benchmarks.bench_cel`` prints them. The
policy is Kyverno's "disallow capabilities" (Pod Security baseline), written inline as a
ValidatingPolicy (two variables, one validation) and as a ClusterPolicy ``validate.cel``
rule, evaluated on Pods and, through auto-gen, on Deployments, half of them violating.
"""

from __future__ import annotations

import json
import time
from typing import Any

from gitopspol.engines.admission import AdmissionRequest, Status
from gitopspol.engines.cel import compile_program
from gitopspol.engines.vpol import evaluate_cel_rule, evaluate_validating_policy

_ALLOWED = (
    "['AUDIT_WRITE','CHOWN','DAC_OVERRIDE','FOWNER','FSETID','KILL','MKNOD',"
    "'NET_BIND_SERVICE','SETFCAP','SETGID','SETPCAP','SETUID','SYS_CHROOT']"
)
_CONTAINERS = (
    "object.spec.containers + object.spec.?initContainers.orValue([]) + "
    "object.spec.?ephemeralContainers.orValue([])"
)
_CHECK = (
    "variables.allContainers.all(container, "
    "container.?securityContext.?capabilities.?add.orValue([]).all(capability, "
    "capability == '' || capability in variables.allowedCapabilities))"
)
_VARIABLES = [
    {"name": "allowedCapabilities", "expression": _ALLOWED},
    {"name": "allContainers", "expression": _CONTAINERS},
]

POLICY: dict[str, Any] = {
    "apiVersion": "policies.kyverno.io/v1",
    "kind": "ValidatingPolicy",
    "metadata": {"name": "disallow-capabilities"},
    "spec": {
        "validationActions": ["Audit"],
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["pods"],
                }
            ]
        },
        "variables": _VARIABLES,
        "validations": [{"expression": _CHECK, "message": "capabilities beyond the list"}],
    },
}

CLUSTER_POLICY: dict[str, Any] = {
    "apiVersion": "kyverno.io/v1",
    "kind": "ClusterPolicy",
    "metadata": {"name": "disallow-capabilities"},
    "spec": {"validationFailureAction": "Audit"},
}
RULE: dict[str, Any] = {
    "name": "adding-capabilities",
    "validate": {
        "cel": {
            "variables": _VARIABLES,
            "expressions": [{"expression": _CHECK, "message": "capabilities beyond the list"}],
        }
    },
}


def _pod_spec(i: int) -> dict[str, Any]:
    add = ["NET_ADMIN"] if i % 2 else ["CHOWN"]
    return {
        "containers": [
            {
                "name": f"c{n}",
                "image": "nginx:1.27",
                "securityContext": {"capabilities": {"add": add}},
            }
            for n in range(2)
        ],
        "initContainers": [{"name": "init", "image": "busybox"}],
    }


def _requests() -> list[AdmissionRequest]:
    out = []
    for i in range(32):
        out.append(
            AdmissionRequest(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"pod{i}", "namespace": "default"},
                    "spec": _pod_spec(i),
                }
            )
        )
        out.append(
            AdmissionRequest(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": f"deploy{i}", "namespace": "default"},
                    "spec": {"template": {"spec": _pod_spec(i)}},
                }
            )
        )
    return out


def _rate(fn: Any, items: list[Any], seconds: float) -> tuple[int, int, float]:
    fn(items[0])  # compile outside the timing
    count = failures = 0
    start = time.process_time()
    deadline = start + seconds
    while time.process_time() < deadline:
        for item in items:
            failures += fn(item)
        count += len(items)
    return count, failures, time.process_time() - start


def run(seconds: float = 1.0) -> dict[str, object]:
    """Measure for about ``seconds`` of CPU time each: policy, rule and raw CEL evaluations.

    Rates are per CPU second (``time.process_time``), so a busy machine does not skew them.
    """
    requests = _requests()
    pods = [r for r in requests if r.kind == "Pod"]

    def policy(request: AdmissionRequest) -> int:
        results = evaluate_validating_policy(POLICY, request)
        return sum(1 for r in results if r.status is Status.FAIL)

    def rule(request: AdmissionRequest) -> int:
        return int(evaluate_cel_rule(CLUSTER_POLICY, RULE, request).status is Status.FAIL)

    program = compile_program("object.spec.containers.all(c, c.image.startsWith('nginx'))")

    def expression(request: AdmissionRequest) -> int:
        return int(program.evaluate({"object": request.object}) is False)

    p_count, p_fail, p_time = _rate(policy, requests, seconds)
    r_count, r_fail, r_time = _rate(rule, pods, seconds)
    e_count, _, e_time = _rate(expression, pods, seconds)
    return {
        "benchmark": "cel",
        "policy": "disallow-capabilities",
        "vpol_evaluations": p_count,
        "vpol_failures": p_fail,
        "vpol_evaluations_per_second": round(p_count / p_time),
        "cel_rule_evaluations": r_count,
        "cel_rule_failures": r_fail,
        "cel_rule_evaluations_per_second": round(r_count / r_time),
        "expression_evaluations_per_second": round(e_count / e_time),
        "seconds": round(p_time + r_time + e_time, 3),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
