"""One rendered tier as a cluster's admission chain: split by engine, prepared once, evaluated often.

:func:`prepare_tier` sorts a tier's rendered objects into engines (Kyverno ClusterPolicy/Policy
and PolicyException, Kyverno ValidatingPolicy, ValidatingAdmissionPolicy with its bindings,
Gatekeeper templates (compiled once) and constraints, Namespaces with Pod Security labels,
Kubewarden policies and policy groups with the local module files they may run).
:func:`evaluate_tier` runs every engine present on one request and combines the answers into
the :class:`Admission` the cluster would give: deny beats warn beats audit beats allow.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopspol.behaviour.cases import Verdict, strongest
from gitopspol.engines.admission import AdmissionRequest, RuleResult, Status
from gitopspol.errors import PolicyError

if TYPE_CHECKING:
    from gitopspol.behaviour.cache import ResultCache
    from gitopspol.engines.gatekeeper.template import CompiledTemplate
    from gitopspol.engines.kyverno.engine import PolicySet

PSA_LABEL = "pod-security.kubernetes.io/"
KUBEWARDEN_GROUP = "policies.kubewarden.io"
#: Label the API server puts on every Namespace (Kubernetes 1.21+).
NAME_LABEL = "kubernetes.io/metadata.name"
#: Annotation naming the control a policy implements (comma-separated for several).
CONTROL_ANNOTATION = "gitopspol.io/control"
#: Controls of well-known policies that carry no annotation: ``engine:name`` (Kyverno and
#: ValidatingPolicy names, Gatekeeper constraint kinds) -> control. Kyverno ``podSecurity``
#: rules and PSA modes map to ``pod-security-<level>`` from their level.
BUILTIN_CONTROLS: Mapping[str, str] = {
    "kyverno:restrict-image-registries": "trusted-registries",
    "kyverno:allowed-image-registries": "trusted-registries",
    "gatekeeper:K8sAllowedRepos": "trusted-registries",
    "gatekeeper:K8sPSSBaseline": "pod-security-baseline",
    "gatekeeper:K8sPSSRestricted": "pod-security-restricted",
    "kyverno:disallow-privileged-containers": "disallow-privileged",
    "gatekeeper:K8sPSPPrivilegedContainer": "disallow-privileged",
    "kyverno:disallow-host-namespaces": "disallow-host-namespaces",
    "gatekeeper:K8sPSPHostNamespace": "disallow-host-namespaces",
    # Kubewarden: by module (``engine:`` + the reference without scheme, tag and digest).
    "kubewarden:ghcr.io/kubewarden/policies/trusted-repos": "trusted-registries",
    "kubewarden:ghcr.io/kubewarden/policies/pod-privileged": "disallow-privileged",
    "kubewarden:ghcr.io/kubewarden/policies/host-namespaces-psp": "disallow-host-namespaces",
}


def effect(result: RuleResult) -> Verdict:
    """What one engine result does to the request.

    A FAIL takes its strongest action; a FAIL without action (PSA enforce on a workload, whose
    Pods would be rejected but which is itself admitted) does nothing. An ERROR takes its
    actions too (Gatekeeper autoreject, VAP failurePolicy Fail); without actions it is
    reported (``audit``), never silently passed.
    """
    if result.status not in (Status.FAIL, Status.ERROR):
        return Verdict.ALLOW
    if result.actions:
        return Verdict.of(max(result.actions, key=lambda a: a.rank))
    return Verdict.AUDIT if result.status is Status.ERROR else Verdict.ALLOW


def policy_key(result: RuleResult) -> str:
    """``engine:policy``, the key of per-policy expectations and agreement reports."""
    return f"{result.engine}:{result.policy}"


@dataclass(frozen=True, slots=True)
class Admission:
    """The admission verdict of one request (or the requests of one case) and every result."""

    verdict: Verdict
    results: tuple[RuleResult, ...] = ()

    @property
    def deciding(self) -> tuple[RuleResult, ...]:
        """The results that give the verdict (empty for ``allow``)."""
        if self.verdict is Verdict.ALLOW:
            return ()
        return tuple(r for r in self.results if effect(r) is self.verdict)

    @property
    def reported(self) -> tuple[RuleResult, ...]:
        """Every result that has an effect (audit, warn or deny), strongest first."""
        hits = [r for r in self.results if effect(r) is not Verdict.ALLOW]
        return tuple(sorted(hits, key=lambda r: -effect(r).rank))

    @property
    def errors(self) -> tuple[RuleResult, ...]:
        """Results an engine could not evaluate."""
        return tuple(r for r in self.results if r.status is Status.ERROR)

    def engines(self) -> tuple[str, ...]:
        """The engines that decided, in first-seen order."""
        return tuple(dict.fromkeys(r.engine for r in self.deciding))

    def policy_verdicts(self) -> dict[str, Verdict]:
        """``engine:policy`` -> the strongest effect of that policy's results."""
        out: dict[str, Verdict] = {}
        for r in self.results:
            key = policy_key(r)
            out[key] = strongest([out.get(key, Verdict.ALLOW), effect(r)])
        return out

    def policy_verdict(self, name: str) -> Verdict | None:
        """The verdict of policy ``name`` (``engine:policy`` or a bare policy name).

        None when no engine evaluated a policy of that name.
        """
        verdicts = self.policy_verdicts()
        if name in verdicts:
            return verdicts[name]
        found = [v for key, v in verdicts.items() if key.partition(":")[2] == name]
        return strongest(found) if found else None


