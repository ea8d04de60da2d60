"""Unit tests for the PSA engine: behaviour the corpus does not cover, workload templates,
namespace labels, exemptions and admission results."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gitopspol.engines.admission import Action, AdmissionRequest, Status
from gitopspol.engines.psa import (
    CHECKS,
    Exemptions,
    PsaConfig,
    admit,
    checks_for,
    config_from_dict,
    evaluate,
    namespace_levels,
    namespace_policy,
)
from gitopspol.errors import ConfigError, InputError


def restricted_spec(**extra: Any) -> dict[str, Any]:
    """A pod spec that passes restricted at every version (Linux)."""
    sc = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    spec: dict[str, Any] = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "init", "image": "i", "securityContext": dict(sc)}],
        "containers": [{"name": "app", "image": "a", "securityContext": copy.deepcopy(sc)}],
    }
    spec.update(extra)
    return spec


def pod(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "p"}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def checks(obj: dict[str, Any], level: str = "restricted", version: str = "latest") -> list[str]:
    return [v.check for v in evaluate(obj, level, version).violations]


# --- versions and levels ------------------------------------------------------------------


def test_restricted_pod_passes_and_privileged_level_runs_nothing() -> None:
    assert evaluate(pod(restricted_spec()), "restricted").allowed
    bad = pod(
        {"hostPID": True, "containers": [{"name": "c", "securityContext": {"privileged": True}}]}
    )
    assert evaluate(bad, "privileged").allowed
    assert checks(bad, "baseline") == ["hostNamespaces", "privileged"]
    assert checks_for("privileged", 37) == ()


@pytest.mark.parametrize("version", ["v2.0", "1.20", "v1.01", "V1.2", "latest ", ""])
def test_invalid_version_is_an_input_error(version: str) -> None:
    with pytest.raises(InputError):
        evaluate(pod(restricted_spec()), "baseline", version)


def test_invalid_level_is_an_input_error() -> None:
    with pytest.raises(InputError):
        evaluate(pod(restricted_spec()), "Restricted")


def test_versions_newer_than_known_clamp_to_latest() -> None:
    obj = pod(restricted_spec(securityContext={"runAsNonRoot": True, "sysctls": [{"name": "x"}]}))
    assert evaluate(obj, "restricted", "v1.99") == evaluate(obj, "restricted", "latest")
    assert evaluate(obj, "restricted", "latest", latest=20) == evaluate(obj, "restricted", "v1.20")


def test_check_table_order_and_overrides() -> None:
    ids = [check_id for check_id, _ in checks_for("restricted", 37)]
    baseline_ids = [c.id for c in CHECKS if c.level == "baseline"]
    overridden = {
        "hostPathVolumes",
        "seccompProfile_baseline",
        "capabilities_baseline",
        "procMount",
    }
    assert ids[:8] == sorted(set(baseline_ids) - overridden)
    assert ids[8:] == sorted(c.id for c in CHECKS if c.level == "restricted")
    assert "hostProbesAndHostLifecycle" not in [i for i, _ in checks_for("baseline", 33)]
    old = [i for i, _ in checks_for("restricted", 18)]
    assert "seccompProfile_baseline" in old
    assert "allowPrivilegeEscalation" in old
    assert "runAsUser" not in old
    assert "capabilities_baseline" in old


# --- checks the corpus does not cover -------------------------------------------------------


def test_apparmor_profile_fields() -> None:
    spec = restricted_spec()
    spec["securityContext"]["appArmorProfile"] = {"type": "Unconfined"}
    spec["containers"][0]["securityContext"]["appArmorProfile"] = {"type": "Localhost"}
    spec["initContainers"][0]["securityContext"]["appArmorProfile"] = {}
    result = evaluate(pod(spec), "baseline")
    assert [v.message for v in result.violations] == [
        'forbidden AppArmor profiles (pod and container "init" must not set AppArmor profile type to "", "Unconfined")'
    ]
    assert result.violations[0].fields == (
        "spec.securityContext.appArmorProfile.type",
        "spec.initContainers[0].securityContext.appArmorProfile.type",
    )


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("", True),
        ("runtime/default", True),
        ("localhost/x", True),
        ("unconfined", False),
        ("localhost", False),
    ],
)
def test_apparmor_annotation_values(value: str, allowed: bool) -> None:
    key = "container.apparmor.security.beta.kubernetes.io/missing-container"
    assert evaluate(pod(restricted_spec(), {key: value}), "baseline").allowed is allowed


def test_selinux_container_engine_t_allowed_from_1_31() -> None:
    spec = restricted_spec()
    spec["containers"][0]["securityContext"]["seLinuxOptions"] = {"type": "container_engine_t"}
    assert checks(pod(spec), "baseline", "v1.30") == ["seLinuxOptions"]
    assert checks(pod(spec), "baseline", "v1.31") == []


def test_selinux_message_lists_types_user_role() -> None:
    spec = restricted_spec()
    spec["securityContext"]["seLinuxOptions"] = {"type": "a", "user": "u"}
    spec["containers"][0]["securityContext"]["seLinuxOptions"] = {
        "type": "b",
        "role": "r",
        "level": "s0",
    }
    (violation,) = evaluate(pod(spec), "baseline").violations
    assert violation.message == (
        'seLinuxOptions (pod and container "app" set forbidden securityContext.seLinuxOptions: '
        'types "a", "b"; user may not be set; role may not be set)'
    )


def test_ephemeral_containers_are_checked() -> None:
    spec = restricted_spec(ephemeralContainers=[{"name": "debug", "image": "busybox"}])
    result = evaluate(pod(spec), "restricted")
    assert [v.check for v in result.violations] == [
        "allowPrivilegeEscalation",
        "capabilities_restricted",
    ]
    assert result.violations[0].fields == (
        "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation",
    )


def test_probe_and_lifecycle_hosts() -> None:
    container = {
        "name": "app",
        "startupProbe": {"httpGet": {"host": "b", "port": 80}},
        "lifecycle": {
            "preStop": {"tcpSocket": {"host": "a", "port": 1}},
            "postStart": {"httpGet": {"host": ""}},
        },
    }
    obj = pod(
        {"containers": [container, {"name": "z", "readinessProbe": {"tcpSocket": {"host": "a"}}}]}
    )
    assert checks(obj, "baseline", "v1.33") == []
    (violation,) = evaluate(obj, "baseline", "v1.34").violations
    assert violation.message == (
        'probe or lifecycle host (containers "app", "z" use probe or lifecycle hosts "a", "b")'
    )
    assert violation.fields == (
        "spec.containers[0].startupProbe.httpGet.host",
        "spec.containers[0].lifecycle.preStop.tcpSocket.host",
        "spec.containers[1].readinessProbe.tcpSocket.host",
    )


def test_user_namespace_relaxations_from_1_35() -> None:
    spec = {
        "hostUsers": False,
        "securityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "procMount": "Unmasked",
                },
            }
        ],
    }
    assert checks(pod(spec), "restricted", "v1.34") == ["procMount", "runAsNonRoot", "runAsUser"]
    assert checks(pod(spec), "restricted", "v1.35") == ["procMount_restricted"]
    assert checks(pod(spec), "baseline", "v1.35") == []
    spec["hostUsers"] = True
    assert checks(pod(spec), "baseline", "v1.35") == ["procMount"]


def test_windows_exemptions_from_1_25() -> None:
    obj = pod(
        {
            "os": {"name": "windows"},
            "securityContext": {"runAsNonRoot": True},
            "containers": [{"name": "w"}],
        }
    )
    assert checks(obj, "restricted", "v1.24") == [
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "seccompProfile_restricted",
    ]
    assert checks(obj, "restricted", "v1.25") == []
    obj["spec"]["os"]["name"] = "Windows"  # exact match only
    assert checks(obj, "restricted", "v1.25") != []


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("net.ipv4.ip_local_reserved_ports", 27),
        ("net.ipv4.tcp_fin_timeout", 29),
        ("net.ipv4.tcp_rmem", 32),
        ("net.ipv4.tcp_notsent_lowat", 37),
        ("kernel.shm_rmid_forced", 0),
    ],
)
def test_sysctl_allow_list_boundaries(name: str, first: int) -> None:
    obj = pod({"securityContext": {"sysctls": [{"name": name, "value": "1"}]}, "containers": []})
    if first:
        assert checks(obj, "baseline", f"v1.{first - 1}") == ["sysctls"]
    assert checks(obj, "baseline", f"v1.{first}") == []
    slash = pod({"securityContext": {"sysctls": [{"name": name.replace(".", "/")}]}})
    assert checks(slash, "baseline") == ["sysctls"]


def test_volume_types() -> None:
    volumes = [
        {"name": "a", "csi": {"driver": "d"}},
        {"name": "b", "ephemeral": {}},
        {"name": "c", "image": {"reference": "r"}},
        {"name": "d"},
        {"name": "e", "hostPath": None},
        {"name": "f", "nfs": {}, "flocker": {}},
        {"name": "g", "photonPersistentDisk": {}},
    ]
    result = evaluate(pod(restricted_spec(volumes=volumes)), "restricted")
    (violation,) = result.violations
    assert violation.message == (
        'restricted volume types (volumes "f", "g" use restricted volume types "nfs", "photonPersistentDisk")'
    )
    assert violation.fields == ("spec.volumes[5].nfs", "spec.volumes[6].photonPersistentDisk")
    assert checks(pod(restricted_spec(volumes=volumes)), "baseline") == []


def test_seccomp_annotations_before_1_19_only() -> None:
    annotations = {
        "seccomp.security.alpha.kubernetes.io/pod": "docker/default",
        "container.seccomp.security.alpha.kubernetes.io/app": "",
        "container.seccomp.security.alpha.kubernetes.io/other": "unconfined",
    }
    obj = pod({"containers": [{"name": "app"}]}, annotations)
    (violation,) = evaluate(obj, "baseline", "v1.18").violations
    assert violation.message == (
        'seccompProfile (forbidden annotation container.seccomp.security.alpha.kubernetes.io/app="")'
    )
    assert checks(obj, "baseline", "v1.19") == []


def test_host_ports_sorted_as_strings_and_zero_allowed() -> None:
    container = {
        "name": "c",
        "ports": [{"containerPort": 1, "hostPort": 9000}, {"hostPort": 0}, {"hostPort": 10000}],
    }
    (violation,) = evaluate(pod({"containers": [container]}), "baseline").violations
    assert violation.message == 'hostPort (container "c" uses hostPorts 10000, 9000)'


def test_go_pointer_semantics_empty_vs_absent() -> None:
    spec = restricted_spec()
    spec["containers"][0]["securityContext"]["capabilities"] = {}
    assert checks(pod(spec)) == ["capabilities_restricted"]
    spec = restricted_spec()
    spec["containers"][0]["securityContext"]["runAsUser"] = 0
    spec["initContainers"][0]["securityContext"]["runAsNonRoot"] = None
    assert checks(pod(spec)) == ["runAsUser"]
    spec = restricted_spec()
    spec["containers"][0]["securityContext"]["privileged"] = "true"  # only literal true
    assert checks(pod(spec), "baseline") == []


def test_pod_level_unconfined_fails_even_when_containers_override() -> None:
    spec = restricted_spec()
    spec["securityContext"]["seccompProfile"] = {"type": "Unconfined"}
    for c in spec["initContainers"] + spec["containers"]:
        c["securityContext"]["seccompProfile"] = {"type": "RuntimeDefault"}
    assert checks(pod(spec)) == ["seccompProfile_restricted"]


def test_malformed_values_do_not_raise() -> None:
    obj = pod(
        {
            "containers": ["x", {"name": "c", "securityContext": "bad", "ports": [1]}],
            "volumes": "v",
            "securityContext": [1],
        }
    )
    assert checks(obj, "restricted")  # evaluated, no exception
    assert evaluate({"kind": "Pod", "apiVersion": "v1", "spec": None}, "restricted").allowed


# --- workloads ----------------------------------------------------------------------------


def wrap(kind: str, template: dict[str, Any]) -> dict[str, Any]:
    api = {
        "PodTemplate": "v1",
        "ReplicationController": "v1",
        "Job": "batch/v1",
        "CronJob": "batch/v1",
    }.get(kind, "apps/v1")
    obj: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": {"name": "w"}}
    if kind == "PodTemplate":
        obj["template"] = template
    elif kind == "CronJob":
        obj["spec"] = {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}
    else:
        obj["spec"] = {"template": template}
    return obj


PREFIX = {
    "PodTemplate": "template.",
    "CronJob": "spec.jobTemplate.spec.template.",
}
KINDS = [
    "PodTemplate",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
]
SPECS = [
    restricted_spec(),
    {"hostNetwork": True, "containers": [{"name": "c", "ports": [{"hostPort": 80}]}]},
    restricted_spec(volumes=[{"name": "h", "hostPath": {"path": "/"}}]),
    {
        "containers": [
            {
                "name": "c",
                "securityContext": {"privileged": True, "capabilities": {"add": ["NET_RAW"]}},
            }
        ]
    },
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spec_index", range(len(SPECS)))
@pytest.mark.parametrize(
    ("level", "version"), [("baseline", "v1.0"), ("restricted", "latest"), ("restricted", "v1.22")]
)
def test_workload_template_gets_the_pods_verdict(
    kind: str, spec_index: int, level: str, version: str
) -> None:
    annotations = (
        {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}
        if spec_index == 3
        else None
    )
    the_pod = pod(SPECS[spec_index], annotations)
    template = {"metadata": the_pod["metadata"], "spec": SPECS[spec_index]}
    expected = evaluate(the_pod, level, version)
    got = evaluate(wrap(kind, template), level, version)
    assert got.allowed == expected.allowed
    assert [(v.check, v.message) for v in got.violations] == [
        (v.check, v.message) for v in expected.violations
    ]
    prefix = PREFIX.get(kind, "spec.template.")
    assert [v.fields for v in got.violations] == [
        tuple(prefix + f for f in v.fields) for v in expected.violations
    ]


def test_workload_metadata_is_ignored_only_template_metadata_counts() -> None:
    bad = {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}
    deployment = wrap("Deployment", {"spec": {"containers": [{"name": "c"}]}})
    deployment["metadata"]["annotations"] = bad
    assert evaluate(deployment, "baseline").allowed
    deployment["spec"]["template"]["metadata"] = {"annotations": bad}
    (violation,) = evaluate(deployment, "baseline").violations
    assert violation.fields == (
        "spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]",
    )


def test_not_applicable_objects() -> None:
    assert not evaluate({"apiVersion": "v1", "kind": "ConfigMap"}, "restricted").applicable
    crd = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Deployment",
        "spec": {"template": {"spec": {"hostPID": True}}},
    }
    assert evaluate(crd, "restricted") == evaluate({"kind": "Other"}, "restricted")
    assert not evaluate(
        {"apiVersion": "v1", "kind": "ReplicationController", "spec": {}}, "restricted"
    ).applicable
    no_api = {"kind": "DaemonSet", "spec": {"template": {"spec": {"hostPID": True}}}}
    assert not evaluate(no_api, "baseline").allowed
    empty = evaluate({"apiVersion": "apps/v1", "kind": "Deployment"}, "restricted")
    assert empty.applicable
    assert empty.allowed


def test_evaluate_does_not_modify_the_object() -> None:
    obj = wrap("Deployment", {"spec": SPECS[1]})
    before = copy.deepcopy(obj)
    evaluate(obj, "restricted")
    assert obj == before


# --- namespace labels -----------------------------------------------------------------------

L = "pod-security.kubernetes.io/"


def test_labels_default_to_privileged_latest() -> None:
    assert namespace_levels({}) == dict.fromkeys(
        ("enforce", "audit", "warn"), ("privileged", "latest")
    )
    defaults = {"audit": ("restricted", "v1.30")}
    assert namespace_levels(None, defaults)["audit"] == ("restricted", "v1.30")


def test_labels_set_level_and_version_per_mode() -> None:
    levels = namespace_levels(
        {
            L + "enforce": "baseline",
            L + "enforce-version": "v1.30",
            L + "audit": "restricted",
            L + "warn": "restricted",
            "other": "x",
        }
    )
    assert levels == {
        "enforce": ("baseline", "v1.30"),
        "audit": ("restricted", "latest"),
        "warn": ("restricted", "latest"),
    }


def test_invalid_labels_fail_closed_for_enforce_open_for_audit_warn() -> None:
    policy = namespace_policy(
        {
            L + "enforce": "Restricted",
            L + "audit": "strict",
            L + "warn": "x",
            L + "audit-version": "v1.020",
        }
    )
    assert policy.levels == {
        "enforce": ("restricted", "latest"),
        "audit": ("privileged", "latest"),
        "warn": ("privileged", "latest"),
    }
    assert len(policy.errors) == 4
    assert 'pod-security.kubernetes.io/enforce: invalid value "Restricted"' in policy.errors[0]


def test_warn_inherits_enforce() -> None:
    assert namespace_levels({L + "enforce": "baseline", L + "enforce-version": "v1.25"})[
        "warn"
    ] == ("baseline", "v1.25")
    assert namespace_levels(
        {L + "enforce": "baseline", L + "enforce-version": "v1.25", L + "warn-version": "v1.30"}
    )["warn"] == ("baseline", "v1.30")
    # an explicit warn label wins, even when less strict
    assert namespace_levels({L + "enforce": "restricted", L + "warn": "privileged"})["warn"] == (
        "privileged",
        "latest",
    )
    # a bad enforce label is not inherited
    assert namespace_levels({L + "enforce": "bad"})["warn"] == ("privileged", "latest")
    # not stricter than the default warn level: no inheritance
    defaults = {"warn": ("restricted", "v1.2")}
    assert namespace_levels({L + "enforce": "baseline"}, defaults)["warn"] == ("restricted", "v1.2")
    # audit never inherits
    assert namespace_levels({L + "enforce": "restricted"})["audit"] == ("privileged", "latest")


# --- admission ----------------------------------------------------------------------------


def namespace(**labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "ns", "labels": {L + k: v for k, v in labels.items()}},
    }


BAD = {"hostPID": True, "containers": [{"name": "c", "securityContext": {"privileged": True}}]}


def test_admit_pod_enforce_denies_warn_and_audit_report() -> None:
    obj = pod(BAD)
    obj["metadata"]["namespace"] = "ns"
    results = admit(
        AdmissionRequest(obj, namespace_object=namespace(enforce="baseline", audit="restricted"))
    )
    by_mode = {r.rule: r for r in results}
    assert [r.rule for r in results] == ["enforce", "audit", "warn"]
    assert all(r.engine == "psa" and r.policy == "pod-security" for r in results)
    assert by_mode["enforce"].status is Status.FAIL
    assert by_mode["enforce"].actions == (Action.DENY,)
    assert by_mode["enforce"].message.startswith(
        'violates PodSecurity "baseline:latest": host namespaces (hostPID=true), privileged ('
    )
    assert by_mode["audit"].actions == (Action.AUDIT,)
    assert "restricted:latest" in by_mode["audit"].message
    # upstream sends no warning when enforce rejects the pod
    assert by_mode["warn"].status is Status.SKIP
    warned = admit(AdmissionRequest(obj, namespace_object=namespace(warn="baseline")))
    assert [(r.status, r.actions) for r in warned] == [
        (Status.PASS, ()),
        (Status.PASS, ()),
        (Status.FAIL, (Action.WARN,)),
    ]


def test_admit_workload_enforce_reports_without_denying() -> None:
    obj = wrap("Deployment", {"spec": BAD})
    results = {
        r.rule: r
        for r in admit(
            AdmissionRequest(obj, namespace_object=namespace(enforce="baseline", warn="privileged"))
        )
    }
    assert results["enforce"].status is Status.FAIL
    assert results["enforce"].actions == ()
    assert results["enforce"].message.startswith(
        "pods created from this Deployment would be rejected: "
    )
    assert results["warn"].status is Status.PASS
    strict = admit(
        AdmissionRequest(obj, namespace_object=namespace(enforce="baseline")),
        enforce_templates=True,
    )
    assert strict[0].actions == (Action.DENY,)


def test_admit_passes_and_skips() -> None:
    ok = admit(
        AdmissionRequest(pod(restricted_spec()), namespace_object=namespace(enforce="restricted"))
    )
    assert [r.status for r in ok] == [Status.PASS] * 3
    assert admit(AdmissionRequest({"apiVersion": "v1", "kind": "Secret"})) == []
    assert admit(AdmissionRequest(None, old_object=pod(BAD), operation="DELETE")) == []


@pytest.mark.parametrize(
    ("exemptions", "request_kwargs", "reason"),
    [
        (Exemptions(namespaces=frozenset({"ns"})), {}, "namespace"),
        (Exemptions(usernames=frozenset({"alice"})), {"user_info": {"username": "alice"}}, "user"),
        (Exemptions(runtime_classes=frozenset({"kata"})), {}, "runtimeClass"),
    ],
)
def test_admit_exemptions_skip_every_mode(
    exemptions: Exemptions, request_kwargs: dict[str, Any], reason: str
) -> None:
    obj = pod(dict(BAD, runtimeClassName="kata"))
    obj["metadata"]["namespace"] = "ns"
    request = AdmissionRequest(
        obj, namespace_object=namespace(enforce="restricted"), **request_kwargs
    )
    results = admit(request, PsaConfig(exemptions=exemptions))
    assert [(r.status, r.message) for r in results] == [(Status.SKIP, f"exempt {reason}")] * 3
    assert admit(request)[0].status is Status.FAIL


def test_admit_uses_cluster_defaults_and_reports_label_errors() -> None:
    config = PsaConfig(defaults={"enforce": ("baseline", "v1.20")})
    results = admit(AdmissionRequest(pod(BAD)), config)
    assert results[0].message.startswith('violates PodSecurity "baseline:v1.20"')
    labelled = admit(
        AdmissionRequest(pod(restricted_spec()), namespace_object=namespace(enforce="nope"))
    )
    assert labelled[0].status is Status.PASS  # restricted (fail closed) and the pod is restricted
    assert "namespace labels" in labelled[0].message


def test_config_from_dict() -> None:
    doc = {
        "apiVersion": "pod-security.admission.config.k8s.io/v1",
        "kind": "PodSecurityConfiguration",
        "defaults": {"enforce": "baseline", "enforce-version": "v1.29", "warn": "restricted"},
        "exemptions": {
            "usernames": ["alice"],
            "runtimeClasses": ["kata"],
            "namespaces": ["kube-system"],
        },
    }
    config = config_from_dict(doc)
    assert config.defaults == {
        "enforce": ("baseline", "v1.29"),
        "audit": ("privileged", "latest"),
        "warn": ("restricted", "latest"),
    }
    assert config.exemptions == Exemptions(
        frozenset({"alice"}), frozenset({"kata"}), frozenset({"kube-system"})
    )
    wrapped = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [{"name": "PodSecurity", "configuration": doc}],
    }
    assert config_from_dict(wrapped) == config


@pytest.mark.parametrize(
    "change",
    [
        {"exemptions": {"runtimeClassNames": ["kata"]}},
        {"defaults": {"enforce": "strict"}},
        {"defaults": {"audit-version": "1.2"}},
        {"kind": "Other"},
        {"exemptions": {"usernames": "alice"}},
    ],
)
def test_config_errors(change: dict[str, Any]) -> None:
    doc = {
        "apiVersion": "pod-security.admission.config.k8s.io/v1beta1",
        "kind": "PodSecurityConfiguration",
    }
    doc.update(change)
    with pytest.raises(ConfigError):
        config_from_dict(doc)


def test_admit_namespace_with_invalid_labels() -> None:
    bad = namespace(enforce="strict")
    (result,) = admit(AdmissionRequest(bad))
    assert (result.rule, result.status, result.actions) == ("enforce", Status.FAIL, (Action.DENY,))
    assert 'invalid value "strict"' in result.message
    assert admit(AdmissionRequest(bad, old_object=bad, operation="UPDATE")) == []
    assert admit(AdmissionRequest(bad, old_object=namespace(), operation="UPDATE"))[0].actions == (
        Action.DENY,
    )
    assert admit(AdmissionRequest(namespace(enforce="baseline"))) == []


def test_admit_exempt_namespace_with_policy_warns() -> None:
    config = PsaConfig(exemptions=Exemptions(namespaces=frozenset({"ns"})))
    (result,) = admit(AdmissionRequest(namespace(enforce="baseline")), config)
    assert result.actions == (Action.WARN,)
    assert result.message == (
        'namespace "ns" is exempt from Pod Security, and the policy '
        "(enforce=baseline:latest) will be ignored"
    )
    assert admit(AdmissionRequest(namespace(enforce="privileged")), config) == []


def test_windows_override_quirk_matches_upstream() -> None:
    # check_seccompProfile_restricted.go / check_capabilities_restricted.go: the 1.25
    # revisions pass Windows pods and still override the baseline checks, so restricted
    # accepts what baseline rejects (API validation rejects such pods before PSA runs).
    spec = {
        "os": {"name": "windows"},
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}},
        "containers": [{"name": "w", "securityContext": {"capabilities": {"add": ["NET_RAW"]}}}],
    }
    assert checks(pod(spec), "baseline") == ["capabilities_baseline", "seccompProfile_baseline"]
    assert checks(pod(spec), "restricted") == []
    assert checks(pod(spec), "restricted", "v1.24") == [
        "allowPrivilegeEscalation",
        "capabilities_restricted",
        "seccompProfile_restricted",
    ]
