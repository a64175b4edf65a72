"""Find the JIT policy, VM entry and port rule a request is about, in the policies Azure lists.

Works on the azure-mgmt-security models (`JitNetworkAccessPolicy` of api-version 2020-01-01) but only
reads attributes, so tests can also pass simple objects. ARM ids are case-insensitive: compare lowered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_VM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute/virtualMachines/"
    r"(?P<name>[^/]+)$",
    re.IGNORECASE,
)
_POLICY_ID = re.compile(
    r"/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Security/locations/(?P<loc>[^/]+)/"
    r"jitNetworkAccessPolicies/(?P<name>[^/]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class VmRef:
    """What `--vm` (and `--resource-group`) name: a VM by name, or by full ARM id."""

    name: str
    """The VM's name (the last segment of its id)."""
    resource_group: str | None = None
    """Its resource group, when known from the id or `--resource-group`."""
    vm_id: str | None = None
    """The full ARM id, when `--vm` was one."""

    def matches(self, candidate_id: str) -> bool:
        """True when a policy's VM id is this VM (case-insensitive, as ARM ids are)."""
        if self.vm_id:
            return candidate_id.lower() == self.vm_id.lower()
        parsed = _VM_ID.match(candidate_id)
        if not parsed or parsed.group("name").lower() != self.name.lower():
            return False
        return self.resource_group is None or parsed.group("rg").lower() == self.resource_group.lower()


def parse_vm(vm: str, resource_group: str | None) -> VmRef:
    """Read `--vm NAME_OR_ID` with an optional `--resource-group`.

    Raises:
        ValueError: for an id that is not a VM id, or an id whose resource group contradicts the flag.
    """
    text = vm.strip()
    if not text:
        raise ValueError("--vm is empty; give the VM's name (with --resource-group) or its full ARM id")
    if text.startswith("/"):
        parsed = _VM_ID.match(text.rstrip("/"))
        if not parsed:
            raise ValueError(
                f"--vm {vm!r} is not a VM id; expected /subscriptions/<id>/resourceGroups/<rg>/providers/"
                "Microsoft.Compute/virtualMachines/<name>"
            )
        if resource_group and resource_group.lower() != parsed.group("rg").lower():
            raise ValueError(f"--resource-group {resource_group} contradicts the VM id's group {parsed.group('rg')}")
        return VmRef(name=parsed.group("name"), resource_group=parsed.group("rg"), vm_id=text.rstrip("/"))
    if "/" in text:
        raise ValueError(f"--vm {vm!r} is neither a VM name nor a full ARM id starting with /subscriptions/")
    return VmRef(name=text, resource_group=resource_group)


def vm_name(vm_id: str) -> str:
    """The last segment of a VM id."""
    return vm_id.rstrip("/").rsplit("/", 1)[-1]


def policy_location(policy: Any) -> tuple[str, str]:
    """The (resource group, ascLocation) of a policy, read from its id (the location field as fallback)."""
    parsed = _POLICY_ID.search(policy.id or "")
    if parsed:
        return parsed.group("rg"), parsed.group("loc")
    raise ValueError(f"unexpected JIT policy id {policy.id!r}")


@dataclass(frozen=True)
class Target:
    """A VM as one JIT policy covers it."""

    policy: Any
    """The `JitNetworkAccessPolicy`."""
    vm: Any
    """Its `JitNetworkAccessPolicyVirtualMachine` entry for the VM."""

    @property
    def resource_group(self) -> str:
        """The policy's resource group."""
        return policy_location(self.policy)[0]

    @property
    def location(self) -> str:
        """The policy's ascLocation (a path segment of every JIT call)."""
        return policy_location(self.policy)[1]

    @property
    def vm_name(self) -> str:
        """The VM's name."""
        return vm_name(self.vm.id)


def find_target(policies: Iterable[Any], vm: VmRef, policy_name: str | None) -> Target:
    """Pick the one policy entry that covers the VM (optionally only the policy named `--policy`).

    Raises:
        LookupError: no policy covers the VM (the caller reports it as a refusal).
        ValueError: the name is ambiguous (several VMs or several policies): the message says which flag
            picks one.
    """
    found = [
        Target(policy, entry)
        for policy in policies
        if policy_name is None or (policy.name or "").lower() == policy_name.lower()
        for entry in (policy.virtual_machines or [])
        if vm.matches(entry.id)
    ]
    if not found:
        named = f" named {policy_name}" if policy_name else ""
        where = f" in resource group {vm.resource_group}" if vm.resource_group else ""
        raise LookupError(
            f"no JIT policy{named} covers VM {vm.vm_id or vm.name}{where}; ask the team that runs azure-jit-access "
            "to protect it with JIT, or check --subscription and --resource-group"
        )
    vm_ids = sorted({target.vm.id.lower(): target.vm.id for target in found}.values())
    if len(vm_ids) > 1:
        raise ValueError(
            f"--vm {vm.name} matches several VMs: {', '.join(vm_ids)}; add --resource-group or pass the full id"
        )
    if len(found) > 1:
        names = ", ".join(sorted(f"{t.policy.name} ({t.resource_group}/{t.location})" for t in found))
        raise ValueError(f"VM {vm.name} is in several JIT policies: {names}; choose one with --policy NAME")
    return found[0]


def describe_port_rule(rule: Any) -> str:
    """One rule as people read it: `22/TCP up to PT3H from 203.0.113.0/24`."""
    from azure_jit_access.cli.requester.sources import policy_prefixes

    sources = ", ".join(policy_prefixes(rule)) or "no source"
    return f"{rule.number}/{rule.protocol} up to {rule.max_request_access_duration} from {sources}"


def find_port_rule(target: Target, port: int) -> Any:
    """The policy's rule for `port` on the target VM.

    Raises:
        LookupError: when the policy does not list the port, naming the ports it does allow.
    """
    for rule in target.vm.ports or []:
        if rule.number == port:
            return rule
    allowed = "; ".join(describe_port_rule(rule) for rule in target.vm.ports or []) or "no ports"
    raise LookupError(
        f"port {port} is not in the JIT policy {target.policy.name} for VM {target.vm_name}; it allows: {allowed}"
    )