def combine(admissions: Iterable[Admission]) -> Admission:
    """One admission for several requests: the strongest verdict, all the results."""
    items = list(admissions)
    return Admission(
        strongest([a.verdict for a in items]),
        tuple(r for a in items for r in a.results),
    )


def admission_of(results: Iterable[RuleResult]) -> Admission:
    """Combine engine results into the verdict the cluster gives."""
    kept = tuple(results)
    return Admission(strongest([effect(r) for r in kept]), kept)


@dataclass(frozen=True, slots=True)
class PreparedTier:
    """A tier's policies sorted by engine, compiled once; see :func:`prepare_tier`."""

    name: str
    kyverno: tuple[dict[str, Any], ...] = ()
    exceptions: tuple[dict[str, Any], ...] = ()
    validating_policies: tuple[dict[str, Any], ...] = ()
    vap_bindings: tuple[tuple[dict[str, Any], dict[str, Any]], ...] = ()
    params: tuple[dict[str, Any], ...] = ()
    templates: Mapping[str, CompiledTemplate] = field(default_factory=dict)
    constraints: tuple[dict[str, Any], ...] = ()
    namespaces: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    #: ``engine:policy`` -> the controls it implements (annotation or built-in mapping).
    controls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Kubewarden policies and policy groups.
    kubewarden: tuple[dict[str, Any], ...] = ()
    #: Kubewarden module reference -> local file (gitopspol.yaml ``kubewarden.modules``).
    kubewarden_modules: Mapping[str, Path] = field(default_factory=dict)
    #: Where ``file://`` modules and relative module files are (the repository root).
    base_dir: Path = Path(".")
    #: ``kyverno`` prepared for evaluation (same order).
    kyverno_set: PolicySet | None = None
    #: What is prepared on first use (Gatekeeper constraints, whose errors are the first
    #: request's).
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def engines(self) -> tuple[str, ...]:
        """The engines this tier has policies for."""
        present = (
            ("psa", self.psa),
            ("kyverno", bool(self.kyverno)),
            ("vpol", bool(self.validating_policies)),
            ("vap", bool(self.vap_bindings)),
            ("gatekeeper", bool(self.constraints)),
            ("kubewarden", bool(self.kubewarden)),
        )
        return tuple(name for name, on in present if on)

    @property
    def psa(self) -> bool:
        """Whether any rendered Namespace carries Pod Security labels."""
        return any(_psa_labels(ns) for ns in self.namespaces.values())

    def namespace_object(self, name: str) -> dict[str, Any] | None:
        """The Namespace ``name`` as the cluster holds it (None for cluster-scoped requests).

        The rendered Namespace, or a bare one when the tier does not render it, with the
        ``kubernetes.io/metadata.name`` label the API server sets on every Namespace (which
        ``namespaceSelector`` policies rely on).
        """
        if not name:
            return None
        rendered = self.namespaces.get(name) or {"apiVersion": "v1", "kind": "Namespace"}
        meta = dict(_meta(rendered))
        raw = meta.get("labels")
        labels = dict(raw) if isinstance(raw, Mapping) else {}
        labels[NAME_LABEL] = name
        return {**rendered, "metadata": {**meta, "name": name, "labels": labels}}


