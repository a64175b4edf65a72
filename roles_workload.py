"""The workload role: VMs, NSG rules, JIT policies and role assignments, in one subscription (docs/estate.md).

New VMs live in `resourceGroups` (each with its region and network); existing VMs (`existingVms`) get
standalone Deny rules on their NSGs and JIT entries, and are never touched. One JIT policy per (resource
group, region), named per owning stack, so two workload stacks in one subscription never write the same
policy. The requester role is the platform stack's (read by `StackReference` from `platformStack`); this stack
only assigns it, on the resource groups its VMs live in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, network, resources

from azure_jit_access import validation
from azure_jit_access.existing_vm import (
    ExistingVm,
    ExistingVmGuard,
    ExistingVmGuardArgs,
    refuse_managed_nsgs,
    resolve_existing_vm,
)
from azure_jit_access.jit_policy import JitAccessPolicy, JitVirtualMachine, resolve_policy
from azure_jit_access.requester_role import RoleAssignee, validate_assignee
from azure_jit_access.rules.names import owned_name, owner_label, role_assignment_name
from azure_jit_access.vm import JitProtectedVm
from estate import WORKLOAD, check_platform_stack
from stack_config import _check_subnet, _vm_config, group_labels
from stack_schema import NAMESPACE
from stack_settings import Placement, PolicyConfig, VmConfig


@dataclass
class WorkloadGroup:
    """One entry of `resourceGroups`: a resource group in one region, its network and new VMs."""

    placement: Placement
    address_space: str
    subnet_prefix: str
    vms: list[VmConfig]


@dataclass
class WorkloadConfig:
    """The workload role's settings, validated."""

    subscription: str
    platform_stack: str
    groups: list[WorkloadGroup]
    existing: list[ExistingVm]
    policies: dict[tuple[str, str], PolicyConfig]
    """One JIT policy per (lowered resource group, region)."""
    requester_group_ids: list[str]
    tags: dict[str, str] = field(default_factory=dict)


def policy_key(resource_group: str, location: str) -> tuple[str, str]:
    """The (resource group, region) a JIT policy covers, compared case-insensitively."""
    return resource_group.lower(), location.strip().lower().replace(" ", "")


def assign_to_policies(entries: list[tuple[str, str, str, str]]) -> dict[tuple[str, str], list[str]]:
    """Group `(vm id, resource group, region, where)` by policy; a VM listed twice (by two policies) is refused."""
    seen: dict[str, tuple[tuple[str, str], str]] = {}
    policies: dict[tuple[str, str], list[str]] = {}
    for vm_id, group, location, where in entries:
        key = policy_key(group, location)
        if vm_id.lower() in seen:
            first_key, first_where = seen[vm_id.lower()]
            twice = (
                f"twice by the same JIT policy ({'/'.join(key)})"
                if first_key == key
                else f"by two JIT policies ({'/'.join(first_key)} and {'/'.join(key)})"
            )
            raise ValueError(
                f"{where}: {vm_id} is already listed at {first_where}: a VM is listed {twice}; list it once"
            )
        seen[vm_id.lower()] = (key, where)
        policies.setdefault(key, []).append(vm_id)
    return policies


