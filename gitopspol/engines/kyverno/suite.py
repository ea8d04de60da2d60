"""Run a Kyverno CLI ``kyverno-test.yaml`` (``cli.kyverno.io/v1alpha1`` Test) offline.

Semantics follow ``kyverno test`` (see ../shared/corpus/kyverno/README.md), except one
deliberate difference: when a policy produces no response for an object (rule not
applicable, excluded), the CLI reports the line as passed whatever was expected
(kyverno/kyverno#9804); gitopspol reports ``skip`` so that such a line only agrees with an
expected ``skip``. Mutate, generate and verifyImages results are ``not evaluated``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.engines.admission import CLUSTER_SCOPED, AdmissionRequest, RuleResult, Status
from gitopspol.engines.kyverno.engine import Inputs, PolicySet
from gitopspol.engines.kyverno.exceptions import is_exception
from gitopspol.engines.suite import SuiteResult
from gitopspol.errors import GitopspolError, InputError

_CLASSIC = ("ClusterPolicy", "Policy")
_VPOL = ("ValidatingPolicy", "NamespacedValidatingPolicy")
_VAP = ("ValidatingAdmissionPolicy",)
_UNEVALUATED = (
    "MutatingPolicy",
    "NamespacedMutatingPolicy",
    "GeneratingPolicy",
    "NamespacedGeneratingPolicy",
    "ImageValidatingPolicy",
    "NamespacedImageValidatingPolicy",
    "DeletingPolicy",
    "NamespacedDeletingPolicy",
    "MutatingAdmissionPolicy",
)


@dataclass(frozen=True, slots=True)
class _Object:
    doc: dict[str, Any]
    name: str
    namespace: str
    kind: str


@dataclass
class _Suite:
    path: Path
    policies: list[dict[str, Any]]
    objects: list[_Object]
    values: dict[str, Any]
    user_info: dict[str, Any]
    cel_context: Any
    bindings: list[dict[str, Any]] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    cache: dict[tuple[int, int, str | None], list[RuleResult]] = field(default_factory=dict)
    #: ``policies`` prepared for the classic engine (on first use).
    policy_set: PolicySet | None = None


def _mapping(value: Any) -> dict[str, Any]:
    """A copy of ``value`` when it is a mapping, else ``{}`` (suite files are untrusted)."""
    return dict(value) if isinstance(value, dict) else {}


def _metadata(doc: Any) -> dict[str, Any]:
    """``doc.metadata`` when both are mappings, else ``{}``."""
    return _mapping(doc.get("metadata")) if isinstance(doc, dict) else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _load_docs(base: Path, names: Iterable[Any]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for name in names:
        if not isinstance(name, str) or not name or "\x00" in name:
            raise InputError(f"expected a file path, got {name!r}"[:200])
        path = base / name
        try:
            is_dir = path.is_dir()
        except OSError as exc:  # e.g. a name too long
            raise InputError(f"cannot read: {exc.strerror}", path) from None
        if is_dir:
            files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
        else:
            files = [path]
        for file in files:
            for doc in yamlio.load_all_file(file):
                if isinstance(doc, dict) and doc.get("kind") == "List":
                    docs.extend(d for d in doc.get("items") or [] if isinstance(d, dict))
                elif isinstance(doc, dict):
                    docs.append(doc)
    return docs


def _objects(docs: list[dict[str, Any]]) -> list[_Object]:
    seen: set[tuple[str, str, str, str]] = set()
    out: list[_Object] = []
    for doc in docs:
        kind = str(doc.get("kind", ""))
        meta = doc.get("metadata")
        if not isinstance(meta, dict):
            meta = {}
            doc = {**doc, "metadata": meta}
        namespace = str(meta.get("namespace") or "")
        if not namespace and kind not in CLUSTER_SCOPED:
            namespace = "default"
            doc = {**doc, "metadata": {**meta, "namespace": "default"}}
        name = str(meta.get("name") or "")
        key = (str(doc.get("apiVersion", "")), kind, namespace, name)
        if key in seen:
            continue  # the CLI drops duplicates with a warning
        seen.add(key)
        out.append(_Object(doc, name, namespace, kind))
    return out


def read_test(path: Path) -> dict[str, Any]:
    """Read and check a ``kyverno-test.yaml`` (schema ``cli.kyverno.io/v1alpha1`` Test)."""
    test = yamlio.load_file(path)
    if not isinstance(test, dict) or test.get("kind", "Test") != "Test":
        raise InputError("expected a cli.kyverno.io Test document", path, 1)
    if "apiVersion" not in test or "kind" not in test or "name" in test:
        # Rejected by the Kyverno CLI since v1.15 (kyverno/kyverno#8928).
        raise InputError(
            "deprecated test schema (no apiVersion/kind, or a top-level name): "
            "`kyverno fix test` rewrites it",
            path,
            1,
        )
    if not isinstance(test.get("results") or [], list):
        raise InputError("results must be a list", path)
    return test


def load_suite(path: Path, test: Mapping[str, Any]) -> _Suite:
    """Load everything a test names: policies, resources, values, user info, CEL context."""
    base = path.parent
    documents = _load_docs(base, _as_list(test.get("policies")))
    policies = [d for d in documents if d.get("kind") not in ("ValidatingAdmissionPolicyBinding",)]
    bindings = [d for d in documents if d.get("kind") == "ValidatingAdmissionPolicyBinding"]
    objects = _objects(_load_docs(base, _as_list(test.get("resources"))))
    values: dict[str, Any] = {}
    if test.get("variables"):
        loaded = yamlio.load_file(base / str(test["variables"]))
        values = loaded if isinstance(loaded, dict) else {}
    if isinstance(test.get("values"), dict):
        values = {**test["values"], **values}
    user_info: dict[str, Any] = {}
    if test.get("userinfo"):
        loaded = yamlio.load_file(base / str(test["userinfo"]))
        if isinstance(loaded, dict):
            user_info = dict(loaded.get("userInfo") or {})
            user_info["roles"] = list(loaded.get("roles") or [])
            user_info["clusterRoles"] = list(loaded.get("clusterRoles") or [])
    cel_context = None
    if test.get("context"):
        cel_context = _load_cel_context(base / str(test["context"]))
    params = _load_docs(base, _as_list(test.get("paramResources")))
    exceptions = [d for d in _load_docs(base, _as_list(test.get("exceptions"))) if is_exception(d)]
    return _Suite(
        path, policies, objects, values, user_info, cel_context, bindings, params, exceptions
    )


def _load_cel_context(path: Path) -> Any:
    try:
        from gitopspol.engines import vpol
    except ImportError:
        return None
    loader = getattr(vpol, "load_context", None)
    return loader(path) if loader is not None else None


def _policy_values(values: Mapping[str, Any], policy: str) -> Mapping[str, Any]:
    for entry in values.get("policies") or []:
        if isinstance(entry, dict) and entry.get("name") == policy:
            return entry
    return {}


def _namespace_object(suite: _Suite, namespace: str) -> dict[str, Any] | None:
    """The Namespace of ``namespace``: values ``namespaces``, then the test's resources,
    then a Namespace built from the values ``namespaceSelector`` labels."""
    if not namespace:
        return None
    for ns in suite.values.get("namespaces") or []:
        if isinstance(ns, dict) and _metadata(ns).get("name") == namespace:
            return ns
    for obj in suite.objects:
        if obj.kind == "Namespace" and obj.name == namespace:
            return obj.doc
    labels: dict[str, Any] = {}
    for entry in suite.values.get("namespaceSelector") or []:
        if isinstance(entry, dict) and entry.get("name") == namespace:
            labels = _mapping(entry.get("labels"))
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": labels},
    }


def _namespace_labels(suite: _Suite, namespace: str) -> dict[str, str]:
    ns = _namespace_object(suite, namespace)
    return _mapping(_metadata(ns).get("labels"))


def _inputs_for(suite: _Suite, policy: Mapping[str, Any], obj: _Object) -> tuple[Inputs, str]:
    name = str(_metadata(policy).get("name", ""))
    variables: dict[str, Any] = dict(suite.values.get("globalValues") or {})
    entry = _policy_values(suite.values, name)
    for res in entry.get("resources") or []:
        if isinstance(res, dict) and res.get("name") == obj.name:
            variables.update(res.get("values") or {})
    rule_values = {
        str(r.get("name")): dict(r.get("values") or {})
        for r in entry.get("rules") or []
        if isinstance(r, dict)
    }
    foreach_values = {
        str(r.get("name")): dict(r.get("foreachValues") or {})
        for r in entry.get("rules") or []
        if isinstance(r, dict) and r.get("foreachValues")
    }
    operation = str(variables.get("request.operation") or "CREATE").upper()
    inputs = Inputs(
        variables=variables,
        rule_values=rule_values,
        foreach_values=foreach_values,
        namespace_labels=_namespace_labels(suite, obj.namespace),
        cel_context=suite.cel_context,
        exceptions=suite.exceptions,
    )
    return inputs, operation


def _request(suite: _Suite, obj: _Object, operation: str) -> AdmissionRequest:
    new: dict[str, Any] | None = obj.doc
    old: dict[str, Any] | None = None
    if operation == "UPDATE":
        old = obj.doc
    elif operation == "DELETE":
        new, old = None, obj.doc
    return AdmissionRequest(
        object=new,
        old_object=old,
        operation=operation,
        namespace_object=_namespace_object(suite, obj.namespace),
        user_info=suite.user_info,
    )


def _evaluate(
    suite: _Suite, policy_index: int, object_index: int, operation: str | None
) -> list[RuleResult]:
    """The responses of one policy for one object (cached per operation)."""
    key = (policy_index, object_index, operation)
    cached = suite.cache.get(key)
    if cached is not None:
        return cached
    policy = suite.policies[policy_index]
    obj = suite.objects[object_index]
    inputs, default_operation = _inputs_for(suite, policy, obj)
    if operation is not None:
        inputs = replace(inputs, variables={**inputs.variables, "request.operation": operation})
    request = _request(suite, obj, operation or default_operation)
    kind = str(policy.get("kind", ""))
    group = str(policy.get("apiVersion", "")).split("/")[0]
    name = str(_metadata(policy).get("name", ""))
    results: list[RuleResult]
    if group == "kyverno.io" and kind in _CLASSIC:
        if suite.policy_set is None:
            suite.policy_set = PolicySet(suite.policies)
        results = suite.policy_set.evaluate(request, inputs, only=(policy_index,))
    elif kind in _VPOL or kind in _VAP:
        results = _evaluate_cel_policy(suite, policy, request, kind)
    elif kind in _UNEVALUATED:
        results = [
            RuleResult("kyverno", name, None, Status.NOT_EVALUATED, f"{kind} is not evaluated")
        ]
    else:
        results = []
    suite.cache[key] = results
    return results


def _evaluate_cel_policy(
    suite: _Suite, policy: dict[str, Any], request: AdmissionRequest, kind: str
) -> list[RuleResult]:
    name = str(_metadata(policy).get("name", ""))
    try:
        from gitopspol.engines import vpol
    except ImportError:
        return [
            RuleResult(
                "vpol",
                name,
                None,
                Status.ERROR,
                "the CEL engine (gitopspol.engines.vpol) is not available",
            )
        ]
    try:
        if kind in _VAP:
            bindings: list[dict[str, Any] | None] = [
                b for b in suite.bindings if (b.get("spec") or {}).get("policyName") == name
            ]
            results: list[RuleResult] = []
            for binding in bindings or [None]:
                results.extend(
                    vpol.evaluate_vap(
                        policy, binding, request, params=suite.params, context=suite.cel_context
                    )
                )
            return results
        return list(
            vpol.evaluate_validating_policy(policy, request, params=None, context=suite.cel_context)
        )
    except GitopspolError as exc:
        return [RuleResult("vpol", name, None, Status.ERROR, exc.message)]
    except (AttributeError, TypeError) as exc:
        return [RuleResult("vpol", name, None, Status.ERROR, f"CEL engine API mismatch: {exc}")]


def _rule_names(rule: str) -> set[str]:
    base = rule.removeprefix("autogen-cronjob-").removeprefix("autogen-")
    return {rule, f"autogen-{base}", f"autogen-cronjob-{base}"} if rule == base else {rule}


def _actual(responses: list[RuleResult]) -> tuple[str, str]:
    """The status the selected responses give; ``not evaluated`` and ``error`` win."""
    if not responses:
        return "skip", (
            "no rule response: the rule does not apply to this resource "
            "(kyverno test counts such a line as passed, kyverno/kyverno#9804)"
        )
    for status in (Status.NOT_EVALUATED, Status.ERROR, Status.FAIL, Status.PASS):
        for response in responses:
            if response.status is status:
                return status.value, response.message
    return responses[0].status.value, responses[0].message


@dataclass(frozen=True, slots=True)
class _Expectation:
    """One resource of one result line."""

    policy: str
    rule: str | None
    resource: str  # as written: "name" or "namespace/name"
    expected: str
    operation: str | None  # per-result operation (CLI 1.18+), else the values file's


def _expectations(test: Mapping[str, Any]) -> list[_Expectation]:
    """Every resource of every result line, in file order."""
    out: list[_Expectation] = []
    for line in test.get("results") or []:
        if not isinstance(line, dict):
            continue
        # "namespace/name" names a namespaced Policy; only the name is compared.
        pname = str(line.get("policy", "")).rsplit("/", 1)[-1]
        rule = str(line["rule"]) if line.get("rule") else None
        expected = str(line.get("result") or line.get("status") or "").lower()
        operation = str(line["operation"]).upper() if line.get("operation") else None
        resources = _as_list(line.get("resources"))
        if not resources and line.get("resource"):
            resources = [line["resource"]]
        out.extend(_Expectation(pname, rule, str(r), expected, operation) for r in resources)
    return out


def run_suite(path: Path) -> list[SuiteResult]:
    """Run one ``kyverno-test.yaml``; one result per (result line, resource name).

    A test file that cannot be read raises :class:`InputError`. When a file it names (policy,
    resources, values) cannot be loaded, every line of the test is reported as ``error``
    with the reason, and the other suites still run.
    """
    test = read_test(path)
    expectations = _expectations(test)
    try:
        suite = load_suite(path, test)
    except GitopspolError as exc:
        return [
            SuiteResult(
                str(path), e.policy, e.rule, e.resource, e.expected, "error", False, exc.located()
            )
            for e in expectations
        ]
    policy_index: dict[str, list[int]] = {}
    for index, policy in enumerate(suite.policies):
        pname = str(_metadata(policy).get("name", ""))
        policy_index.setdefault(pname, []).append(index)
    return [_check(suite, policy_index.get(e.policy, []), e) for e in expectations]


def _check(suite: _Suite, policies: list[int], line: _Expectation) -> SuiteResult:
    """Evaluate one expected result: every object the written name selects must agree."""
    namespace, _, name = line.resource.rpartition("/")
    selected = [
        i
        for i, obj in enumerate(suite.objects)
        if obj.name == name and (not namespace or obj.namespace == namespace)
    ]

    def result(actual: str, detail: str = "") -> SuiteResult:
        return SuiteResult(
            str(suite.path),
            line.policy,
            line.rule,
            line.resource,
            line.expected,
            actual,
            actual == line.expected,
            detail,
        )

    if not policies:
        return result("error", f"policy {line.policy} is not in the test's policies")
    if not selected:
        return result("error", f"resource {line.resource} is not in the test's resources")
    per_object = [
        [
            response
            for p_index in policies
            for response in _evaluate(suite, p_index, obj_index, line.operation)
            if line.rule is None or response.rule is None or response.rule in _rule_names(line.rule)
        ]
        for obj_index in selected
    ]
    # A name may select several objects (a Role and a ClusterRole named alike, one result
    # line per kind): the objects the policy says nothing about do not count, unless none
    # of them gets a response.
    answered = [responses for responses in per_object if responses] or per_object[:1]
    statuses = [_actual(responses) for responses in answered]
    for actual, detail in statuses:
        if actual != line.expected:
            return result(actual, detail)
    return result(statuses[0][0], "")
