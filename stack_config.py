"""The program's stack config (`Pulumi.<stack>.yaml`), read and validated in full before anything is created.

Every mistake is a `ConfigError` (a `ValueError`) naming the stack file, the key (`azure-jit-access:vms[1].os`)
and what to write instead. Types are checked first by `stack_schema` (never coerced: a quoted "false" is an
error, not True); `__main__.py` only composes components from the `StackConfig` this returns.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
from pulumi_azure_native import authorization

from approval_config import ApprovalSettings, check_approvals_config
from azure_jit_access import validation
from azure_jit_access.approval.modes import APPROVAL, resolve_request_mode
from azure_jit_access.audit import resolve_audit_settings
from azure_jit_access.bastion import validate_bastion_args
from azure_jit_access.defender import DefenderForServersArgs, resolve_extensions
from azure_jit_access.jit_policy import JitVirtualMachine, resolve_policy
from azure_jit_access.requester_role import (
    JitRequesterRoleArgs,
    RoleAssignee,
    validate_assignable_scopes,
    validate_assignee,
)
from azure_jit_access.viewer_role import JitViewerRoleArgs
from azure_jit_access.vm import NsgRule, VmSettings, resolve_vm_settings
from azure_jit_access.wildcard_policy import DenyWildcardSourcePolicyArgs, parse_policy_scope, validate_effect
from stack_schema import NAMESPACE, ConfigError, validate_namespace
from stack_settings import AuditConfig, BastionConfig, Placement, PolicyConfig, VmConfig

ACCESS_MODES = ("public", "bastion")


@dataclass
class StackConfig:
    """Everything the program needs, validated: settings only; `__main__.py` adds the wiring."""

    location: str
    resource_group_name: str
    access_mode: str
    address_space: str
    workload_subnet_prefix: str
    vms: list[VmConfig]
    policy: PolicyConfig
    defender: DefenderForServersArgs
    requester: JitRequesterRoleArgs
    guardrails: DenyWildcardSourcePolicyArgs
    placement: Placement
    """Subscription, resource group and the names of the network: where everything goes."""
    bastion: BastionConfig | None = None
    audit: AuditConfig | None = None
    approvals: ApprovalSettings | None = None
    tags: dict[str, str] = field(default_factory=dict)
    request_mode: str = "direct"
    """`direct` (requesters initiate themselves) or `approval` (only the workflow's identity initiates)."""
    viewer: JitViewerRoleArgs | None = None
    """Approval mode: the read-only JIT viewer role for `requesterGroupIds`."""


def _vm_config(
    raw: object, index: int, mode: str, values: dict, tags: dict, place: Placement
) -> tuple[VmConfig, VmSettings]:
    where = f"{NAMESPACE}:vms[{index}]"
    item: dict = raw  # type: ignore[assignment]  # a mapping with known keys (stack_schema)
    if "name" not in item or "os" not in item:
        raise ValueError(f"{where}: 'name' and 'os' (linux or windows) are required")
    os_type = validation.validate_os_type(item["os"], f"{where}.os")
    public_ip = item.get("publicIp", mode == "public")
    if mode == "bastion" and public_ip:
        raise ValueError(
            f"{where}.publicIp: in Bastion mode VMs get no public IP (they are reached through "
            "Bastion); remove publicIp"
        )
    raw_rules = item.get("extraRules", [])
    rules = [
        NsgRule(
            name=r.get("name"),
            priority=r.get("priority"),
            destination_port_ranges=r.get("ports", []),
            source_address_prefixes=r.get("sources", []),
            access=r.get("access", "Allow"),
            direction=r.get("direction", "Inbound"),
            protocol=r.get("protocol", "Tcp"),
            description=r.get("description"),
        )
        for r in raw_rules
    ]
    vm = VmConfig(
        os_type=os_type,
        vm_name=item["name"],
        computer_name=item.get("computerName"),
        size=item.get("size", "Standard_B2s"),
        image=item.get("image"),
        public_ip=public_ip,
        management_ports=item.get("ports"),
        winrm=item.get("winrm", False),
        ssh_public_key=values.get("sshPublicKey") if os_type == "linux" else None,
        admin_username=values.get("adminUsername") or "azureuser",
        extra_rules=rules,
        tags=tags,
    )
    try:
        args = vm.args(resource_group_name=place.group, subnet_id=place.subnet_id, location=place.location)
        return vm, resolve_vm_settings(vm.vm_name, args)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None


def _check_subnet(prefix: object, space: str, where: str) -> str:
    checked = validation.validate_cidr(prefix, where)
    subnet, vnet = ipaddress.ip_network(checked), ipaddress.ip_network(space)
    # An IPv6 subnet in an IPv4 space (or the reverse) is never inside it; subnet_of would raise TypeError.
    if isinstance(subnet, ipaddress.IPv4Network) and isinstance(vnet, ipaddress.IPv4Network):
        inside = subnet.subnet_of(vnet)
    elif isinstance(subnet, ipaddress.IPv6Network) and isinstance(vnet, ipaddress.IPv6Network):
        inside = subnet.subnet_of(vnet)
    else:
        inside = False
    if not inside:
        raise ValueError(f"{where}: '{prefix}' is not inside the VNet address space '{space}'")
    return checked


def _required(values: dict, key: str) -> dict[str, Any]:
    """A required mapping key (stack_schema has already checked its type)."""
    if key not in values:
        raise ValueError(f"{NAMESPACE}:{key}: required; see Pulumi.dev.yaml for an example")
    value = values[key]
    if not isinstance(value, dict):
        raise ValueError(f"{NAMESPACE}:{key}: expected a mapping; see Pulumi.dev.yaml for an example")
    return value


def stack_file() -> str:
    """The stack's config file, named in every error."""
    return f"Pulumi.{pulumi.get_stack()}.yaml"


def read_config() -> StackConfig:
    """Read and validate the whole stack config; raises `ConfigError` naming the file and key, creating nothing."""
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    try:
        return resolve_config(validate_namespace(raw), raw.get("azure-native:location"))
    except ValueError as err:
        raise ConfigError(f"{stack_file()}: {err}") from None


def resolve_config(values: dict, location: str | None) -> StackConfig:
    """The `StackConfig` from type-checked `values` (short key to value); `ValueError` names the key."""
    if not location:
        raise ValueError("azure-native:location: required, e.g. westeurope (`pulumi config set azure-native:location`)")
    mode = (values.get("accessMode") or "public").lower()
    if mode not in ACCESS_MODES:
        raise ValueError(
            f"{NAMESPACE}:accessMode: {mode!r}; use 'public' (VM public IPs, JIT from your "
            "allowed sources) or 'bastion' (no public IPs, JIT from the Bastion subnet)"
        )
    tags = validation.validate_tags(values.get("tags"), f"{NAMESPACE}:tags")
    net = _required(values, "network")
    space = validation.validate_cidr(net.get("addressSpace"), f"{NAMESPACE}:network.addressSpace")
    workload = _check_subnet(net.get("workloadSubnetPrefix"), space, f"{NAMESPACE}:network.workloadSubnetPrefix")
    raw_vms = values.get("vms") or []
    if not isinstance(raw_vms, list) or not raw_vms:
        raise ValueError(f"{NAMESPACE}:vms: at least one VM is required, e.g. [{{name: vm-web-01, os: linux}}]")
    group = values.get("resourceGroupName") or f"rg-jit-{pulumi.get_stack()}"
    place = Placement(authorization.get_client_config().subscription_id, group, location)
    checked = [_vm_config(raw, index, mode, values, tags, place) for index, raw in enumerate(raw_vms)]
    vms = [vm for vm, _ in checked]

    bastion = None
    sources = values.get("allowedSourcePrefixes") or []
    if mode == "bastion":
        prefix = net.get("bastionSubnetPrefix")
        if not prefix:
            raise ValueError(f"{NAMESPACE}:network.bastionSubnetPrefix: required in Bastion mode, e.g. 10.20.255.0/26")
        prefix = _check_subnet(prefix, space, f"{NAMESPACE}:network.bastionSubnetPrefix")
        if ipaddress.ip_network(prefix).overlaps(ipaddress.ip_network(workload)):
            raise ValueError(f"{NAMESPACE}:network.bastionSubnetPrefix: '{prefix}' overlaps the workload subnet")
        raw = values.get("bastion") or {}
        bastion = BastionConfig(
            subnet_address_prefix=prefix,
            sku=raw.get("sku", "Basic"),
            enable_tunneling=raw.get("enableTunneling", False),
            location=location,
            tags=tags,
        )
        validate_bastion_args(bastion.args(resource_group_name=group, virtual_network_name=place.vnet_name))
    elif not sources:
        raise ValueError(
            f"{NAMESPACE}:allowedSourcePrefixes: required in public mode: the public IPs or CIDRs "
            "JIT may open ports to (e.g. your office egress '203.0.113.0/28'), never '*'"
        )
    policy = PolicyConfig(
        location=location,
        allowed_source_address_prefixes=sources,
        max_request_access_duration=values.get("maxRequestAccessDuration") or validation.DEFAULT_JIT_DURATION,
        policy_name=values.get("jitPolicyName") or "default",
        bastion_subnet_prefix=bastion.subnet_address_prefix if bastion else None,
    )
    # The policy is checked with the VMs as they will be (their ids are known from the names).
    planned = [
        JitVirtualMachine(
            vm_id=place.vm_id(settings.vm_name),
            vm_name=settings.vm_name,
            guarded_ports=settings.management_ports,
            has_public_ip=settings.public_ip,
        )
        for _, settings in checked
    ]
    try:
        resolved = resolve_policy(policy.args(resource_group_name=group, virtual_machines=planned))
    except ValueError as err:
        raise ValueError(f"{NAMESPACE} (JIT policy): {err}") from None

    raw_defender = values.get("defender") or {}
    defender = DefenderForServersArgs(
        subscription_id=raw_defender.get("subscriptionId"),
        extensions=raw_defender.get("extensions", []),
        retain_on_delete=raw_defender.get("retainOnDelete", True),
        protect=raw_defender.get("protect", True),
    )
    resolve_extensions(defender.extensions)
    if defender.subscription_id:
        validation.validate_subscription_id(defender.subscription_id, f"{NAMESPACE}:defender.subscriptionId")
    approvals = values.get("approvals")
    request_mode = resolve_request_mode(values.get("requestMode"), approvals is not None, f"{NAMESPACE}:requestMode")
    requester, guardrails = _access_control(values, group, place.subscription)
    viewer = None
    if request_mode == APPROVAL:
        # Approval mode: people see JIT but only the workflow may initiate (JIT's only check is RBAC).
        viewer = JitViewerRoleArgs(
            assignable_scopes=requester.assignable_scopes, assignees=requester.assignees, portal=requester.portal
        )
        requester = replace(requester, assignees=[], access_mode=APPROVAL)
    if approvals is not None:
        approvals = check_approvals_config(
            approvals,
            resource_group=group,
            location=location,
            policy_name=policy.policy_name,
            caps={vm.entry.vm_name: [p.to_caps() for p in vm.ports] for vm in resolved},
            bastion_source_prefixes=[bastion.subnet_address_prefix] if bastion else [],
            source_prefixes=sources,
            audit=_audit_enabled(values),
        )
    return StackConfig(
        location=location,
        resource_group_name=group,
        access_mode=mode,
        address_space=space,
        workload_subnet_prefix=workload,
        vms=vms,
        policy=policy,
        defender=defender,
        requester=requester,
        guardrails=guardrails,
        bastion=bastion,
        audit=read_audit_config(values, location, tags, group),
        approvals=approvals,
        placement=place,
        tags=tags,
        request_mode=request_mode,
        viewer=viewer,
    )


def group_labels(group_ids: list[str]) -> dict[str, str]:
    """The label (Pulumi resource name part) of each group id, by lowered id.

    Derived from the id, so reordering the list changes nothing: `group-<first 8 characters>`. Two ids that
    share those 8 characters are both valid groups: the smallest keeps the short label (so adding a group
    rarely renames an existing assignment) and the others by their full id without hyphens.
    """
    labels: dict[str, str] = {}
    for group_id in sorted({str(g).lower() for g in group_ids}):
        short = f"group-{group_id[:8]}"
        # A label has at most 40 characters: the full id without its hyphens (32) fits.
        labels[group_id] = short if short not in labels.values() else f"group-{group_id.replace('-', '')}"
    return labels


def _access_control(
    values: dict, resource_group_name: str, subscription: str
) -> tuple[JitRequesterRoleArgs, DenyWildcardSourcePolicyArgs]:
    """The requester role (assignable at the VMs' resource group) and the deny-wildcard-source policy."""
    group_ids = values.get("requesterGroupIds") or []
    if not isinstance(group_ids, list):
        raise ValueError(f"{NAMESPACE}:requesterGroupIds: a list of Entra group object ids")
    assignees = []
    labels = group_labels(group_ids)
    for index, group_id in enumerate(group_ids):
        if group_id.lower() in (g.lower() for g in group_ids[:index]):
            raise ValueError(
                f"{NAMESPACE}:requesterGroupIds[{index}]: {group_id} is listed twice; list each group once"
            )
        assignee = RoleAssignee(labels[group_id.lower()], group_id, "Group")
        try:
            validate_assignee(assignee)
        except ValueError as err:
            raise ValueError(f"{NAMESPACE}:requesterGroupIds[{index}]: {err}") from None
        assignees.append(assignee)
    requester = JitRequesterRoleArgs(
        assignable_scopes=validate_assignable_scopes(
            [f"/subscriptions/{subscription}/resourceGroups/{resource_group_name}"]
        ),
        assignees=assignees,
        portal=values.get("requesterPortal", False),
    )
    try:
        scope = parse_policy_scope(values.get("policyScope") or f"/subscriptions/{subscription}")
        effect = validate_effect(values.get("policyEffect") or "Deny")
    except ValueError as err:
        raise ValueError(f"{NAMESPACE}:policyScope/policyEffect: {err}") from None
    if scope.subscription_id and scope.subscription_id.lower() != subscription.lower():
        raise ValueError(
            f"{NAMESPACE}:policyScope: {scope.scope} is outside the deployment subscription "
            f"{subscription}; the policy definitions are created there (use a management group "
            "id to cover several subscriptions)"
        )
    guardrails = DenyWildcardSourcePolicyArgs(
        scope=scope.scope, effect=effect, assign_jit_audit_builtin=values.get("assignJitAuditPolicy", False)
    )
    return requester, guardrails


def _audit_enabled(values: dict) -> bool:
    return (values.get("audit") or {}).get("enabled", False)


def read_audit_config(values: dict, location: str, tags: dict, group: str) -> AuditConfig | None:
    """The audit trail's settings from `azure-jit-access:audit`, validated; None when it is off."""
    raw = values.get("audit") or {}
    if not raw.get("enabled", False):
        return None
    audit = AuditConfig(
        location=location,
        alert_emails=raw.get("alertEmails", []),
        existing_workspace_id=raw.get("existingWorkspaceId"),
        retention_in_days=raw.get("retentionInDays"),
        export_activity_log=raw.get("exportActivityLog", True),
        alert_frequency=raw.get("alertFrequency", "PT5M"),
        alert_window=raw.get("alertWindow", "PT30M"),
        retain_audit_data=raw.get("retainAuditData", True),
        tags=tags,
    )
    try:
        resolve_audit_settings(audit.args(resource_group_name=group))
    except ValueError as err:
        raise ValueError(f"{NAMESPACE}:audit: {err}") from None
    return audit