def resolve_workload_config(values: dict, *, project: str, stack: str, subscription: str) -> WorkloadConfig:
    """The `WorkloadConfig` from type-checked values; `ValueError` names the key and the fix."""
    platform_stack = check_platform_stack(values.get("platformStack"))
    tags = validation.validate_tags(values.get("tags"), f"{NAMESPACE}:tags")
    groups: list[WorkloadGroup] = []
    planned: list[tuple[JitVirtualMachine, str, str, str]] = []
    for g, raw in enumerate(values.get("resourceGroups") or []):
        where = f"{NAMESPACE}:resourceGroups[{g}]"
        if not raw.get("name") or not raw.get("location") or not raw.get("vms"):
            raise ValueError(f"{where}: 'name', 'location' and at least one VM in 'vms' are required")
        net = raw.get("network") or {}
        space = validation.validate_cidr(net.get("addressSpace"), f"{where}.network.addressSpace")
        prefix = _check_subnet(net.get("workloadSubnetPrefix"), space, f"{where}.network.workloadSubnetPrefix")
        place = Placement(subscription, raw["name"], raw["location"])
        vms = []
        for index, item in enumerate(raw["vms"]):
            try:
                vm, settings = _vm_config(item, index, "public", values, tags, place)
            except ValueError as err:
                raise ValueError(str(err).replace(f"{NAMESPACE}:vms[", f"{where}.vms[", 1)) from None
            vms.append(vm)
            entry = JitVirtualMachine(place.vm_id(vm.vm_name), vm.vm_name, guarded_ports=settings.management_ports)
            planned.append((entry, raw["name"], raw["location"], f"{where}.vms[{index}]"))
        groups.append(WorkloadGroup(place, space, prefix, vms))
    existing = []
    for index, raw in enumerate(values.get("existingVms") or []):
        where = f"{NAMESPACE}:existingVms[{index}]"
        vm = ExistingVm(
            raw.get("id"), raw.get("location"), raw.get("os", "linux"), raw.get("ports"), raw.get("nsgIds", [])
        )
        resolved = resolve_existing_vm(vm, where)
        if resolved.subscription.lower() != subscription.lower():
            raise ValueError(
                f"{where}.id: the VM is in subscription {resolved.subscription}, this stack deploys to {subscription}; "
                "use one workload stack per subscription (azure-native:subscriptionId)"
            )
        existing.append(vm)
        entry = JitVirtualMachine(resolved.vm_id, resolved.name, guarded_ports=list(resolved.ports))
        planned.append((entry, resolved.resource_group, resolved.location, where))
    if not planned:
        raise ValueError(f"{NAMESPACE}:resourceGroups / existingVms: a workload stack protects at least one VM")
    assign_to_policies([(entry.vm_id, group, location, where) for entry, group, location, where in planned])
    seen_names: set[str] = set()
    for entry, _, _, where in planned:
        if entry.vm_name.lower() in seen_names:
            raise ValueError(
                f"{where}: a VM named {entry.vm_name!r} is listed twice in this stack; VM names are unique"
            )
        seen_names.add(entry.vm_name.lower())
    refuse_managed_nsgs(
        [resolve_existing_vm(vm) for vm in existing], managed_nsg_ids(groups), f"{NAMESPACE}:existingVms"
    )
    sources = values.get("allowedSourcePrefixes") or []
    if not sources:
        raise ValueError(
            f"{NAMESPACE}:allowedSourcePrefixes: required: the public IPs or CIDRs JIT may open ports to, never '*'"
        )
    policy_name = values.get("jitPolicyName") or owned_name("jit", owner_label(project, stack))
    policies: dict[tuple[str, str], PolicyConfig] = {}
    for key in dict.fromkeys(policy_key(group, location) for _, group, location, _ in planned):
        config = PolicyConfig(
            location=key[1],
            allowed_source_address_prefixes=sources,
            max_request_access_duration=values.get("maxRequestAccessDuration") or validation.DEFAULT_JIT_DURATION,
            policy_name=policy_name,
        )
        members = [entry for entry, group, location, _ in planned if policy_key(group, location) == key]
        try:
            resolve_policy(config.args(resource_group_name=key[0], virtual_machines=members))
        except ValueError as err:
            raise ValueError(f"{NAMESPACE} (JIT policy of {key[0]}/{key[1]}): {err}") from None
        policies[key] = config
    return WorkloadConfig(
        subscription=subscription,
        platform_stack=platform_stack,
        groups=groups,
        existing=existing,
        policies=policies,
        requester_group_ids=_group_ids(values),
        tags=tags,
    )


def managed_nsg_ids(groups: list[WorkloadGroup]) -> dict[str, str]:
    """The ids (lowered) of the NSGs this stack creates (`JitProtectedVm` names them `<vm>-nsg`), to their VM."""
    return {
        f"{group.placement.group_id}/providers/Microsoft.Network/networkSecurityGroups/{vm.vm_name}-nsg".lower(): (
            vm.vm_name
        )
        for group in groups
        for vm in group.vms
    }


def _group_ids(values: dict) -> list[str]:
    group_ids = values.get("requesterGroupIds") or []
    for index, group_id in enumerate(group_ids):
        try:
            validate_assignee(RoleAssignee("group", group_id, "Group"))
        except ValueError as err:
            raise ValueError(f"{NAMESPACE}:requesterGroupIds[{index}]: {err}") from None
        if group_id.lower() in (g.lower() for g in group_ids[:index]):
            raise ValueError(f"{NAMESPACE}:requesterGroupIds[{index}]: {group_id} is listed twice; list each once")
    return list(group_ids)


