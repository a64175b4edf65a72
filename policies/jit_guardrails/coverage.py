"""Claims the stack policies make, checked to the end: JIT entries that protect a management port, and subnets
with one owner.

- `vm-management-ports-jit-protected` accepts a VM listed in a JIT policy with any ports. An entry for port
  8080 only keeps nothing closed: the VM's SSH or RDP port is still governed by whatever the NSG allows.
  The VM's management ports follow its OS (Linux: 22; Windows: 3389, 5985, 5986; unknown: any of them).
- A subnet declared both inline (`VirtualNetwork.subnets`) and as a standalone `Subnet` is written twice:
  each PUT of the virtual network replaces the subnet with its inline shape, dropping the NSG the standalone
  resource attached (pulumi-azure-native documents the two forms as mutually exclusive).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .docs import policy_url
from .jit import JIT_POLICY_TYPE, port_number
from .other_roads import flat
from .ports import DEFAULT_MANAGEMENT_PORTS
from .props import as_list, is_type, is_unknown, raise_if_unverified, text
from .stack import require_any
from .vm_network import SUBNET_TYPE, VM_TYPE, VNET_TYPE, Named, named, named_from_id, state

OS_MANAGEMENT_PORTS = {"linux": (22,), "windows": (3389, 5985, 5986)}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def vm_os(props: Mapping[str, Any]) -> str | None:
    """`linux`, `windows` or None (unknown) from the VM's OS profile or OS disk."""
    os_profile = _mapping(props.get("osProfile"))
    if os_profile.get("linuxConfiguration") is not None:
        return "linux"
    if os_profile.get("windowsConfiguration") is not None:
        return "windows"
    kind = text(_mapping(_mapping(props.get("storageProfile")).get("osDisk")).get("osType"))
    return kind.lower() if kind and kind.lower() in OS_MANAGEMENT_PORTS else None


def check_jit_covers_management_ports(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `jit-entry-covers-management-ports`."""
    require_any(args, "JIT network access policy", JIT_POLICY_TYPE)
    # By name, so matching stays linear in the number of resources (fleets have thousands of VMs).
    vms: dict[str, list[tuple[Named, dict[str, Any]]]] = {}
    for resource in args.resources:
        if is_type(resource.resource_type, VM_TYPE):
            props = state(resource)
            vm = named(props, "vmName", "virtualmachines", resource.name)
            if vm is not None:
                vms.setdefault(vm.name, []).append((vm, props))
    unknown: list[str] = []
    for resource in args.resources:
        if not is_type(resource.resource_type, JIT_POLICY_TYPE):
            continue
        for index, machine in enumerate(as_list(state(resource).get("virtualMachines"))):
            if not isinstance(machine, Mapping):
                continue
            entry = named_from_id(machine.get("id"), "virtualmachines")
            ports = [
                port_number(p.get("number")) if isinstance(p, Mapping) else None for p in as_list(machine.get("ports"))
            ]
            if not ports or any(
                is_unknown(p.get("number")) for p in as_list(machine.get("ports")) if isinstance(p, Mapping)
            ):
                unknown += [f"JIT policy '{resource.name}' virtualMachines[{index}].ports"] if ports else []
                continue  # no ports at all is vm-management-ports-jit-protected's case
            candidates = vms.get(entry.name, []) if entry else []
            os_kind = next((vm_os(p) for vm, p in candidates if entry and vm.matches(entry)), None)
            wanted = list(OS_MANAGEMENT_PORTS.get(os_kind or "", DEFAULT_MANAGEMENT_PORTS))
            if any(p in wanted for p in ports):
                continue
            vm_name = entry.name if entry else f"virtualMachines[{index}]"
            report_violation(
                f"JIT policy '{resource.name}' lists VM '{vm_name}' with port(s) {', '.join(str(p) for p in ports)}, "
                f"none of them its management port{'s' if len(wanted) > 1 else ''} "
                f"({', '.join(map(str, wanted))}{', ' + os_kind if os_kind else ''}). JIT then keeps nothing closed "
                "that matters.",
                resource.urn,
            )
    raise_if_unverified(unknown)


def _vnet_key(props: Mapping[str, Any], logical: str) -> tuple[str | None, str]:
    group = text(props.get("resourceGroupName"))
    name = text(props.get("virtualNetworkName")) or text(props.get("name")) or logical
    return (group.lower() if group else None, name.lower())


def check_subnet_single_owner(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `subnet-single-owner`."""
    require_any(args, "virtual network", VNET_TYPE)
    by_urn: dict[str, list[tuple[str, str]]] = {}
    by_vnet_name: dict[str, list[tuple[str, str]]] = {}
    for resource in args.resources:
        if is_type(resource.resource_type, SUBNET_TYPE):
            props = state(resource)
            entry = ((text(props.get("subnetName")) or text(props.get("name")) or resource.name).lower(), resource.name)
            for dependency in resource.property_dependencies.get("virtualNetworkName", []):
                by_urn.setdefault(dependency.urn, []).append(entry)
            target = text(props.get("virtualNetworkName"))
            if target:
                by_vnet_name.setdefault(target.lower(), []).append(entry)
    for vnet in args.resources:
        if not is_type(vnet.resource_type, VNET_TYPE):
            continue
        props = state(vnet)
        inline = props.get("subnets")
        if inline is None or is_unknown(inline):
            continue
        _, vnet_name = _vnet_key(props, vnet.name)
        inline_names = {(text(flat(s).get("name")) or "").lower() for s in as_list(inline)}
        mine = dict.fromkeys(by_urn.get(vnet.urn, []) + by_vnet_name.get(vnet_name, []))
        for name, logical in mine:
            both = name in inline_names
            report_violation(
                f"Virtual network '{vnet_name}' declares subnets inline and subnet '{name}' also as the standalone "
                f"Subnet '{logical}'"
                + (" (the same subnet twice)" if both else "")
                + ". Each PUT of the virtual network rewrites its subnets from the inline list, dropping the NSG "
                "the standalone Subnet attaches" + ("" if both else " or failing on a subnet the list omits") + ".",
                vnet.urn,
            )


jit_entry_covers_management_ports = StackValidationPolicy(
    name="jit-entry-covers-management-ports",
    description="A VM's entry in a JIT policy must include at least one of its management ports (SSH for Linux, "
    "RDP or WinRM for Windows), or JIT keeps nothing closed.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_jit_covers_management_ports,
    severity=Severity.HIGH,
    remediation_steps="List the VM's management port in its JIT entry: SSH (22) for Linux, RDP (3389) or WinRM "
    "(5985, 5986) for Windows, or the port configured in the NSG policies' managementPorts.",
    url=policy_url("jit-entry-covers-management-ports"),
)

subnet_single_owner = StackValidationPolicy(
    name="subnet-single-owner",
    description="A virtual network must not declare inline subnets while standalone Subnet resources manage its "
    "subnets: each PUT of the network drops the standalone subnet's NSG.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_subnet_single_owner,
    severity=Severity.HIGH,
    remediation_steps="Declare every subnet one way: standalone Subnet resources (with network_security_group) and "
    "no `subnets` on the VirtualNetwork, or only inline subnets that each carry their NSG.",
    url=policy_url("subnet-single-owner"),
)

POLICIES = [jit_entry_covers_management_ports, subnet_single_owner]
