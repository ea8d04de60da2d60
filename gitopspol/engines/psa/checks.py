"""The Pod Security Standards checks, one function per upstream check revision.

Each function takes a :class:`PodView` and returns a :class:`Violation` or None. Messages
are upstream's ``ForbiddenReason (ForbiddenDetail)`` text from kubernetes/pod-security-admission
``policy/check_*.go``; ``fields`` are the paths of the offending values in the object as
written (``spec.template.spec.containers[0].securityContext.privileged``).

Go semantics that matter (corpus README §4.1): absent and ``null`` are "unset", ``{}`` is
set; booleans are true only when literally ``true``; strings compare exactly.
:data:`CHECKS` lists every check with its revisions; ``policy.py`` builds the per-version
tables from it once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gitopspol.engines.psa.versions import BASELINE, RESTRICTED


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed check: upstream check ID, upstream-style message, offending field paths."""

    check: str
    message: str
    fields: tuple[str, ...]


def _map(value: Any) -> dict[str, Any] | None:
    """``value`` when it is a mapping (a set Go struct pointer), else None."""
    return value if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class PodView:
    """A pod's metadata and spec, read once, with the paths where they sit in the object.

    Nothing is copied: the view holds references into the caller's object.
    """

    __slots__ = ("annotations", "containers", "meta_path", "psc", "spec", "spec_path")

    def __init__(
        self, metadata: Any, spec: Any, meta_path: str = "metadata", spec_path: str = "spec"
    ) -> None:
        meta = _map(metadata) or {}
        self.spec: dict[str, Any] = _map(spec) or {}
        self.meta_path = meta_path
        self.spec_path = spec_path
        self.annotations: dict[str, Any] = _map(meta.get("annotations")) or {}
        #: The pod-level securityContext, or None when unset.
        self.psc: dict[str, Any] | None = _map(self.spec.get("securityContext"))
        #: ``(path, name, container, securityContext or None)`` in upstream's visit order:
        #: init containers, containers, ephemeral containers.
        self.containers: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = []
        for group in ("initContainers", "containers", "ephemeralContainers"):
            items = self.spec.get(group)
            if not items or not isinstance(items, list):
                continue
            for index, container in enumerate(items):
                if isinstance(container, dict):
                    self.containers.append(
                        (
                            f"{spec_path}.{group}[{index}]",
                            _str(container.get("name")),
                            container,
                            _map(container.get("securityContext")),
                        )
                    )

    def pod_field(self, *parts: str) -> str:
        """Path of a field under the pod spec."""
        return ".".join((self.spec_path, *parts))

    @property
    def windows(self) -> bool:
        """``spec.os.name == "windows"`` (exact)."""
        return (_map(self.spec.get("os")) or {}).get("name") == "windows"

    @property
    def user_namespace(self) -> bool:
        """``spec.hostUsers`` explicitly false: the pod runs in a user namespace."""
        return self.spec.get("hostUsers") is False


Check = Callable[[PodView], Violation | None]


def _quote(items: Iterable[str]) -> str:
    """Go ``joinQuote``: ``"a", "b"`` (no escaping, as upstream)."""
    return ", ".join(f'"{item}"' for item in items)


def _plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def _containers_phrase(names: list[str]) -> str:
    return f"{_plural('container', 'containers', len(names))} {_quote(names)}"


def _go_quote(text: str) -> str:
    """Go ``%q`` for the printable strings found in annotations."""
    return json.dumps(text, ensure_ascii=False)


def _violation(check: str, reason: str, detail: str, fields: list[str]) -> Violation:
    return Violation(check, f"{reason} ({detail})" if detail else reason, tuple(fields))