def build_workload(config: WorkloadConfig) -> None:
    """Create the workload's resources; read the requester role from the platform stack."""
    platform = pulumi.StackReference(config.platform_stack)
    members: dict[tuple[str, str], list] = {key: [] for key in config.policies}
    group_names: dict[str, pulumi.Input[str]] = {}
    plain_names: dict[str, str] = {}
    vm_ids: dict[str, pulumi.Output[str]] = {}
    for group in config.groups:
        place = group.placement
        label = place.group
        rg = resources.ResourceGroup(
            f"{label}-rg", resource_group_name=place.group, location=place.location, tags=config.tags or None
        )
        vnet = network.VirtualNetwork(
            f"{label}-vnet",
            resource_group_name=rg.name,
            location=place.location,
            virtual_network_name=place.vnet_name,
            address_space=network.AddressSpaceArgs(address_prefixes=[group.address_space]),
            tags=config.tags or None,
        )
        subnet = network.Subnet(
            f"{label}-workload-subnet",
            resource_group_name=rg.name,
            virtual_network_name=vnet.name,
            subnet_name=place.subnet_name,
            address_prefix=group.subnet_prefix,
        )
        group_names[place.group.lower()] = rg.name
        plain_names[place.group.lower()] = place.group
        for vm in group.vms:
            protected = JitProtectedVm(
                vm.vm_name, vm.args(resource_group_name=rg.name, subnet_id=subnet.id, location=place.location)
            )
            members[policy_key(place.group, place.location)].append(protected)
            vm_ids[vm.vm_name] = protected.vm_id
    if config.existing:
        guard = ExistingVmGuard(
            "existing", ExistingVmGuardArgs(vms=config.existing, managed_nsg_ids=managed_nsg_ids(config.groups))
        )
        for vm, entry in zip(guard.resolved, guard.jit_entries, strict=True):
            members[policy_key(vm.resource_group, vm.location)].append(entry)
            group_names.setdefault(vm.resource_group.lower(), vm.resource_group)
            plain_names.setdefault(vm.resource_group.lower(), vm.resource_group)
            vm_ids[vm.name] = pulumi.Output.from_input(vm.vm_id)
    policy_ids = {}
    for key, policy in config.policies.items():
        jit = JitAccessPolicy(
            f"jit-{key[0]}-{key[1]}",
            policy.args(resource_group_name=group_names[key[0]], virtual_machines=members[key]),
        )
        policy_ids[f"{key[0]}/{key[1]}"] = jit.policy_id
    role_id = platform.get_output("requesterRoleIds").apply(lambda ids: _role_for(ids, config))
    labels = group_labels(config.requester_group_ids)
    for rg_key, rg_name in group_names.items():
        scope = f"/subscriptions/{config.subscription}/resourceGroups/{plain_names[rg_key]}"
        for group_id in config.requester_group_ids:
            authorization.RoleAssignment(
                f"requester-{labels[group_id.lower()]}-{rg_key}",
                role_assignment_name=role_id.apply(
                    lambda rid, s=scope, p=group_id: role_assignment_name(s, rid.rsplit("/", 1)[-1], p)
                ),
                principal_id=group_id,
                principal_type="Group",
                role_definition_id=role_id,
                # From the group's output, so the assignment waits for a group this stack creates.
                scope=pulumi.Output.from_input(rg_name).apply(lambda _, s=scope: s),
                description="JIT requester (role from the platform stack)",
            )
    pulumi.export("role", WORKLOAD)
    pulumi.export("platformStack", config.platform_stack)
    pulumi.export("vmIds", vm_ids)
    pulumi.export("jitPolicyIds", policy_ids)


def _role_for(ids: object, config: WorkloadConfig) -> str:
    found = {str(k).lower(): v for k, v in ids.items()} if isinstance(ids, dict) else {}
    if config.subscription.lower() not in found:
        raise ValueError(
            f"platform stack {config.platform_stack} does not cover subscription {config.subscription} "
            f"(its requesterRoleIds: {sorted(found)}); add it to the platform's {NAMESPACE}:subscriptions first"
        )
    return found[config.subscription.lower()]


def workload_config_from_stack(values: dict, _location: str | None = None) -> WorkloadConfig:
    """`resolve_workload_config` for the running stack (its project, name and provider subscription).

    Every resource group of a workload names its own region, so `azure-native:location` is not used.
    """
    return resolve_workload_config(
        values,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        subscription=authorization.get_client_config().subscription_id,
    )