def _meta(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = doc.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _psa_labels(ns: Mapping[str, Any]) -> bool:
    labels = _meta(ns).get("labels") or {}
    return isinstance(labels, Mapping) and any(str(k).startswith(PSA_LABEL) for k in labels)


def _kubewarden_policy(kind: str) -> bool:
    """Whether a kind of ``policies.kubewarden.io`` is a policy or group (not a PolicyServer)."""
    from gitopspol.engines.kubewarden import GROUP_KINDS, POLICY_KINDS

    return kind in POLICY_KINDS | GROUP_KINDS


def _group(doc: Mapping[str, Any]) -> str:
    api = str(doc.get("apiVersion", ""))
    return api.rpartition("/")[0] if "/" in api else ""


def _data(item: Any) -> dict[str, Any] | None:
    """The object of a rendered item: a dict, or a renderer Resource (its ``.data``)."""
    data = item if isinstance(item, dict) else getattr(item, "data", None)
    return data if isinstance(data, dict) else None


def _controls_of(key: str, doc: Mapping[str, Any], builtin_key: str) -> tuple[str, ...]:
    annotations = _meta(doc).get("annotations") or {}
    declared = annotations.get(CONTROL_ANNOTATION) if isinstance(annotations, Mapping) else None
    if declared:
        return tuple(c.strip() for c in str(declared).split(",") if c.strip())
    found: list[str] = []
    if builtin_key in BUILTIN_CONTROLS:
        found.append(BUILTIN_CONTROLS[builtin_key])
    if key.startswith("kyverno:"):
        for rule in (doc.get("spec") or {}).get("rules") or []:
            pss = ((rule or {}).get("validate") or {}).get("podSecurity")
            if isinstance(pss, Mapping) and pss.get("level"):
                found.append(f"pod-security-{pss['level']}")
    return tuple(dict.fromkeys(found))


def prepare_tier(
    rendered: Iterable[Any],
    name: str = "",
    *,
    kubewarden_modules: Mapping[str, Path] | None = None,
    base_dir: Path = Path("."),
) -> PreparedTier:
    """Sort a rendered tier (dicts, or renderer Resources) by engine; compile Gatekeeper once.

    Kubewarden policies run the local module files ``kubewarden_modules`` maps their module
    references to (relative to ``base_dir``, as ``file://`` modules are); a policy without
    one is reported "not evaluated" on every request it matches.

    Raises :class:`PolicyError` when a ConstraintTemplate does not compile or a constraint
    has no template: the tier cannot be evaluated.
    """
    kyverno: list[dict[str, Any]] = []
    exceptions: list[dict[str, Any]] = []
    vpols: list[dict[str, Any]] = []
    vaps: dict[str, dict[str, Any]] = {}
    bindings: list[dict[str, Any]] = []
    templates: list[dict[str, Any]] = []
    constraints: list[dict[str, Any]] = []
    namespaces: dict[str, dict[str, Any]] = {}
    others: list[dict[str, Any]] = []
    kubewarden: list[dict[str, Any]] = []
    controls: dict[str, tuple[str, ...]] = {}
    for item in rendered:
        doc = _data(item)
        if doc is None:
            continue
        group, kind = _group(doc), str(doc.get("kind", ""))
        meta_name = str(_meta(doc).get("name", ""))
        if group == "kyverno.io" and kind in ("ClusterPolicy", "Policy"):
            kyverno.append(doc)
            ns = _meta(doc).get("namespace")
            key = f"kyverno:{ns}/{meta_name}" if kind == "Policy" and ns else f"kyverno:{meta_name}"
            controls[key] = _controls_of(key, doc, f"kyverno:{meta_name}")
        elif group == "kyverno.io" and kind == "PolicyException":
            exceptions.append(doc)
        elif group == "policies.kyverno.io" and kind in (
            "ValidatingPolicy",
            "NamespacedValidatingPolicy",
        ):
            vpols.append(doc)
            controls[f"vpol:{meta_name}"] = _controls_of(
                f"vpol:{meta_name}", doc, f"kyverno:{meta_name}"
            )
        elif group == "admissionregistration.k8s.io" and kind == "ValidatingAdmissionPolicy":
            vaps[meta_name] = doc
            controls[f"vap:{meta_name}"] = _controls_of(f"vap:{meta_name}", doc, "")
        elif group == "admissionregistration.k8s.io" and kind == "ValidatingAdmissionPolicyBinding":
            bindings.append(doc)
        elif group == "templates.gatekeeper.sh" and kind == "ConstraintTemplate":
            templates.append(doc)
        elif group == "constraints.gatekeeper.sh":
            constraints.append(doc)
            key = f"gatekeeper:{kind}/{meta_name}"
            controls[key] = _controls_of(key, doc, f"gatekeeper:{kind}")
        elif group == "" and kind == "Namespace":
            namespaces[meta_name] = doc
        elif group == KUBEWARDEN_GROUP and _kubewarden_policy(kind):
            from gitopspol.engines.kubewarden import module_name

            kubewarden.append(doc)
            # Named as the engine names its results: namespace/name for the namespaced kinds.
            ns = _meta(doc).get("namespace")
            key = f"kubewarden:{ns}/{meta_name}" if kind.startswith("Admission") and ns else ""
            key = key or f"kubewarden:{meta_name}"
            spec = doc.get("spec")
            module = module_name(spec.get("module")) if isinstance(spec, Mapping) else ""
            controls[key] = _controls_of(key, doc, f"kubewarden:{module}")
        else:
            others.append(doc)
    compiled: dict[str, CompiledTemplate] = {}
    if templates or constraints:
        from gitopspol.engines.gatekeeper import compile_templates

        try:
            compiled = compile_templates(templates)
        except PolicyError as exc:
            raise PolicyError(f"tier {name}: {exc.message}", exc.file, exc.line) from None
        for constraint in constraints:
            if str(constraint.get("kind", "")) not in compiled:
                raise PolicyError(
                    f"tier {name}: constraint {constraint.get('kind')}/"
                    f"{_meta(constraint).get('name', '')}: no ConstraintTemplate defines its kind"
                )
    kyverno_set = None
    if kyverno:
        from gitopspol.engines.kyverno import prepare

        kyverno_set = prepare(kyverno)
    pairs = []
    for binding in bindings:
        policy = vaps.get(str((binding.get("spec") or {}).get("policyName", "")))
        if policy is not None:  # a binding of a policy the tier does not render does nothing
            pairs.append((policy, binding))
    return PreparedTier(
        name=name,
        kyverno=tuple(kyverno),
        exceptions=tuple(exceptions),
        validating_policies=tuple(vpols),
        vap_bindings=tuple(pairs),
        params=tuple(others),
        templates=compiled,
        constraints=tuple(constraints),
        namespaces=namespaces,
        controls=controls,
        kubewarden=tuple(kubewarden),
        kubewarden_modules=dict(kubewarden_modules or {}),
        base_dir=base_dir,
        kyverno_set=kyverno_set,
    )


def _exception_applies(
    exception: Mapping[str, Any], result: RuleResult, request: AdmissionRequest, labels: Any
) -> bool:
    """Whether a Kyverno PolicyException exempts ``result`` (policy/rule names, then match)."""
    from gitopspol.engines.kyverno.match import MatchInput, block_matches

    spec = exception.get("spec") or {}
    named = any(
        fnmatch.fnmatchcase(result.policy, str(entry.get("policyName", "")))
        and any(
            fnmatch.fnmatchcase(result.rule or "", str(rule))
            for rule in entry.get("ruleNames") or []
        )
        for entry in spec.get("exceptions") or []
        if isinstance(entry, Mapping)
    )
    return named and block_matches(spec.get("match"), MatchInput(request, labels))


def _policy_keys(
    tier: PreparedTier, engine: str, parts: Callable[[], list[list[str]]]
) -> list[str]:
    """The result-cache keys of an engine's policies in ``tier`` (computed once per tier)."""
    from gitopspol.behaviour.cache import policy_key

    keys: list[str] | None = tier.memo.get(f"keys:{engine}")
    if keys is None:
        keys = tier.memo[f"keys:{engine}"] = [policy_key(engine, *p) for p in parts()]
    return keys


def _kyverno(
    tier: PreparedTier, request: AdmissionRequest, labels: Mapping[str, str]
) -> list[RuleResult]:
    from gitopspol.behaviour.cache import active_cache
    from gitopspol.engines import kyverno

    policies = tier.kyverno_set or kyverno.prepare(tier.kyverno)
    shared = kyverno.request_input(request, namespace_labels=labels)
    cache = active_cache()
    if cache is not None:  # one cached answer per policy (see gitopspol.behaviour.cache)
        # The labels come from the request's namespace object: in its digest.
        keys = _policy_keys(
            tier, "kyverno", lambda: [[cache.document_digest(p)] for p in tier.kyverno]
        )
        results = _through_cache(
            cache,
            keys,
            cache.document_digest(request),
            lambda only: kyverno.evaluate_each(policies, shared, only=only),
        )
    else:
        results = kyverno.evaluate_prepared(policies, shared)
    if not tier.exceptions:
        return results
    out = []
    for result in results:
        exempt = next(
            (e for e in tier.exceptions if _exception_applies(e, result, request, labels)), None
        )
        if exempt is not None and result.status in (Status.FAIL, Status.ERROR):
            meta = _meta(exempt)
            where = f"{meta.get('namespace')}/{meta.get('name')}" if meta.get("namespace") else ""
            result = dataclasses.replace(
                result,
                status=Status.SKIP,
                message=f"exempted by PolicyException {where or meta.get('name', '')}",
                actions=(),
            )
        out.append(result)
    return out


def _gatekeeper(
    tier: PreparedTier, review: Mapping[str, Any], namespace: dict[str, Any] | None
) -> list[RuleResult]:
    from gitopspol.behaviour.cache import active_cache
    from gitopspol.engines.gatekeeper import prepare_constraints, review_each, review_prepared
    from gitopspol.engines.gatekeeper.review import ReviewInput

    prepared = tier.memo.get("gatekeeper")
    if prepared is None:  # raises for an invalid constraint, on every request
        prepared = tier.memo["gatekeeper"] = prepare_constraints(tier.templates, tier.constraints)
    shared = ReviewInput(review, namespace)  # one input document for every constraint
    cache = active_cache()
    if cache is None:
        return review_prepared(prepared, shared)
    keys = _policy_keys(
        tier,
        "gatekeeper",
        lambda: [
            [cache.document_digest(item.compiled.template), cache.document_digest(item.constraint)]
            for item in prepared
        ],
    )
    return _through_cache(
        cache,
        keys,
        cache.document_digest([review, namespace]),
        lambda only: review_each([prepared[i] for i in only], shared),
    )


def _through_cache(
    cache: ResultCache,
    keys: Sequence[str],
    request: str,
    compute: Callable[[list[int]], list[list[RuleResult]]],
) -> list[RuleResult]:
    """The results of every policy (``keys``, in order) for ``request``: from the cache, and
    ``compute(indexes)`` (one list per policy) for those it does not hold, in one call."""
    answers = [cache.lookup(key, request) for key in keys]
    missing = [i for i, answer in enumerate(answers) if answer is None]
    if missing:
        for index, results in zip(missing, compute(missing), strict=True):
            answers[index] = cache.store(keys[index], request, results)
    return [result for answer in answers if answer for result in answer]


def evaluate_tier(
    tier: PreparedTier | Sequence[Any],
    request: AdmissionRequest,
    *,
    enforce_templates: bool = False,
) -> Admission:
    """What the tier's cluster says about ``request``: every engine present, combined.

    ``tier`` is a :class:`PreparedTier` (prepare once, evaluate many requests) or the
    rendered objects themselves. The request's Namespace comes from the tier's rendered
    Namespaces (PSA labels, Kyverno ``namespaceSelector``, Gatekeeper ``namespaceSelector``);
    a namespace the tier does not render has no labels. ``enforce_templates`` makes PSA
    deny workloads whose Pods it would reject (gitopspol's pre-merge mode, used by
    ``check``). Raises :class:`PolicyError` when a policy cannot be evaluated at all.
    """
    prepared = tier if isinstance(tier, PreparedTier) else prepare_tier(tier)
    namespace = request.namespace
    if request.kind == "Namespace" and not request.group_version[0]:
        namespace = request.name
    ns_object = request.namespace_object or prepared.namespace_object(namespace)
    request = dataclasses.replace(request, namespace_object=ns_object)
    raw_labels = _meta(ns_object or {}).get("labels") or {}
    labels = (
        {str(k): str(v) for k, v in raw_labels.items()} if isinstance(raw_labels, Mapping) else {}
    )
    results: list[RuleResult] = []
    if prepared.psa:
        from gitopspol.engines.psa import admit

        results.extend(admit(request, enforce_templates=enforce_templates))
    if prepared.kyverno:
        results.extend(_kyverno(prepared, request, labels))
    if prepared.validating_policies:
        from gitopspol.engines.vpol import evaluate_validating_policy

        for policy in prepared.validating_policies:
            results.extend(evaluate_validating_policy(policy, request))
    if prepared.vap_bindings:
        from gitopspol.engines.vpol import evaluate_vap

        params = list(prepared.params)
        for policy, binding in prepared.vap_bindings:
            results.extend(evaluate_vap(policy, binding, request, params=params))
    if prepared.constraints:
        from gitopspol.engines.gatekeeper.review import review_of_request

        results.extend(_gatekeeper(prepared, review_of_request(request), ns_object))
    if prepared.kubewarden:
        from gitopspol.engines import kubewarden

        for policy in prepared.kubewarden:
            results.extend(
                kubewarden.evaluate(
                    policy,
                    request,
                    module_paths=prepared.kubewarden_modules,
                    base_dir=prepared.base_dir,
                )
            )
    return admission_of(results)
