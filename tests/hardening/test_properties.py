"""Hostile input never crashes or hangs: a result or a clean GitopspolError, in bounded time.

Hypothesis feeds generated and mutated input to the YAML loader, the renderer and each engine
(PSA, Kyverno, Gatekeeper, ValidatingPolicy, CEL). Every target runs 1,000 examples
(``derandomize=True``: the same examples on every run, so ``make test`` is reproducible);
any exception other than GitopspolError, or a call slower than :data:`TIME_BOUND`, fails.
``gitopspol verify`` on mutated Kyverno and gator suites runs 300 examples end to end
(files on disk, the CLI's exit codes and one-line errors).
"""

from __future__ import annotations

import contextlib
import copy
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol import yamlio
from gitopspol.cli.main import main
from gitopspol.engines import kyverno, psa
from gitopspol.engines.admission import AdmissionRequest, RuleResult, Status
from gitopspol.engines.cel import compile_program
from gitopspol.engines.gatekeeper import evaluate as gatekeeper_evaluate
from gitopspol.engines.vpol import evaluate_validating_policy
from gitopspol.errors import GitopspolError
from gitopspol.render import render
from tests.conftest import build_file_tree

T = TypeVar("T")

#: Seconds one call may take. Real calls take milliseconds; this only catches hangs.
TIME_BOUND = 5.0
EXAMPLES = 1000

hardening = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def clean(call: Callable[[], T]) -> T | GitopspolError:
    """The call's result or its GitopspolError; anything else propagates and fails the test."""
    start = time.monotonic()
    try:
        outcome: T | GitopspolError = call()
    except GitopspolError as exc:
        outcome = exc
    elapsed = time.monotonic() - start
    assert elapsed < TIME_BOUND, f"took {elapsed:.1f} s"
    if isinstance(outcome, GitopspolError):
        assert outcome.message, "a GitopspolError needs a message"
    return outcome


# ---- generated values and mutations ----------------------------------------------------------

KEYS = [
    "apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec",
    "containers", "image", "securityContext", "privileged", "hostPID", "resources", "patches",
    "path", "op", "value", "target", "rules", "match", "validate", "pattern", "deny",
    "conditions", "any", "all", "key", "operator", "expression", "<(x)", "=(y)", "^(z)", "X(w)",
    "+(v)", "{{ request.object.kind }}", "items",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "",
            "*",
            "?*",
            ">1",
            "<=2",
            "!x",
            "1-5",
            "a|b",
            "1Gi",
            "100m",
            "true",
            "null",
            "{{ request.object.metadata.name }}",
            "{{ to_upper(@) }}",
            "{{",
            "}}",
            "../x",
            "/etc/passwd",
            "https://example.com/x",
            "Pod",
            "v1",
            "apps/v1",
            "Deployment",
            "restricted",
            "RuntimeDefault",
            "NET_RAW",
            "ALL",
            "\x00",
            "\ufeff",
            "é",
            "a" * 300,
        ]
    ),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with up to three values (anywhere, the root included) replaced or removed."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            doc = draw(VALUES)
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(VALUES)
    return doc


