"""`ExistingVmGuard`: bring VMs that already exist under JIT without touching them.

The VMs and their NSGs stay as they are (no VM, NIC or NSG resource here, so nothing is replaced or adopted):
the component adds one standalone inbound Deny per management port to each NSG in front of the VMs (the VM's
NIC NSG or its subnet's NSG), exactly as `JitProtectedVm` closes its own NSG, and hands the VMs to a
`JitAccessPolicy` as `JitVirtualMachine` entries (`jit_entries`). Standalone rules, because an NSG written with
inline rules drops every rule it does not list, JIT's included (pulumi-azure-native#3359).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import network

from azure_jit_access import type_tokens, validation
from azure_jit_access.aliases import with_alias_pruning
from azure_jit_access.jit_policy import JitVirtualMachine
from azure_jit_access.rules.arm_ids import parse_arm_id
from azure_jit_access.vm import DEFAULT_PORTS, DENY_PRIORITY_BASE, DENY_PRIORITY_MAX, deny_management_ports


@dataclass(frozen=True)
class ExistingVm:
    """A VM that exists already, and the NSGs that filter its traffic."""

    vm_id: str
    """ARM id `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>`."""
    location: str
    """Its region (a JIT policy is per resource group and region; the id does not say which)."""
    os_type: str = "linux"
    """linux (default port 22) or windows (3389)."""
    management_ports: Sequence[int] | None = None
    """Ports JIT guards; defaults by OS."""
    nsg_ids: Sequence[str] = ()
    """ARM ids of the NSGs in front of it: its NIC's, its subnet's, or both (at least one)."""


@dataclass(frozen=True)
class ResolvedExistingVm:
    """An `ExistingVm` checked: its parts, ports and NSGs (ids as written, compared case-insensitively)."""

    vm_id: str
    name: str
    resource_group: str
    subscription: str
    location: str
    ports: tuple[int, ...]
    nsg_ids: tuple[str, ...]


def resolve_existing_vm(vm: ExistingVm, field_name: str = "existing_vm") -> ResolvedExistingVm:
    """Validate one existing VM; `ValueError` names the field and the fix. Creates nothing."""
    parsed = _parse(vm.vm_id, "Microsoft.Compute", "virtualMachines", f"{field_name}.id")
    os_type = validation.validate_os_type(vm.os_type, f"{field_name}.os")
    ports = validation.validate_ports(
        list(vm.management_ports) if vm.management_ports is not None else list(DEFAULT_PORTS[os_type]),
        f"{field_name}.ports",
    )
    if not vm.nsg_ids:
        raise ValueError(
            f"{field_name}.nsgIds: list the NSG in front of the VM (its NIC's or its subnet's NSG id); "
            "JIT needs an NSG to open and close ports"
        )
    nsgs: list[str] = []
    for index, nsg_id in enumerate(vm.nsg_ids):
        nsg = _parse(nsg_id, "Microsoft.Network", "networkSecurityGroups", f"{field_name}.nsgIds[{index}]")
        if str(nsg.subscription).lower() != str(parsed.subscription).lower():
            # A NIC or subnet can only use an NSG of its own subscription, and the rules are written there.
            raise ValueError(
                f"{field_name}.nsgIds[{index}]: {nsg_id} is not in the VM's subscription {parsed.subscription}"
            )
        if nsg_id.lower() in (n.lower() for n in nsgs):
            raise ValueError(f"{field_name}.nsgIds[{index}]: {nsg_id} is listed twice")
        nsgs.append(nsg_id.strip())
    if not isinstance(vm.location, str) or not vm.location.strip():
        raise ValueError(f"{field_name}.location: required, the VM's region, e.g. westeurope")
    return ResolvedExistingVm(
        vm_id=vm.vm_id.strip(),
        name=str(parsed.name),
        resource_group=str(parsed.resource_group),
        subscription=str(parsed.subscription),
        location=vm.location.strip().lower().replace(" ", ""),
        ports=tuple(ports),
        nsg_ids=tuple(nsgs),
    )


def _parse(arm_id: object, provider: str, type_: str, field_name: str):
    example = f"/subscriptions/<guid>/resourceGroups/<rg>/providers/{provider}/{type_}/<name>"
    try:
        parsed = parse_arm_id(arm_id)
    except ValueError:
        raise ValueError(f"{field_name}: {arm_id!r} is not an ARM id; expected {example}") from None
    if (
        parsed.subscription is None
        or parsed.resource_group is None
        or (parsed.provider or "").lower() != provider.lower()
        or (parsed.type or "").lower() != type_.lower()
    ):
        raise ValueError(f"{field_name}: {arm_id!r} is not a {type_} id; expected {example}")
    return parsed


def deny_ports_by_nsg(vms: Sequence[ResolvedExistingVm]) -> dict[str, tuple[str, list[int]]]:
    """Each NSG (by lowered id) with its id as first written and the sorted union of its VMs' ports."""
    by_nsg: dict[str, tuple[str, set[int]]] = {}
    for vm in vms:
        for nsg_id in vm.nsg_ids:
            written, ports = by_nsg.setdefault(nsg_id.lower(), (nsg_id, set()))
            ports.update(vm.ports)
    result = {key: (written, sorted(ports)) for key, (written, ports) in by_nsg.items()}
    for written, sorted_ports in result.values():
        if DENY_PRIORITY_BASE + len(sorted_ports) - 1 > DENY_PRIORITY_MAX:
            raise ValueError(f"{written}: {len(sorted_ports)} management ports do not fit priorities 4000-4095")
    return result


