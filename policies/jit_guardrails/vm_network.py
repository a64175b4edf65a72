"""Following a VM to its network: NICs and subnets by ARM id, and whether an NSG sits in front of it.

Shared by the stack policies. Ids are matched by resource group and name (lower case); a resource group
that the state does not carry (Azure's read-back omits path parameters) matches any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from .props import arm_id_parts, as_list, is_type, is_unknown, plain, text

VM_TYPE = "azure-native:compute:VirtualMachine"
NIC_TYPE = "azure-native:network:NetworkInterface"
SUBNET_TYPE = "azure-native:network:Subnet"
VNET_TYPE = "azure-native:network:VirtualNetwork"


@dataclass(frozen=True)
class Named:
    """A resource as a (resource group or None, name) pair, lower case, for matching ids to resources."""

    group: str | None
    name: str

    def matches(self, other: Named) -> bool:
        """Same name, and the same resource group when both are known."""
        return self.name == other.name and (self.group is None or other.group is None or self.group == other.group)


def state(resource: PolicyResource) -> dict[str, Any]:
    """A stack resource's props as plain values; the declared inputs win where a provider kept them."""
    props = plain(resource.props)
    inputs = props.get("__inputs")
    return {**props, **inputs} if isinstance(inputs, Mapping) else props


def named(props: Mapping[str, Any], name_key: str, collection: str, logical_name: str) -> Named | None:
    """The resource's Azure name and group from its props or `id`; None when the name is not known yet."""
    if is_unknown(props.get(name_key)):
        return None
    parts = arm_id_parts(props.get("id"))
    name = text(props.get(name_key)) or text(props.get("name")) or parts.get(collection) or logical_name
    group = text(props.get("resourceGroupName")) or parts.get("resourcegroups")
    return Named(group.lower() if group else None, name.lower())


def named_from_id(arm_id: Any, collection: str, parent: str | None = None) -> Named | None:
    """A (group, name) pair from an ARM id; with `parent`, the name is `<parent name>/<name>` (a VNet's subnet)."""
    parts = arm_id_parts(arm_id)
    if collection not in parts or (parent and parent not in parts):
        return None
    name = f"{parts[parent]}/{parts[collection]}" if parent else parts[collection]
    return Named(parts.get("resourcegroups"), name)


def _has_nsg(holder: Any) -> bool | None:
    """Whether a NIC, NIC configuration or subnet references an NSG; None when that is not known yet."""
    reference = holder.get("networkSecurityGroup") if isinstance(holder, Mapping) else None
    if is_unknown(reference):
        return None
    value = reference.get("id") if isinstance(reference, Mapping) else reference
    if is_unknown(value):
        return None
    return bool(text(value))


@dataclass
class NetworkIndex:
    """The stack's NICs and subnets by lower-case name, built once per stack (a VM looks its NICs up in O(1))."""

    nics: dict[str, list[tuple[Named, dict[str, Any]]]] = field(default_factory=dict)
    subnets: dict[str, list[tuple[Named, dict[str, Any]]]] = field(default_factory=dict)
    unnamed_nic: bool = False
    """Some NIC's name is not known yet (it could be any wanted NIC)."""
    unnamed_subnet: bool = False

    def find_nics(self, wanted: Named) -> list[dict[str, Any]]:
        """Props of the stack's NICs that match the wanted (group, name)."""
        return [props for key, props in self.nics.get(wanted.name, []) if key.matches(wanted)]

    def find_subnets(self, wanted: Named) -> list[dict[str, Any]]:
        """Props of the stack's subnets (standalone or inline in a VNet) that match `<vnet>/<subnet>`."""
        return [props for key, props in self.subnets.get(wanted.name, []) if key.matches(wanted)]