YAML_PIECES = [
    ":", ": ", "-", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!python/object:os.system ",
    "!local ", "!!binary ", "|", ">", "'", '"', "#", "\t", "\n", " ", "  ", "%YAML 1.2\n", "---\n",
    "...\n", "? ", "<<: *a", "\\", "\x00", "\x85", "\ufeff", "\ud7ff", "é", "0x1F", "0o17", "1e3",
    ".inf", "~", "2024-02-30", "key", "\r\n", "\ud800", "\x07", "\x7f", "\ufffe",
]  # fmt: skip


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Valid YAML of a generated value, then cut, spliced and sprinkled with YAML syntax."""
    text = yamlio.dump(draw(VALUES)) if draw(st.booleans()) else draw(st.text(max_size=80))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        choice = draw(st.integers(0, 2))
        if choice == 0:
            text = text[:at] + draw(st.sampled_from(YAML_PIECES)) + text[at:]
        elif choice == 1:
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        else:
            text = text[:at] + draw(st.text(max_size=4)) + text[at:]
    return text


def _results_are_values(results: Any) -> None:
    if isinstance(results, list):
        assert all(isinstance(r, RuleResult) and r.status in Status for r in results)


# ---- the loader ------------------------------------------------------------------------------


@hardening
@given(yaml_texts())
def test_yaml_loader(text: str) -> None:
    outcome = clean(lambda: yamlio.load_all(text, "x.yaml"))
    if isinstance(outcome, GitopspolError):
        assert outcome.file == "x.yaml"
    else:
        # What loads dumps and loads back (the data is plain).
        assert isinstance(outcome, list)
        clean(lambda: yamlio.load_all(yamlio.dump_all(outcome)))


@hardening
@given(st.binary(max_size=200))
def test_yaml_loader_bytes(raw: bytes) -> None:
    clean(lambda: yamlio.load_all(yamlio.decode(raw, "x.yaml"), "x.yaml"))


# ---- the renderer ----------------------------------------------------------------------------

KUSTOMIZATION: dict[str, Any] = {
    "resources": ["cm.yaml", "base"],
    "namePrefix": "p-",
    "namespace": "apps",
    "labels": [{"pairs": {"tier": "prd"}, "includeSelectors": True}],
    "patches": [
        {"target": {"kind": "ConfigMap"}, "patch": "- op: add\n  path: /data/y\n  value: z\n"},
        {"path": "patch.yaml"},
    ],
    "images": [{"name": "nginx", "newTag": "1.27"}],
    "configMapGenerator": [{"name": "gen", "literals": ["k=v"]}],
    "components": ["comp"],
}
TREE_FILES: dict[str, Any] = {
    "cm.yaml": {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cm"},
        "data": {"x": "a"},
    },
    "patch.yaml": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}},
    "base/kustomization.yaml": {"resources": ["pod.yaml"]},
    "base/pod.yaml": {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]},
    },
    "comp/kustomization.yaml": {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "commonAnnotations": {"a": "b"},
    },
}


@st.composite
def trees(draw: st.DrawFn) -> dict[str, str]:
    """The tree with its kustomization mutated, and one other file mutated or mangled."""
    files = {name: yamlio.dump(doc) for name, doc in TREE_FILES.items()}
    files["kustomization.yaml"] = yamlio.dump(draw(mutated(KUSTOMIZATION)))
    name = draw(st.sampled_from(sorted(TREE_FILES)))
    files[name] = draw(st.one_of(st.builds(yamlio.dump, mutated(TREE_FILES[name])), yaml_texts()))
    return files


#: Trees are written to memory where the system offers it: 100 times faster than a disk here.
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None


@hardening
@given(trees())
def test_renderer(files: dict[str, str]) -> None:
    # Lone surrogates become bytes that are not UTF-8, as a hostile file would hold.
    raw = {name: text.encode("utf-8", "surrogatepass") for name, text in files.items()}
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        root = build_file_tree(Path(tmp), raw)
        outcome = clean(lambda: render(root))
    if isinstance(outcome, GitopspolError):
        assert outcome.file is not None, outcome.message


# ---- the engines -----------------------------------------------------------------------------

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "namespace": "prd", "labels": {"app": "web"}},
    "spec": {
        "hostPID": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80, "hostPort": 0}],
                "securityContext": {
                    "privileged": False,
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                },
            }
        ],
        "volumes": [{"name": "data", "hostPath": {"path": "/var"}}],
    },
}
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prd"},
    "spec": {"replicas": 2, "template": {"metadata": {}, "spec": POD["spec"]}},
}
#: Engines take mappings (the CLI refuses other documents before): the root stays a mapping.
OBJECTS = st.one_of(mutated(POD), mutated(DEPLOYMENT)).filter(lambda o: isinstance(o, dict))


@hardening
@given(
    OBJECTS,
    st.sampled_from(["baseline", "restricted", "privileged", "high"]),
    st.sampled_from(["latest", "v1.0", "v1.25", "v1.99", "v2.0", "1.25", ""]),
)
def test_psa(obj: Any, level: str, version: str) -> None:
    outcome = clean(lambda: psa.evaluate(obj, level, version))
    if not isinstance(outcome, GitopspolError):
        assert outcome.allowed == (not outcome.violations)


KYVERNO_POLICY: dict[str, Any] = {
    "apiVersion": "kyverno.io/v1",
    "kind": "ClusterPolicy",
    "metadata": {"name": "hardening"},
    "spec": {
        "validationFailureAction": "Enforce",
        "rules": [
            {
                "name": "pattern",
                "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                "exclude": {"any": [{"resources": {"namespaces": ["kube-system"]}}]},
                "preconditions": {
                    "all": [
                        {
                            "key": "{{ request.operation }}",
                            "operator": "NotEquals",
                            "value": "DELETE",
                        }
                    ]
                },
                "validate": {
                    "message": "{{ request.object.metadata.name }} is privileged",
                    "pattern": {
                        "spec": {
                            "=(hostPID)": "false",
                            "containers": [
                                {
                                    "image": "!*:latest",
                                    "=(securityContext)": {"=(privileged)": False},
                                }
                            ],
                        }
                    },
                },
            },
            {
                "name": "deny",
                "match": {"any": [{"resources": {"kinds": ["Pod", "Deployment"]}}]},
                "validate": {
                    "deny": {
                        "conditions": {
                            "any": [
                                {
                                    "key": "{{ request.object.spec.containers[].image || `[]` }}",
                                    "operator": "AnyNotIn",
                                    "value": ["nginx:*", "ubuntu*"],
                                },
                                {
                                    "key": "{{ length(request.object.metadata.name) }}",
                                    "operator": "GreaterThan",
                                    "value": 63,
                                },
                            ]
                        }
                    }
                },
            },
            {
                "name": "foreach",
                "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                "validate": {
                    "foreach": [
                        {
                            "list": "request.object.spec.containers",
                            "pattern": {"securityContext": {"capabilities": {"drop": ["ALL"]}}},
                        }
                    ]
                },
            },
        ],
    },
}


@hardening
@given(mutated(KYVERNO_POLICY), OBJECTS, st.sampled_from(["CREATE", "UPDATE", "DELETE"]))
def test_kyverno(policy: Any, obj: Any, operation: str) -> None:
    policies = [policy] if isinstance(policy, dict) else []
    request = AdmissionRequest(obj if isinstance(obj, dict) else None, operation=operation)
    _results_are_values(clean(lambda: kyverno.evaluate(policies, request)))


TEMPLATE: dict[str, Any] = {
    "apiVersion": "templates.gatekeeper.sh/v1",
    "kind": "ConstraintTemplate",
    "metadata": {"name": "k8shardening"},
    "spec": {
        "crd": {"spec": {"names": {"kind": "K8sHardening"}}},
        "targets": [
            {
                "target": "admission.k8s.gatekeeper.sh",
                "rego": """package k8shardening