def _str(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


# --- baseline ---------------------------------------------------------------------------

_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def app_armor_profile(pod: PodView) -> Violation | None:
    """AppArmor: annotations runtime/default, localhost/*, empty; fields RuntimeDefault/Localhost."""
    setters: list[str] = []
    bad_values: set[str] = set()
    fields: list[str] = []
    psc = pod.psc
    if psc is not None:
        profile = _map(psc.get("appArmorProfile"))
        if profile is not None and _str(profile.get("type")) not in _APPARMOR_TYPES:
            setters.append("pod")
            bad_values.add(_str(profile.get("type")))
            fields.append(pod.pod_field("securityContext", "appArmorProfile", "type"))
    names: list[str] = []
    for path, name, _, sc in pod.containers:
        if sc is None:
            continue
        profile = _map(sc.get("appArmorProfile"))
        if profile is not None and _str(profile.get("type")) not in _APPARMOR_TYPES:
            names.append(name)
            bad_values.add(_str(profile.get("type")))
            fields.append(f"{path}.securityContext.appArmorProfile.type")
    if names:
        setters.append(_containers_phrase(names))
    annotations: list[str] = []
    for key, value in pod.annotations.items():
        if not isinstance(key, str) or not key.startswith(_APPARMOR_ANNOTATION):
            continue
        text = _str(value)
        if text and text != "runtime/default" and not text.startswith("localhost/"):
            annotations.append(f"{key}={_go_quote(text)}")
            fields.append(f"{pod.meta_path}.annotations[{key}]")
    values = sorted(bad_values)
    if annotations:
        annotations.sort()
        values.extend(annotations)
        setters.append(_plural("annotation", "annotations", len(annotations)))
    if not setters:
        return None
    return _violation(
        "appArmorProfile",
        _plural("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values)),
        f"{' and '.join(setters)} must not set AppArmor profile type to {_quote(values)}",
        fields,
    )


_DEFAULT_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)


def capabilities_baseline(pod: PodView) -> Violation | None:
    """Capabilities: ``add`` only from the 13 container-runtime defaults (NET_RAW is not)."""
    names: list[str] = []
    caps: set[str] = set()
    fields: list[str] = []
    for path, name, _, sc in pod.containers:
        if sc is None:
            continue
        capabilities = _map(sc.get("capabilities"))
        if capabilities is None:
            continue
        bad = [
            _str(c) for c in _list(capabilities.get("add")) if _str(c) not in _DEFAULT_CAPABILITIES
        ]
        if bad:
            names.append(name)
            caps.update(bad)
            fields.append(f"{path}.securityContext.capabilities.add")
    if not names:
        return None
    return _violation(
        "capabilities_baseline",
        "non-default capabilities",
        f"{_containers_phrase(names)} must not include {_quote(sorted(caps))} "
        "in securityContext.capabilities.add",
        fields,
    )


def host_namespaces(pod: PodView) -> Violation | None:
    """Host namespaces: hostNetwork, hostPID, hostIPC unset or false."""
    spec = pod.spec
    bad = [key for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key) is True]
    if not bad:
        return None
    return _violation(
        "hostNamespaces",
        "host namespaces",
        ", ".join(f"{key}=true" for key in bad),
        [pod.pod_field(key) for key in bad],
    )


def _volumes(pod: PodView) -> list[tuple[int, dict[str, Any]]]:
    return [(i, v) for i, v in enumerate(_list(pod.spec.get("volumes"))) if isinstance(v, dict)]


def host_path_volumes(pod: PodView) -> Violation | None:
    """HostPath volumes are forbidden."""
    names: list[str] = []
    fields: list[str] = []
    for index, volume in _volumes(pod):
        if volume.get("hostPath") is not None:
            names.append(_str(volume.get("name")))
            fields.append(pod.pod_field(f"volumes[{index}]", "hostPath"))
    if not names:
        return None
    return _violation(
        "hostPathVolumes",
        "hostPath volumes",
        f"{_plural('volume', 'volumes', len(names))} {_quote(names)}",
        fields,
    )


def host_ports(pod: PodView) -> Violation | None:
    """Host ports: ``ports[*].hostPort`` unset or 0."""
    names: list[str] = []
    ports: set[str] = set()
    fields: list[str] = []
    for path, name, container, _ in pod.containers:
        bad = False
        for index, port in enumerate(_list(container.get("ports"))):
            if not isinstance(port, dict):
                continue
            host_port = port.get("hostPort")
            if host_port is not None and host_port != 0:
                bad = True
                ports.add(_str(host_port))
                fields.append(f"{path}.ports[{index}].hostPort")
        if bad:
            names.append(name)
    if not names:
        return None
    # sets.NewString(...).List() sorts the port numbers as strings.
    return _violation(
        "hostPorts",
        "hostPort",
        f"{_containers_phrase(names)} {_plural('uses', 'use', len(names))} "
        f"{_plural('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}",
        fields,
    )


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_HOOKS = ("postStart", "preStop")


