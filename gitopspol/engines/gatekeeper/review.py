"""The input Gatekeeper's policies see, and the referential data (``data.inventory``).

Rego reads ``input.review`` (an AdmissionRequest plus ``namespaceObject``) and
``input.parameters`` (the constraint's ``spec.parameters``, ``{}`` when absent); referential
templates read ``data.inventory``. Layout from open-policy-agent/frameworks (Rego driver)
and gatekeeper ``pkg/target``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from gitopspol.engines.admission import AdmissionRequest


def review_of_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The AdmissionRequest gator builds for a plain object (``gator verify``/``gator test``).

    Note the empty ``operation``: gator does not pretend the object is being created.
    """
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    review: dict[str, Any] = {
        "uid": "",
        "kind": {"group": group, "version": version, "kind": str(obj.get("kind", ""))},
        "resource": {"group": "", "version": "", "resource": ""},
        "operation": "",
        "userInfo": {},
        "object": obj,
    }
    if meta.get("name"):
        review["name"] = meta["name"]
    if meta.get("namespace"):
        review["namespace"] = meta["namespace"]
    return review


def review_of_request(request: AdmissionRequest) -> dict[str, Any]:
    """The AdmissionRequest document for a :class:`AdmissionRequest` record."""
    review = review_of_object(request.resource)
    review["operation"] = request.operation
    review["userInfo"] = dict(request.user_info)
    review["object"] = request.object
    if request.old_object is not None:
        review["oldObject"] = request.old_object
    if request.dry_run:
        review["dryRun"] = True
    return review


def reviewed_object(review: Mapping[str, Any]) -> dict[str, Any]:
    """The object that ``spec.match`` tests: ``object``, or ``oldObject`` on DELETE."""
    obj = review.get("object")
    if not isinstance(obj, dict) or not obj:
        obj = review.get("oldObject")
    return obj if isinstance(obj, dict) else {}


def inventory(objects: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``data.inventory``: ``cluster[apiVersion][kind][name]`` or ``namespace[ns][...]``.

    gator cannot tell which kinds are namespaced, so (as gator) an object is namespaced
    exactly when it has ``metadata.namespace``.
    """
    tree: dict[str, Any] = {}
    for obj in objects:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
        assert isinstance(meta, Mapping)
        api, kind, name = (
            str(obj.get("apiVersion", "")),
            str(obj.get("kind", "")),
            str(meta.get("name", "")),
        )
        ns = meta.get("namespace")
        root = (
            tree.setdefault("namespace", {}).setdefault(str(ns), {})
            if ns
            else tree.setdefault("cluster", {})
        )
        root.setdefault(api, {}).setdefault(kind, {})[name] = obj
    return tree


class ReviewInput:
    """One review prepared for many constraints: the input document (``review`` with its
    ``namespaceObject``), the reviewed object, its JSON on first use, and the matches
    already decided (canonical ``spec.match`` -> selected)."""

    __slots__ = ("_json", "doc", "matched", "namespace", "obj")

    def __init__(self, review: Mapping[str, Any], namespace: Mapping[str, Any] | None) -> None:
        self.doc: dict[str, Any] = {**review, "namespaceObject": namespace}
        self.obj = reviewed_object(review)
        self.namespace = namespace
        self.matched: dict[str, bool] = {}
        self._json: str | None = None

    @property
    def json(self) -> str:
        """``doc`` as JSON text (computed once)."""
        if self._json is None:
            self._json = json.dumps(self.doc)
        return self._json