def index_network(resources: Iterable[tuple[PolicyResource, dict[str, Any]]]) -> NetworkIndex:
    """Index every NIC and subnet (keyed `<vnet>/<subnet>`) of the stack, once."""
    index = NetworkIndex()
    for resource, props in resources:
        if is_type(resource.resource_type, NIC_TYPE):
            nic = named(props, "networkInterfaceName", "networkinterfaces", resource.name)
            if nic is None:
                index.unnamed_nic = True
            else:
                index.nics.setdefault(nic.name, []).append((nic, props))
            continue
        if not is_type(resource.resource_type, SUBNET_TYPE, VNET_TYPE):
            continue
        group = text(props.get("resourceGroupName"))
        group = group.lower() if group else arm_id_parts(props.get("id")).get("resourcegroups")
        if is_type(resource.resource_type, SUBNET_TYPE):
            if is_unknown(props.get("virtualNetworkName")) or is_unknown(props.get("subnetName")):
                index.unnamed_subnet = True
                continue
            vnet = text(props.get("virtualNetworkName")) or arm_id_parts(props.get("id")).get("virtualnetworks")
            name = text(props.get("subnetName")) or text(props.get("name")) or resource.name
            if vnet:
                key = Named(group, f"{vnet}/{name}".lower())
                index.subnets.setdefault(key.name, []).append((key, props))
        else:
            vnet = text(props.get("virtualNetworkName")) or text(props.get("name")) or resource.name
            for subnet in as_list(props.get("subnets")):
                subnet_name = text(subnet.get("name")) if isinstance(subnet, Mapping) else None
                if isinstance(subnet, Mapping) and subnet_name:
                    key = Named(group, f"{vnet}/{subnet_name}".lower())
                    index.subnets.setdefault(key.name, []).append((key, dict(subnet)))
    return index


def _ip_configs_problems(
    label: str, configs: Any, network: NetworkIndex, trust_external: bool
) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    unknown: list[str] = []
    if is_unknown(configs):
        return [], [f"{label}.ipConfigurations"]
    for index, config in enumerate(as_list(configs)):
        subnet = config.get("subnet") if isinstance(config, Mapping) else None
        subnet_id = subnet.get("id") if isinstance(subnet, Mapping) else subnet
        if is_unknown(subnet) or is_unknown(subnet_id):
            unknown.append(f"{label}.ipConfigurations[{index}].subnet")
            continue
        wanted = named_from_id(subnet_id, "subnets", parent="virtualnetworks")
        matches = network.find_subnets(wanted) if wanted is not None else []
        verdicts = [_has_nsg(props) for props in matches]
        if not matches and network.unnamed_subnet:
            unknown.append(f"{label}: a subnet of the stack whose name is not known yet")
        elif not matches:
            if not trust_external:
                problems.append(
                    f"{label} is in subnet {subnet_id or '(none given)'}, which this stack does not "
                    "manage, so its NSG cannot be checked (set trustExternalNetworks if it has one)"
                )
        elif wanted is not None and None in verdicts and True not in verdicts:
            unknown.append(f"subnet {wanted.name} networkSecurityGroup")
        elif wanted is not None and True not in verdicts:
            problems.append(f"neither {label} nor its subnet {wanted.name} has a networkSecurityGroup")
    return problems, unknown


def vm_nsg_problems(
    vm_props: Mapping[str, Any], network: NetworkIndex, trust_external: bool = False
) -> tuple[list[str], list[str]]:
    """(problems, unknown fields) for "every NIC of this VM, or its subnet, has an NSG"."""
    raw_profile = vm_props.get("networkProfile")
    if is_unknown(raw_profile):
        return [], ["networkProfile"]
    profile: Mapping[str, Any] = raw_profile if isinstance(raw_profile, Mapping) else {}
    problems: list[str] = []
    unknown: list[str] = []
    for index, reference in enumerate(as_list(profile.get("networkInterfaces"))):
        nic_id = reference.get("id") if isinstance(reference, Mapping) else reference
        wanted = named_from_id(nic_id, "networkinterfaces")
        if is_unknown(reference) or is_unknown(nic_id) or wanted is None:
            unknown += [f"networkProfile.networkInterfaces[{index}].id"] if wanted is None else []
            continue
        found = network.find_nics(wanted)
        if not found:
            if network.unnamed_nic:
                unknown.append(f"NIC {wanted.name}: a NIC of the stack whose name is not known yet")
            elif not trust_external:
                problems.append(
                    f"NIC {nic_id} is not managed by this stack, so its NSG cannot be checked (set "
                    "trustExternalNetworks if it has one)"
                )
            continue
        nic = found[0]
        verdict = _has_nsg(nic)
        if verdict is None:
            unknown.append(f"NIC {wanted.name} networkSecurityGroup")
        elif not verdict:
            more, later = _ip_configs_problems(
                f"NIC '{wanted.name}'", nic.get("ipConfigurations"), network, trust_external
            )
            problems, unknown = problems + more, unknown + later
    for index, config in enumerate(as_list(profile.get("networkInterfaceConfigurations"))):
        if not isinstance(config, Mapping):
            continue
        verdict = _has_nsg(config)
        label = f"NIC configuration '{text(config.get('name')) or index}'"
        if verdict is None:
            unknown.append(f"{label} networkSecurityGroup")
        elif not verdict:
            more, later = _ip_configs_problems(label, config.get("ipConfigurations"), network, trust_external)
            problems, unknown = problems + more, unknown + later
    return problems, unknown