def _handler_hosts(handler: Any, path: str, hosts: list[str], fields: list[str]) -> None:
    handler = _map(handler)
    if handler is None:
        return
    for kind in ("httpGet", "tcpSocket"):
        action = _map(handler.get(kind))
        if action is not None:
            host = _str(action.get("host"))
            if host:
                hosts.append(host)
                fields.append(f"{path}.{kind}.host")


def host_probes_and_host_lifecycle(pod: PodView) -> Violation | None:
    """Probe and lifecycle handler ``host`` must be unset or empty (1.34+)."""
    names: set[str] = set()
    hosts: list[str] = []
    fields: list[str] = []
    for path, name, container, _ in pod.containers:
        before = len(hosts)
        for probe in _PROBES:
            _handler_hosts(container.get(probe), f"{path}.{probe}", hosts, fields)
        lifecycle = _map(container.get("lifecycle"))
        if lifecycle is not None:
            for hook in _HOOKS:
                _handler_hosts(lifecycle.get(hook), f"{path}.lifecycle.{hook}", hosts, fields)
        if len(hosts) > before:
            names.add(name)
    if not names:
        return None
    unique = sorted(set(hosts))
    return _violation(
        "hostProbesAndHostLifecycle",
        "probe or lifecycle host",
        f"{_containers_phrase(sorted(names))} {_plural('uses', 'use', len(names))} "
        f"{_plural('probe or lifecycle host', 'probe or lifecycle hosts', len(unique))} "
        f"{_quote(unique)}",
        fields,
    )


def privileged(pod: PodView) -> Violation | None:
    """Privileged containers are forbidden."""
    names: list[str] = []
    fields: list[str] = []
    for path, name, _, sc in pod.containers:
        if sc is not None and sc.get("privileged") is True:
            names.append(name)
            fields.append(f"{path}.securityContext.privileged")
    if not names:
        return None
    return _violation(
        "privileged",
        "privileged",
        f"{_containers_phrase(names)} must not set securityContext.privileged=true",
        fields,
    )


def _proc_mount(check: str, pod: PodView) -> Violation | None:
    names: list[str] = []
    types: set[str] = set()
    fields: list[str] = []
    for path, name, _, sc in pod.containers:
        if sc is None:
            continue
        value = sc.get("procMount")
        if value is not None and value != "Default":
            names.append(name)
            types.add(_str(value))
            fields.append(f"{path}.securityContext.procMount")
    if not names:
        return None
    return _violation(
        check,
        "procMount",
        f"{_containers_phrase(names)} must not set securityContext.procMount to "
        f"{_quote(sorted(types))}",
        fields,
    )


def proc_mount_v1_0(pod: PodView) -> Violation | None:
    """/proc mount type: unset or Default."""
    return _proc_mount("procMount", pod)


def proc_mount_v1_35(pod: PodView) -> Violation | None:
    """From 1.35, user-namespace pods (``hostUsers: false``) may unmask /proc."""
    if pod.user_namespace:
        return None
    return _proc_mount("procMount", pod)


def _se_linux_options(allowed_types: frozenset[str]) -> Check:
    def check(pod: PodView) -> Violation | None:
        """SELinux: type from the allowed set; user and role unset."""
        setters: list[str] = []
        bad_types: set[str] = set()
        flags = {"user": False, "role": False}
        fields: list[str] = []

        def valid(options: dict[str, Any], prefix: str) -> bool:
            ok = True
            kind = _str(options.get("type"))
            if kind not in allowed_types:
                ok = False
                bad_types.add(kind)
                fields.append(f"{prefix}.type")
            for key in ("user", "role"):
                if _str(options.get(key)):
                    ok = False
                    flags[key] = True
                    fields.append(f"{prefix}.{key}")
            return ok

        if pod.psc is not None:
            options = _map(pod.psc.get("seLinuxOptions"))
            if options is not None and not valid(
                options, pod.pod_field("securityContext", "seLinuxOptions")
            ):
                setters.append("pod")
        names: list[str] = []
        for path, name, _, sc in pod.containers:
            if sc is None:
                continue
            options = _map(sc.get("seLinuxOptions"))
            if options is not None and not valid(options, f"{path}.securityContext.seLinuxOptions"):
                names.append(name)
        if names:
            setters.append(_containers_phrase(names))
        if not setters:
            return None
        data: list[str] = []
        if bad_types:
            data.append(f"{_plural('type', 'types', len(bad_types))} {_quote(sorted(bad_types))}")
        if flags["user"]:
            data.append("user may not be set")
        if flags["role"]:
            data.append("role may not be set")
        return _violation(
            "seLinuxOptions",
            "seLinuxOptions",
            f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: "
            + "; ".join(data),
            fields,
        )

    return check


_SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
se_linux_options_v1_0 = _se_linux_options(_SELINUX_TYPES_1_0)
se_linux_options_v1_31 = _se_linux_options(_SELINUX_TYPES_1_0 | {"container_engine_t"})

_SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def _valid_seccomp_annotation(value: str) -> bool:
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def seccomp_profile_baseline_v1_0(pod: PodView) -> Violation | None:
    """Seccomp before 1.19: the alpha annotations only."""
    bad: dict[str, str] = {}
    annotations = pod.annotations
    keys = [_SECCOMP_POD_ANNOTATION]
    keys.extend(_SECCOMP_CONTAINER_ANNOTATION + name for _, name, _, _ in pod.containers)
    for key in keys:
        if key in annotations:
            value = _str(annotations[key])
            if not _valid_seccomp_annotation(value):
                bad[f"{key}={_go_quote(value)}"] = f"{pod.meta_path}.annotations[{key}]"
    if not bad:
        return None
    items = sorted(bad)
    return _violation(
        "seccompProfile_baseline",
        "seccompProfile",
        f"forbidden {_plural('annotation', 'annotations', len(items))} {', '.join(items)}",
        [bad[item] for item in items],
    )


def _explicit_seccomp(
    pod: PodView,
) -> tuple[list[str], set[str], list[str], bool, list[tuple[str, str]]]:
    """Setters of invalid seccomp types, the values, their fields, whether the pod set a
    valid profile, and the containers that set none ``(path, name)``."""
    setters: list[str] = []
    values: set[str] = set()
    fields: list[str] = []
    pod_valid = False
    if pod.psc is not None:
        profile = _map(pod.psc.get("seccompProfile"))
        if profile is not None:
            if _str(profile.get("type")) in _SECCOMP_TYPES:
                pod_valid = True
            else:
                setters.append("pod")
                values.add(_str(profile.get("type")))
                fields.append(pod.pod_field("securityContext", "seccompProfile", "type"))
    names: list[str] = []
    unset: list[tuple[str, str]] = []
    for path, name, _, sc in pod.containers:
        profile = _map(sc.get("seccompProfile")) if sc is not None else None
        if profile is None:
            unset.append((path, name))
        elif _str(profile.get("type")) not in _SECCOMP_TYPES:
            names.append(name)
            values.add(_str(profile.get("type")))
            fields.append(f"{path}.securityContext.seccompProfile.type")
    if names:
        setters.append(_containers_phrase(names))
    return setters, values, fields, pod_valid, unset


def _seccomp_explicit_violation(
    check: str, setters: list[str], values: set[str], fields: list[str]
) -> Violation:
    return _violation(
        check,
        "seccompProfile",
        f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
        f"{_quote(sorted(values))}",
        fields,
    )


def seccomp_profile_baseline_v1_19(pod: PodView) -> Violation | None:
    """Seccomp from 1.19: a set profile type must be RuntimeDefault or Localhost."""
    setters, values, fields, _, _ = _explicit_seccomp(pod)
    if not setters:
        return None
    return _seccomp_explicit_violation("seccompProfile_baseline", setters, values, fields)


