"""Property tests for the PSA engine on generated pods.

Upstream invariants (corpus README §3, §4.3): whatever the pod and version, restricted is at
least as strict as baseline; privileged allows everything; a workload template gets the
verdict of the Pod it creates; evaluation never raises and never changes the object.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitopspol.engines.psa import evaluate

BOOL = st.sampled_from([None, True, False])
container_sc = st.fixed_dictionaries(
    {},
    optional={
        "privileged": BOOL,
        "allowPrivilegeEscalation": BOOL,
        "runAsNonRoot": BOOL,
        "runAsUser": st.sampled_from([0, 1000, None]),
        "procMount": st.sampled_from(["Default", "Unmasked", None]),
        "capabilities": st.fixed_dictionaries(
            {},
            optional={
                "drop": st.lists(st.sampled_from(["ALL", "NET_RAW", "CHOWN"]), max_size=2),
                "add": st.lists(
                    st.sampled_from(["NET_BIND_SERVICE", "CHOWN", "NET_RAW"]), max_size=2
                ),
            },
        ),
        "seccompProfile": st.fixed_dictionaries(
            {"type": st.sampled_from(["RuntimeDefault", "Localhost", "Unconfined"])}
        ),
        "seLinuxOptions": st.fixed_dictionaries(
            {},
            optional={"type": st.sampled_from(["container_t", "spc_t", ""]), "user": st.just("u")},
        ),
        "appArmorProfile": st.fixed_dictionaries(
            {"type": st.sampled_from(["RuntimeDefault", "Unconfined"])}
        ),
    },
)
container = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c"]), "image": st.just("img")},
    optional={
        "securityContext": container_sc,
        "ports": st.lists(
            st.fixed_dictionaries(
                {"containerPort": st.just(80)}, optional={"hostPort": st.sampled_from([0, 8080])}
            ),
            max_size=2,
        ),
        "livenessProbe": st.fixed_dictionaries(
            {
                "httpGet": st.fixed_dictionaries(
                    {"port": st.just(80)}, optional={"host": st.sampled_from(["", "h"])}
                )
            }
        ),
    },
)
pod_sc = st.fixed_dictionaries(
    {},
    optional={
        "runAsNonRoot": BOOL,
        "runAsUser": st.sampled_from([0, 1000]),
        "seccompProfile": st.fixed_dictionaries(
            {"type": st.sampled_from(["RuntimeDefault", "Unconfined"])}
        ),
        "sysctls": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["kernel.shm_rmid_forced", "net.ipv4.tcp_rmem", "vm.x"])}
            ),
            max_size=2,
        ),
        "windowsOptions": st.fixed_dictionaries({"hostProcess": BOOL}),
    },
)
volume = st.sampled_from(
    [
        {"name": "v"},
        {"name": "v", "emptyDir": {}},
        {"name": "v", "hostPath": {"path": "/"}},
        {"name": "v", "nfs": {}},
    ]
)
spec = st.fixed_dictionaries(
    {"containers": st.lists(container, min_size=1, max_size=2)},
    optional={
        "initContainers": st.lists(container, max_size=1),
        "ephemeralContainers": st.lists(container, max_size=1),
        "securityContext": pod_sc,
        "hostNetwork": BOOL,
        "hostPID": BOOL,
        "hostUsers": BOOL,
        "os": st.fixed_dictionaries({"name": st.sampled_from(["linux", "windows"])}),
        "volumes": st.lists(volume, max_size=2),
    },
)
annotations = st.dictionaries(
    st.sampled_from(
        [
            "container.apparmor.security.beta.kubernetes.io/a",
            "seccomp.security.alpha.kubernetes.io/pod",
            "other",
        ]
    ),
    st.sampled_from(["runtime/default", "unconfined", "localhost/x", ""]),
    max_size=2,
)
version = st.sampled_from(
    ["v1.0", "v1.8", "v1.18", "v1.19", "v1.22", "v1.25", "v1.34", "v1.35", "latest"]
)


EARLY = {"v1.0", "v1.8", "v1.18", "v1.19", "v1.22"}


def as_pod(pod_spec: dict[str, Any], notes: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": notes},
        "spec": pod_spec,
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec, annotations, version)
def test_restricted_is_at_least_as_strict_as_baseline(
    pod_spec: dict[str, Any], notes: dict[str, str], ver: str
) -> None:
    obj = as_pod(pod_spec, notes)
    before = copy.deepcopy(obj)
    baseline = evaluate(obj, "baseline", ver)
    restricted = evaluate(obj, "restricted", ver)
    assert evaluate(obj, "privileged", ver).allowed
    # Upstream quirk: from 1.25 the restricted seccomp and capabilities checks pass Windows
    # pods and still override their baseline checks, so a Windows pod with an Unconfined
    # profile or NET_RAW fails baseline but not restricted. The API server rejects such a
    # pod in validation (Windows pods may not set them), so this never shows in a cluster.
    windows_quirk = {"seccompProfile_baseline", "capabilities_baseline"}
    baseline_checks = {v.check for v in baseline.violations}
    if (pod_spec.get("os") or {}).get("name") == "windows" and ver not in EARLY:
        baseline_checks -= windows_quirk
    if restricted.allowed:
        assert not baseline_checks
    # every baseline failure shows up at restricted, as itself or as its overriding check
    replaced = {
        "hostPathVolumes": "restrictedVolumes",
        "seccompProfile_baseline": "seccompProfile_restricted",
        "capabilities_baseline": "capabilities_restricted",
        "procMount": "procMount_restricted",
    }
    restricted_checks = {v.check for v in restricted.violations}
    for check in baseline_checks:
        assert check in restricted_checks or replaced.get(check) in restricted_checks
    assert obj == before


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec, annotations, version, st.sampled_from(["Deployment", "Job", "CronJob", "PodTemplate"]))
def test_template_verdict_equals_pod_verdict(
    pod_spec: dict[str, Any], notes: dict[str, str], ver: str, kind: str
) -> None:
    template = {"metadata": {"annotations": notes}, "spec": pod_spec}
    if kind == "PodTemplate":
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "template": template}
    elif kind == "CronJob":
        obj = {
            "apiVersion": "batch/v1",
            "kind": kind,
            "spec": {"jobTemplate": {"spec": {"template": template}}},
        }
    else:
        obj = {
            "apiVersion": "apps/v1" if kind == "Deployment" else "batch/v1",
            "kind": kind,
            "spec": {"template": template},
        }
    for level in ("baseline", "restricted"):
        pod_result = evaluate(as_pod(pod_spec, notes), level, ver)
        template_result = evaluate(obj, level, ver)
        assert [(v.check, v.message) for v in template_result.violations] == [
            (v.check, v.message) for v in pod_result.violations
        ]
