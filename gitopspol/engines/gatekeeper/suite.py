"""gator ``Suite`` files (``test.gatekeeper.sh/v1alpha1``), run as ``gator verify`` runs them.

For each test: compile the template, read the constraint (its kind must be the template's,
its parameters must satisfy the template schema; ``invalid: true`` expects them not to),
then review each case's object at the ``gator.gatekeeper.sh`` enforcement point and check
every assertion. An assertion counts the results (violations, evaluation errors and
autorejects alike) whose ``msg`` matches its ``message`` (Go RE2, unanchored, case-sensitive;
all results when unset) and compares that with ``violations``: ``yes`` (>= 1), ``no`` (0)
or an exact number. Suites are read as YAML 1.2, so ``yes``/``no`` are strings (yamlio).

There is one :class:`SuiteResult` per assertion (``resource`` is ``<test>/<case>``).
Problems with a test or case (missing file, template that does not compile) become results
with ``actual: error`` and a located ``detail``, as gator reports them, instead of aborting.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopspol import yamlio
from gitopspol.engines.admission import RuleResult, Status
from gitopspol.engines.gatekeeper import GATOR_POINT, constraint_id, review_constraints
from gitopspol.engines.gatekeeper.review import inventory, review_of_object
from gitopspol.engines.gatekeeper.template import (
    CompiledTemplate,
    compile_template,
    constraint_parameters,
)
from gitopspol.engines.suite import SuiteResult
from gitopspol.errors import GitopspolError, InputError, PolicyError

SUITE_GROUP = "test.gatekeeper.sh"


@dataclass(frozen=True, slots=True)
class Assertion:
    """One ``assertions[]`` entry: ``violations`` is ``"yes"``, ``"no"`` or a count."""

    violations: str | int
    message: str | None

    def describe(self) -> str:
        text = f"violations: {self.violations}"
        return f"{text}, message: {self.message}" if self.message else text

    def count(self, messages: list[str]) -> int:
        """How many result messages this assertion counts."""
        if not self.message:
            return len(messages)
        pattern = _regex(self.message)
        return sum(1 for m in messages if pattern.search(m))

    def holds(self, count: int) -> bool:
        if self.violations == "yes":
            return count > 0
        if self.violations == "no":
            return count == 0
        return count == self.violations


@functools.lru_cache(maxsize=1024)
def _regex(pattern: str) -> Any:
    """Go ``regexp`` semantics (RE2), as gator's ``regexp.MatchString``."""
    import re2

    try:
        return re2.compile(pattern)
    except re2.error as exc:
        raise PolicyError(f"invalid message regex {pattern!r}: {exc}") from None


def _parse_assertion(raw: Any, where: str) -> Assertion:
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: an assertion must be a mapping")
    value = raw.get("violations", "yes")
    if value is None:
        value = "yes"
    # gator reads an IntOrString: a quoted "2" is a string, and only "yes"/"no" are valid;
    # `true` is neither (the suites are YAML 1.2: unquoted yes/no are strings).
    valid = value in ("yes", "no") or (isinstance(value, int) and not isinstance(value, bool))
    if not valid or (isinstance(value, int) and value < 0):
        raise InputError(f"{where}: violations must be yes, no or a number >= 0, got {value!r}")
    message = raw.get("message")
    return Assertion(value, str(message) if message else None)


def _objects(path: Path) -> list[dict[str, Any]]:
    docs = [doc for doc in yamlio.load_all_file(path) if doc is not None]
    if not docs:
        raise InputError("defines no YAML objects", path)
    for doc in docs:
        if not isinstance(doc, dict):
            raise InputError("expected Kubernetes objects (mappings)", path)
    return docs


def _one_object(path: Path, what: str) -> dict[str, Any]:
    docs = _objects(path)
    if len(docs) != 1:
        raise InputError(f"{what} file must contain exactly one object, found {len(docs)}", path)
    return docs[0]