violation[{"msg": msg}] {
  c := input_containers[_]
  not startswith(c.image, input.parameters.repos[_])
  msg := sprintf("container <%v> has an invalid image repo <%v>", [c.name, c.image])
}

violation[{"msg": msg}] {
  provided := {l | input.review.object.metadata.labels[l]}
  required := {l | l := input.parameters.labels[_]}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("missing labels: %v", [missing])
}

input_containers[c] {
  c := input.review.object.spec.containers[_]
}

input_containers[c] {
  c := input.review.object.spec.template.spec.containers[_]
}
""",
            }
        ],
    },
}
CONSTRAINT: dict[str, Any] = {
    "apiVersion": "constraints.gatekeeper.sh/v1beta1",
    "kind": "K8sHardening",
    "metadata": {"name": "hardening"},
    "spec": {
        "enforcementAction": "deny",
        "match": {"kinds": [{"apiGroups": ["", "apps"], "kinds": ["Pod", "Deployment"]}]},
        "parameters": {"repos": ["nginx", "ubuntu"], "labels": ["app"]},
    },
}


@hardening
@given(mutated(CONSTRAINT), OBJECTS)
def test_gatekeeper(constraint: Any, obj: Any) -> None:
    constraints = [constraint] if isinstance(constraint, dict) else []
    request = AdmissionRequest(obj if isinstance(obj, dict) else None)
    _results_are_values(clean(lambda: gatekeeper_evaluate([TEMPLATE], constraints, request)))


VALIDATING_POLICY: dict[str, Any] = {
    "apiVersion": "policies.kyverno.io/v1alpha1",
    "kind": "ValidatingPolicy",
    "metadata": {"name": "hardening"},
    "spec": {
        "validationActions": ["Deny"],
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
        "variables": [{"name": "images", "expression": "object.spec.containers.map(c, c.image)"}],
        "validations": [
            {
                "expression": "variables.images.all(i, !i.endsWith(':latest'))",
                "messageExpression": "'bad image in ' + object.metadata.name",
            },
            {"expression": "!has(object.spec.hostPID) || object.spec.hostPID == false"},
        ],
    },
}


@hardening
@given(mutated(VALIDATING_POLICY), OBJECTS)
def test_validating_policy(policy: Any, obj: Any) -> None:
    request = AdmissionRequest(obj if isinstance(obj, dict) else None)
    _results_are_values(clean(lambda: evaluate_validating_policy(policy, request)))


CEL_TOKENS = [
    "object", "oldObject", "request", "params", "variables", ".", "spec", "metadata", "name",
    "containers", "size()", "(", ")", "[", "]", "{", "}", ",", ":", "?", "!", "-", "+", "*", "/",
    "%", "==", "!=", "<", ">=", "&&", "||", " in ", "0", "1", "-1", "9223372036854775807",
    "18446744073709551615u", "1.5", "1e308", "'a'", '"b"', "b'c'", "r'\\d'", "'''", "true",
    "null", "x", ".all(x, ", ".exists(x, ", ".map(x, ", ".filter(x, ", ".exists_one(x, ",
    "has(", "int(", "uint(", "double(", "string(", "bytes(", "dyn(", "type(", "duration(",
    "timestamp(", "'1s'", "'2024-01-01T00:00:00Z'", ".matches(", "'(a+)+$'", ".startsWith(",
    ".split(", ".join(", ".replace(", ".lowerAscii()", ".format([", "quantity(", "'1Gi'",
    "url(", "ip(", "cidr(", "isSorted()", "cel.bind(y, ", "optional.of(", ".orValue(", ".?",
    "math.greatest(", "base64.encode(", "\\", "\n",
]  # fmt: skip


@hardening
@given(st.lists(st.sampled_from(CEL_TOKENS), max_size=14).map("".join), OBJECTS)
def test_cel(expression: str, obj: Any) -> None:
    program = clean(lambda: compile_program(expression))
    if not isinstance(program, GitopspolError):
        clean(lambda: program.evaluate({"object": obj, "oldObject": None}))


# ---- verify, end to end ----------------------------------------------------------------------

KYVERNO_TEST: dict[str, Any] = {
    "apiVersion": "cli.kyverno.io/v1alpha1",
    "kind": "Test",
    "metadata": {"name": "hardening"},
    "policies": ["policy.yaml"],
    "resources": ["resource.yaml"],
    "results": [
        {
            "kind": "Pod",
            "policy": "hardening",
            "rule": "pattern",
            "resources": ["web"],
            "result": "pass",
        }
    ],
}
GATOR_SUITE: dict[str, Any] = {
    "kind": "Suite",
    "apiVersion": "test.gatekeeper.sh/v1alpha1",
    "metadata": {"name": "hardening"},
    "tests": [
        {
            "name": "hardening",
            "template": "template.yaml",
            "constraint": "constraint.yaml",
            "cases": [
                {"name": "pod", "object": "resource.yaml", "assertions": [{"violations": "no"}]}
            ],
        }
    ],
}


@settings(hardening, max_examples=300)
@given(
    mutated(KYVERNO_TEST),
    mutated(KYVERNO_POLICY),
    mutated(GATOR_SUITE),
    mutated(CONSTRAINT),
    mutated(POD),
)
def test_verify_command(
    kyverno_test: Any, policy: Any, suite: Any, constraint: Any, resource: Any
) -> None:
    """``gitopspol verify`` on mutated suites: exit 0, 1 or 2 and at most one error line."""
    files = {
        "k/kyverno-test.yaml": kyverno_test,
        "k/policy.yaml": policy,
        "k/resource.yaml": resource,
        "g/suite.yaml": suite,
        "g/template.yaml": TEMPLATE,
        "g/constraint.yaml": constraint,
        "g/resource.yaml": resource,
    }
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        root = build_file_tree(Path(tmp), {k: yamlio.dump(v) for k, v in files.items()})
        for folder in ("k", "g"):
            err = io.StringIO()
            start = time.monotonic()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                code = main(["verify", str(root / folder)])
            assert time.monotonic() - start < TIME_BOUND
            assert code in (0, 1, 2), err.getvalue()
            assert err.getvalue().count("\n") <= 1, err.getvalue()