def refuse_managed_nsgs(vms: Sequence[ResolvedExistingVm], managed: Mapping[str, str], field_name: str) -> None:
    """Refuse an existing VM's NSG that this stack manages itself (`managed`: lowered NSG id to its owner).

    Two writers of one NSG's rules fight; and an NSG declared with inline rules deletes the standalone ones.
    """
    for index, vm in enumerate(vms):
        for nsg_id in vm.nsg_ids:
            owner = managed.get(nsg_id.lower())
            if owner is not None:
                raise ValueError(
                    f"{field_name}[{index}].nsgIds: {nsg_id} is managed by this stack ({owner}); an existing VM's "
                    "NSG must not be managed here too: list the VM under its own component, or drop the NSG"
                )


@dataclass
class ExistingVmGuardArgs:
    """Arguments of `ExistingVmGuard`."""

    vms: Sequence[ExistingVm]
    """The existing VMs (each with its NSG ids)."""
    managed_nsg_ids: Mapping[str, str] = field(default_factory=dict)
    """NSG ids (any case) the caller's stack manages, to the resource that does: refused as targets."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases (only for stacks created with versioned type tokens)."""


class ExistingVmGuard(pulumi.ComponentResource):
    """Standalone Deny rules for the management ports on existing NSGs, and the VMs' JIT policy entries.

    The rules are written through the component's provider: it must be the VMs' subscription.

    guard = ExistingVmGuard("legacy", ExistingVmGuardArgs(vms=[ExistingVm(vm_id, "westeurope", nsg_ids=[nsg])]))
    JitAccessPolicy("jit", JitAccessPolicyArgs(..., virtual_machines=guard.jit_entries))
    """

    jit_entries: list[JitVirtualMachine]
    resolved: list[ResolvedExistingVm]
    rules: list[network.SecurityRule]

    def __init__(self, name: str, args: ExistingVmGuardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        resolved = [resolve_existing_vm(vm, f"vms[{index}]") for index, vm in enumerate(args.vms)]
        if not resolved:
            raise ValueError("vms: at least one existing VM is required")
        seen: set[str] = set()
        for index, vm in enumerate(resolved):
            if vm.vm_id.lower() in seen:
                raise ValueError(f"vms[{index}]: {vm.vm_id} is listed twice")
            seen.add(vm.vm_id.lower())
        refuse_managed_nsgs(resolved, {k.lower(): v for k, v in args.managed_nsg_ids.items()}, "vms")
        by_nsg = deny_ports_by_nsg(resolved)
        super().__init__(
            type_tokens.EXISTING_VM_GUARD, name, None, with_alias_pruning(opts, args.keep_api_version_aliases)
        )
        self.resolved = resolved
        self.rules = []
        for written, ports in by_nsg.values():
            nsg = parse_arm_id(written)
            group, nsg_name = nsg.resource_group, nsg.name
            if group is None or nsg_name is None:  # resolve_existing_vm checked every NSG id already
                raise ValueError(f"nsg id {written!r} names no resource group or NSG")
            self.rules += deny_management_ports(f"{name}-{group}-{nsg_name}-deny", group, nsg_name, ports, parent=self)
        self.jit_entries = [
            JitVirtualMachine(vm_id=vm.vm_id, vm_name=vm.name, guarded_ports=list(vm.ports)) for vm in resolved
        ]
        self.register_outputs({"ruleIds": [rule.id for rule in self.rules]})