def _review(obj: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """The AdmissionRequest for a case object; an AdmissionReview's request is used as-is.

    As gator (``util.SetObjectOnDelete``), a DELETE request without ``object`` reviews its
    ``oldObject`` as ``object``.
    """
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    if obj.get("kind") != "AdmissionReview" or group != "admission.k8s.io":
        return review_of_object(obj)
    request = obj.get("request")
    if not isinstance(request, dict):
        raise InputError("AdmissionReview has no request", path)
    if not request.get("object") and not request.get("oldObject"):
        raise InputError('AdmissionRequest has no "object" or "oldObject" to review', path)
    if request.get("operation") == "DELETE" and not request.get("object"):
        request = {**request, "object": request["oldObject"]}
    return request


def _case_label(test: str, case: Any, index: int) -> str:
    """``<test>/<case name>`` (``cases[i]`` for a case without a name)."""
    name = case.get("name") if isinstance(case, Mapping) else None
    return f"{test}/{name or f'cases[{index}]'}"


def _relative(base: Path, value: Any, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise InputError(f"{where} must be a file path")
    return base / value


class _Suite:
    """One suite file being run; collects the results."""

    def __init__(self, path: Path, prefer_cel: bool) -> None:
        self.path = path
        self.base = path.parent
        self.prefer_cel = prefer_cel
        self.results: list[SuiteResult] = []

    def add(
        self,
        policy: str,
        rule: str | None,
        resource: str,
        expected: str,
        actual: str,
        ok: bool,
        detail: str = "",
    ) -> None:
        self.results.append(
            SuiteResult(str(self.path), policy, rule, resource, expected, actual, ok, detail)
        )

    def fail_cases(self, test: Mapping[str, Any], name: str, cases: list[Any], detail: str) -> None:
        """One ``error`` result per case of a test that cannot run (one for a test without cases)."""
        policy = str(test.get("constraint", ""))
        for index, case in enumerate(cases or [{}]):
            label = _case_label(name, case, index)
            self.add(policy, None, label, "violations", "error", False, detail)

    def run(self, suite: Mapping[str, Any]) -> None:
        tests = suite.get("tests") or []
        if not isinstance(tests, list):
            raise InputError("tests must be a list", self.path)
        for index, test in enumerate(tests):
            if not isinstance(test, Mapping):
                raise InputError(f"tests[{index}] must be a mapping", self.path)
            self.run_test(test, str(test.get("name") or f"tests[{index}]"), bool(suite.get("skip")))

    def _load_test(
        self, test: Mapping[str, Any], name: str
    ) -> tuple[CompiledTemplate, dict[str, Any]]:
        template_path = _relative(self.base, test.get("template"), f"{name}: template")
        constraint_path = _relative(self.base, test.get("constraint"), f"{name}: constraint")
        compiled = compile_template(
            _one_object(template_path, "template"), prefer_cel=self.prefer_cel, source=template_path
        )
        constraint = _one_object(constraint_path, "constraint")
        if constraint.get("kind") != compiled.template.kind:
            raise PolicyError(
                f"constraint kind {constraint.get('kind')!r} is not the template's kind"
                f" {compiled.template.kind!r}",
                constraint_path,
            )
        return compiled, constraint

    def run_test(self, test: Mapping[str, Any], name: str, skip: bool) -> None:
        cases = test.get("cases") or []
        if not isinstance(cases, list):
            raise InputError(f"{name}: cases must be a list", self.path)
        if test.get("expansion") and not (skip or test.get("skip")):
            detail = f"{self.path}: {name}: expansion (ExpansionTemplate) is not supported"
            self.fail_cases(test, name, cases, detail)
            return
        if skip or test.get("skip"):
            for index, case in enumerate(cases):
                self.add("", None, _case_label(name, case, index), "skip", "skip", True)
            return
        try:
            compiled, constraint = self._load_test(test, name)
        except GitopspolError as exc:
            self.fail_cases(test, name, cases, exc.located())
            return
        policy, rule = constraint_id(constraint), compiled.template.name
        parameters = constraint_parameters(constraint)
        if test.get("invalid"):
            try:
                compiled.validate_parameters(policy, {} if parameters is None else parameters)
            except PolicyError as exc:
                self.add(policy, rule, name, "invalid", "invalid", True, exc.message)
            else:
                self.add(
                    policy,
                    rule,
                    name,
                    "invalid",
                    "valid",
                    False,
                    "constraint passed schema validation",
                )
            return
        seen: set[str] = set()
        for index, case in enumerate(cases):
            label = _case_label(name, case, index)
            if label in seen:  # case names may repeat within a test
                label = f"{label}[{index}]"
            seen.add(label)
            self.run_case(compiled, constraint, case, label, policy, rule)

    def run_case(
        self,
        compiled: CompiledTemplate,
        constraint: dict[str, Any],
        case: Any,
        resource: str,
        policy: str,
        rule: str,
    ) -> None:
        if not isinstance(case, Mapping):
            self.add(
                policy, rule, resource, "violations", "error", False, "a case must be a mapping"
            )
            return
        raw_assertions = case.get("assertions") or []
        if case.get("skip"):
            self.add(policy, rule, resource, "skip", "skip", True)
            return
        try:
            if not isinstance(raw_assertions, list) or not raw_assertions:
                raise InputError(f"{resource}: assertions must be a non-empty list", self.path)
            assertions = [
                _parse_assertion(raw, f"{resource}: assertions[{i}]")
                for i, raw in enumerate(raw_assertions)
            ]
            object_path = _relative(self.base, case.get("object"), f"{resource}: object")
            review = _review(_one_object(object_path, "object"), object_path)
            inventory_objects = [
                obj
                for item in case.get("inventory") or []
                for obj in _objects(_relative(self.base, item, f"{resource}: inventory"))
            ]
            results = review_constraints(
                {compiled.template.kind: compiled},
                [constraint],
                review,
                data={"inventory": inventory(inventory_objects)} if inventory_objects else None,
                enforcement_point=GATOR_POINT,
            )
        except GitopspolError as exc:
            self.add(policy, rule, resource, "violations", "error", False, exc.located())
            return
        messages = [r.message for r in results if r.status in (Status.FAIL, Status.ERROR)]
        for assertion in assertions:
            try:
                count = assertion.count(messages)
            except PolicyError as exc:
                self.add(policy, rule, resource, assertion.describe(), "error", False, exc.message)
                continue
            ok = assertion.holds(count)
            self.add(
                policy,
                rule,
                resource,
                assertion.describe(),
                f"violations: {count}",
                ok,
                "" if ok else _detail(results),
            )


def _detail(results: list[RuleResult]) -> str:
    messages = [f"{r.status.value}: {r.message}" for r in results if r.message]
    return "; ".join(messages)[:500]


def run_suite(path: Path, *, prefer_cel: bool = True) -> list[SuiteResult]:
    """Run one gator Suite file; one :class:`SuiteResult` per assertion.

    ``prefer_cel`` is gator's ``--enable-k8s-native-validation`` (on by default). Raises
    :class:`InputError` only when the suite file itself cannot be read.
    """
    runner = _Suite(path, prefer_cel)
    for doc in yamlio.load_all_file(path):
        if (
            isinstance(doc, dict)
            and str(doc.get("apiVersion", "")).split("/")[0] == SUITE_GROUP
            and doc.get("kind") == "Suite"
        ):
            runner.run(doc)
    return runner.results