def sysctls_check(allowed: frozenset[str]) -> Check:
    """The sysctls check with one version's allow-list."""

    def check(pod: PodView) -> Violation | None:
        """Sysctls: only the namespaced, isolated "safe" set."""
        if pod.psc is None:
            return None
        names: list[str] = []
        fields: list[str] = []
        for index, sysctl in enumerate(_list(pod.psc.get("sysctls"))):
            name = _str(sysctl.get("name")) if isinstance(sysctl, dict) else ""
            if name not in allowed:
                names.append(name)
                fields.append(pod.pod_field("securityContext", f"sysctls[{index}]", "name"))
        if not names:
            return None
        return _violation("sysctls", "forbidden sysctls", ", ".join(names), fields)

    return check


#: Each allow-list includes the previous one (corpus README §5).
SYSCTLS: tuple[tuple[int, frozenset[str]], ...] = (
    (
        0,
        frozenset(
            {
                "kernel.shm_rmid_forced",
                "net.ipv4.ip_local_port_range",
                "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range",
                "net.ipv4.ip_unprivileged_port_start",
            }
        ),
    ),
    (27, frozenset({"net.ipv4.ip_local_reserved_ports"})),
    (
        29,
        frozenset(
            {
                "net.ipv4.tcp_keepalive_time",
                "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes",
            }
        ),
    ),
    (32, frozenset({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"})),
    (37, frozenset({"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"})),
)


def windows_host_process(pod: PodView) -> Violation | None:
    """HostProcess: ``windowsOptions.hostProcess`` unset or false, pod and containers."""
    setters: list[str] = []
    fields: list[str] = []
    if pod.psc is not None:
        options = _map(pod.psc.get("windowsOptions"))
        if options is not None and options.get("hostProcess") is True:
            setters.append("pod")
            fields.append(pod.pod_field("securityContext", "windowsOptions", "hostProcess"))
    names: list[str] = []
    for path, name, _, sc in pod.containers:
        if sc is None:
            continue
        options = _map(sc.get("windowsOptions"))
        if options is not None and options.get("hostProcess") is True:
            names.append(name)
            fields.append(f"{path}.securityContext.windowsOptions.hostProcess")
    if names:
        setters.append(_containers_phrase(names))
    if not setters:
        return None
    return _violation(
        "windowsHostProcess",
        "hostProcess",
        f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true",
        fields,
    )


# --- restricted -------------------------------------------------------------------------


def allow_privilege_escalation_v1_8(pod: PodView) -> Violation | None:
    """Privilege escalation: every container must set allowPrivilegeEscalation=false."""
    names: list[str] = []
    fields: list[str] = []
    for path, name, _, sc in pod.containers:
        if sc is None or sc.get("allowPrivilegeEscalation") is not False:
            names.append(name)
            fields.append(f"{path}.securityContext.allowPrivilegeEscalation")
    if not names:
        return None
    return _violation(
        "allowPrivilegeEscalation",
        "allowPrivilegeEscalation != false",
        f"{_containers_phrase(names)} must set securityContext.allowPrivilegeEscalation=false",
        fields,
    )


def capabilities_restricted_v1_22(pod: PodView) -> Violation | None:
    """Capabilities: drop ALL, add at most NET_BIND_SERVICE."""
    missing: list[str] = []
    adding: list[str] = []
    caps: set[str] = set()
    fields: list[str] = []
    for path, name, _, sc in pod.containers:
        capabilities = _map(sc.get("capabilities")) if sc is not None else None
        if capabilities is None:
            missing.append(name)
            fields.append(f"{path}.securityContext.capabilities.drop")
            continue
        if "ALL" not in _list(capabilities.get("drop")):
            missing.append(name)
            fields.append(f"{path}.securityContext.capabilities.drop")
        bad = [_str(c) for c in _list(capabilities.get("add")) if c != "NET_BIND_SERVICE"]
        if bad:
            adding.append(name)
            caps.update(bad)
            fields.append(f"{path}.securityContext.capabilities.add")
    details: list[str] = []
    if missing:
        details.append(
            f'{_containers_phrase(missing)} must set securityContext.capabilities.drop=["ALL"]'
        )
    if adding:
        details.append(
            f"{_containers_phrase(adding)} must not include {_quote(sorted(caps))} "
            "in securityContext.capabilities.add"
        )
    if not details:
        return None
    return _violation(
        "capabilities_restricted", "unrestricted capabilities", "; ".join(details), fields
    )


_ALLOWED_VOLUMES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
#: In upstream's switch order: the first one set names the volume's type.
_RESTRICTED_VOLUMES = (
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
)


def restricted_volumes(pod: PodView) -> Violation | None:
    """Volume types: only the ephemeral and projected kinds; no source defaults to emptyDir."""
    names: list[str] = []
    types: set[str] = set()
    fields: list[str] = []
    for index, volume in _volumes(pod):
        if any(volume.get(key) is not None for key in _ALLOWED_VOLUMES):
            continue
        kind = next((key for key in _RESTRICTED_VOLUMES if volume.get(key) is not None), None)
        if kind is None:
            # The API server defaults a volume without a source to emptyDir before
            # admission (corpus README §3: restrictedvolumes0).
            continue
        names.append(_str(volume.get("name")))
        types.add(kind)
        fields.append(pod.pod_field(f"volumes[{index}]", kind))
    if not names:
        return None
    return _violation(
        "restrictedVolumes",
        "restricted volume types",
        f"{_plural('volume', 'volumes', len(names))} {_quote(names)} "
        f"{_plural('uses', 'use', len(names))} "
        f"{_plural('restricted volume type', 'restricted volume types', len(types))} "
        f"{_quote(sorted(types))}",
        fields,
    )


def run_as_non_root_v1_0(pod: PodView) -> Violation | None:
    """runAsNonRoot: true at pod level or in every container, never false."""
    setters: list[str] = []
    explicit_fields: list[str] = []
    pod_true = False
    if pod.psc is not None:
        value = pod.psc.get("runAsNonRoot")
        if value is not None:
            if value is True:
                pod_true = True
            else:
                setters.append("pod")
                explicit_fields.append(pod.pod_field("securityContext", "runAsNonRoot"))
    explicit: list[str] = []
    implicit: list[str] = []
    implicit_fields: list[str] = []
    for path, name, _, sc in pod.containers:
        value = sc.get("runAsNonRoot") if sc is not None else None
        if value is not None:
            if value is not True:
                explicit.append(name)
                explicit_fields.append(f"{path}.securityContext.runAsNonRoot")
        elif not pod_true:
            implicit.append(name)
            implicit_fields.append(f"{path}.securityContext.runAsNonRoot")
    if explicit:
        setters.append(_containers_phrase(explicit))
    if setters:
        return _violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false",
            explicit_fields,
        )
    if implicit:
        return _violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            f"pod or {_containers_phrase(implicit)} must set securityContext.runAsNonRoot=true",
            implicit_fields,
        )
    return None


def run_as_non_root_v1_35(pod: PodView) -> Violation | None:
    """From 1.35, user-namespace pods pass (KEP-127)."""
    return None if pod.user_namespace else run_as_non_root_v1_0(pod)


def _is_zero(value: Any) -> bool:
    return value == 0 and value is not False


def run_as_user_v1_23(pod: PodView) -> Violation | None:
    """runAsUser must not be 0, at pod or container level."""
    setters: list[str] = []
    fields: list[str] = []
    if pod.psc is not None and _is_zero(pod.psc.get("runAsUser")):
        setters.append("pod")
        fields.append(pod.pod_field("securityContext", "runAsUser"))
    names: list[str] = []
    for path, name, _, sc in pod.containers:
        if sc is not None and _is_zero(sc.get("runAsUser")):
            names.append(name)
            fields.append(f"{path}.securityContext.runAsUser")
    if names:
        setters.append(_containers_phrase(names))
    if not setters:
        return None
    return _violation(
        "runAsUser", "runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0", fields
    )


def run_as_user_v1_35(pod: PodView) -> Violation | None:
    """From 1.35, user-namespace pods pass (KEP-127)."""
    return None if pod.user_namespace else run_as_user_v1_23(pod)


def seccomp_profile_restricted_v1_19(pod: PodView) -> Violation | None:
    """Seccomp: RuntimeDefault or Localhost required, at pod level or in every container."""
    setters, values, fields, pod_valid, unset = _explicit_seccomp(pod)
    if setters:
        return _seccomp_explicit_violation("seccompProfile_restricted", setters, values, fields)
    if unset and not pod_valid:
        return _violation(
            "seccompProfile_restricted",
            "seccompProfile",
            f"pod or {_containers_phrase([name for _, name in unset])} must set "
            'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
            [f"{path}.securityContext.seccompProfile.type" for path, _ in unset],
        )
    return None


def _windows_exempt(check: Check) -> Check:
    """From 1.25, Windows pods (``spec.os.name: windows``) pass Linux-only checks."""

    def exempt(pod: PodView) -> Violation | None:
        return None if pod.windows else check(pod)

    exempt.__doc__ = check.__doc__
    return exempt


def proc_mount_restricted_v1_35(pod: PodView) -> Violation | None:
    """/proc mount type at restricted: unset or Default whatever ``hostUsers`` says."""
    return _proc_mount("procMount_restricted", pod)


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One upstream check: ID, level, revisions ``(minimum minor, function)`` in order, and
    the baseline check an active restricted revision replaces."""

    id: str
    level: str
    revisions: tuple[tuple[int, Check], ...]
    overrides: str | None = None


def _sysctl_revisions() -> tuple[tuple[int, Check], ...]:
    revisions: list[tuple[int, Check]] = []
    allowed: frozenset[str] = frozenset()
    for minor, added in SYSCTLS:
        allowed = allowed | added
        revisions.append((minor, sysctls_check(allowed)))
    return tuple(revisions)


#: Every check, upstream's IDs and revisions (corpus README §5).
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("appArmorProfile", BASELINE, ((0, app_armor_profile),)),
    CheckSpec("capabilities_baseline", BASELINE, ((0, capabilities_baseline),)),
    CheckSpec("hostNamespaces", BASELINE, ((0, host_namespaces),)),
    CheckSpec("hostPathVolumes", BASELINE, ((0, host_path_volumes),)),
    CheckSpec("hostPorts", BASELINE, ((0, host_ports),)),
    CheckSpec("hostProbesAndHostLifecycle", BASELINE, ((34, host_probes_and_host_lifecycle),)),
    CheckSpec("privileged", BASELINE, ((0, privileged),)),
    CheckSpec("procMount", BASELINE, ((0, proc_mount_v1_0), (35, proc_mount_v1_35))),
    CheckSpec(
        "seLinuxOptions", BASELINE, ((0, se_linux_options_v1_0), (31, se_linux_options_v1_31))
    ),
    CheckSpec(
        "seccompProfile_baseline",
        BASELINE,
        ((0, seccomp_profile_baseline_v1_0), (19, seccomp_profile_baseline_v1_19)),
    ),
    CheckSpec("sysctls", BASELINE, _sysctl_revisions()),
    CheckSpec("windowsHostProcess", BASELINE, ((0, windows_host_process),)),
    CheckSpec(
        "allowPrivilegeEscalation",
        RESTRICTED,
        (
            (8, allow_privilege_escalation_v1_8),
            (25, _windows_exempt(allow_privilege_escalation_v1_8)),
        ),
    ),
    CheckSpec(
        "capabilities_restricted",
        RESTRICTED,
        (
            (22, capabilities_restricted_v1_22),
            (25, _windows_exempt(capabilities_restricted_v1_22)),
        ),
        overrides="capabilities_baseline",
    ),
    CheckSpec(
        "procMount_restricted",
        RESTRICTED,
        ((35, proc_mount_restricted_v1_35),),
        overrides="procMount",
    ),
    CheckSpec(
        "restrictedVolumes",
        RESTRICTED,
        ((0, restricted_volumes),),
        overrides="hostPathVolumes",
    ),
    CheckSpec("runAsNonRoot", RESTRICTED, ((0, run_as_non_root_v1_0), (35, run_as_non_root_v1_35))),
    CheckSpec("runAsUser", RESTRICTED, ((23, run_as_user_v1_23), (35, run_as_user_v1_35))),
    CheckSpec(
        "seccompProfile_restricted",
        RESTRICTED,
        (
            (19, seccomp_profile_restricted_v1_19),
            (25, _windows_exempt(seccomp_profile_restricted_v1_19)),
        ),
        overrides="seccompProfile_baseline",
    ),
)
