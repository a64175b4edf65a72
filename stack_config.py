"""The program's stack config (`Pulumi.<stack>.yaml`), read and validated in full before anything is created.

Every mistake is a `ValueError` naming the key (`azure-jit-access:vms[1].os`) and what to write instead;
`__main__.py` only composes components from the `StackConfig` this returns.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization

from approval_config import check_approvals_config
from azure_jit_access import validation
from azure_jit_access.approval.modes import APPROVAL, resolve_request_mode
from azure_jit_access.audit import JitAuditTrailArgs, resolve_audit_settings
from azure_jit_access.bastion import BastionAccessArgs, validate_bastion_args
from azure_jit_access.defender import DefenderForServersArgs, resolve_extensions
from azure_jit_access.jit_policy import JitAccessPolicyArgs, JitVirtualMachine, resolve_policy
from azure_jit_access.requester_role import (
    JitRequesterRoleArgs,
    RoleAssignee,
    validate_assignable_scopes,
    validate_assignee,
)
from azure_jit_access.validation import validate_mapping
from azure_jit_access.viewer_role import JitViewerRoleArgs
from azure_jit_access.vm import JitProtectedVmArgs, NsgRule, resolve_vm_settings
from azure_jit_access.wildcard_policy import DenyWildcardSourcePolicyArgs, parse_policy_scope, validate_effect

NAMESPACE = "azure-jit-access"
ACCESS_MODES = ("public", "bastion")
VM_KEYS = {"name", "os", "size", "publicIp", "ports", "winrm", "image", "extraRules", "computerName"}
RULE_KEYS = {"name", "priority", "ports", "sources", "access", "direction", "protocol", "description"}
AUDIT_KEYS = {
    "enabled",
    "alertEmails",
    "retentionInDays",
    "existingWorkspaceId",
    "exportActivityLog",
    "alertFrequency",
    "alertWindow",
    "retainAuditData",
}


@dataclass
class StackConfig:
    """Everything the program needs, validated. Args hold "" where a resource's output goes in later."""

    location: str
    resource_group_name: str
    access_mode: str
    address_space: str
    workload_subnet_prefix: str
    vms: list[JitProtectedVmArgs]
    policy: JitAccessPolicyArgs
    defender: DefenderForServersArgs
    requester: JitRequesterRoleArgs
    guardrails: DenyWildcardSourcePolicyArgs
    bastion: BastionAccessArgs | None = None
    audit: JitAuditTrailArgs | None = None
    approvals: dict | None = None
    """The raw `approvals` mapping, already checked; the workflow's args need outputs of other components."""
    tags: dict[str, str] = field(default_factory=dict)
    request_mode: str = "direct"
    """`direct` (requesters initiate themselves) or `approval` (only the workflow's identity initiates)."""
    viewer: JitViewerRoleArgs | None = None
    """Approval mode: the read-only JIT viewer role for `requesterGroupIds`."""


def _vm_args(raw: object, index: int, mode: str, cfg: pulumi.Config, tags: dict) -> JitProtectedVmArgs:
    where = f"{NAMESPACE}:vms[{index}]"
    item = validate_mapping(raw, where, VM_KEYS)
    if "name" not in item or "os" not in item:
        raise ValueError(f"{where}: 'name' and 'os' (linux or windows) are required")
    os_type = validation.validate_os_type(item["os"], f"{where}.os")
    public_ip = item.get("publicIp", mode == "public")
    if mode == "bastion" and public_ip:
        raise ValueError(
            f"{where}.publicIp: in Bastion mode VMs get no public IP (they are reached through "
            "Bastion); remove publicIp"
        )
    raw_rules = [
        validate_mapping(r, f"{where}.extraRules[{i}]", RULE_KEYS) for i, r in enumerate(item.get("extraRules", []))
    ]
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
    args = JitProtectedVmArgs(
        resource_group_name="",
        subnet_id="",
        os_type=os_type,
        vm_name=item["name"],
        computer_name=item.get("computerName"),
        size=item.get("size", "Standard_B2s"),
        image=item.get("image"),
        public_ip=bool(public_ip),
        management_ports=item.get("ports"),
        winrm=bool(item.get("winrm", False)),
        ssh_public_key=cfg.get("sshPublicKey") if os_type == "linux" else None,
        admin_username=cfg.get("adminUsername") or "azureuser",
        extra_rules=rules,
        tags=tags,
    )
    try:
        resolve_vm_settings(item["name"], args)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return args


def _check_subnet(prefix: str, space: str, where: str) -> str:
    checked = validation.validate_cidr(prefix, where)
    if not ipaddress.ip_network(checked).subnet_of(ipaddress.ip_network(space)):
        raise ValueError(f"{where}: '{prefix}' is not inside the VNet address space '{space}'")
    return checked


def read_config() -> StackConfig:
    """Read and validate the whole stack config; raises `ValueError` naming the key before anything is created."""
    cfg = pulumi.Config(NAMESPACE)
    location = pulumi.Config("azure-native").require("location")
    mode = (cfg.get("accessMode") or "public").lower()
    if mode not in ACCESS_MODES:
        raise ValueError(
            f"{NAMESPACE}:accessMode: {mode!r}; use 'public' (VM public IPs, JIT from your "
            "allowed sources) or 'bastion' (no public IPs, JIT from the Bastion subnet)"
        )
    tags = validation.validate_tags(cfg.get_object("tags"), f"{NAMESPACE}:tags")
    net = validate_mapping(
        cfg.require_object("network"),
        f"{NAMESPACE}:network",
        {"addressSpace", "workloadSubnetPrefix", "bastionSubnetPrefix"},
    )
    space = validation.validate_cidr(net.get("addressSpace"), f"{NAMESPACE}:network.addressSpace")
    workload = _check_subnet(net.get("workloadSubnetPrefix"), space, f"{NAMESPACE}:network.workloadSubnetPrefix")
    raw_vms = cfg.get_object("vms") or []
    if not isinstance(raw_vms, list) or not raw_vms:
        raise ValueError(f"{NAMESPACE}:vms: at least one VM is required, e.g. [{{name: vm-web-01, os: linux}}]")
    vms = [_vm_args(raw, index, mode, cfg, tags) for index, raw in enumerate(raw_vms)]

    bastion = None
    sources = cfg.get_object("allowedSourcePrefixes") or []
    if mode == "bastion":
        prefix = net.get("bastionSubnetPrefix")
        if not prefix:
            raise ValueError(f"{NAMESPACE}:network.bastionSubnetPrefix: required in Bastion mode, e.g. 10.20.255.0/26")
        prefix = _check_subnet(prefix, space, f"{NAMESPACE}:network.bastionSubnetPrefix")
        if ipaddress.ip_network(prefix).overlaps(ipaddress.ip_network(workload)):
            raise ValueError(f"{NAMESPACE}:network.bastionSubnetPrefix: '{prefix}' overlaps the workload subnet")
        raw = validate_mapping(cfg.get_object("bastion") or {}, f"{NAMESPACE}:bastion", {"sku", "enableTunneling"})
        bastion = BastionAccessArgs(
            resource_group_name="",
            virtual_network_name="",
            subnet_address_prefix=prefix,
            sku=raw.get("sku", "Basic"),
            enable_tunneling=bool(raw.get("enableTunneling")),
            location=location,
            tags=tags,
        )
        validate_bastion_args(bastion)
    elif not sources:
        raise ValueError(
            f"{NAMESPACE}:allowedSourcePrefixes: required in public mode: the public IPs or CIDRs "
            "JIT may open ports to (e.g. your office egress '203.0.113.0/28'), never '*'"
        )
    policy = JitAccessPolicyArgs(
        resource_group_name="",
        location=location,
        virtual_machines=[],
        allowed_source_address_prefixes=sources,
        max_request_access_duration=cfg.get("maxRequestAccessDuration") or validation.DEFAULT_JIT_DURATION,
        policy_name=cfg.get("jitPolicyName") or "default",
        bastion_subnet_prefix=bastion.subnet_address_prefix if bastion else None,
    )
    dry_vms = []
    for args in vms:
        settings = resolve_vm_settings(args.vm_name, args)
        dry_vms.append(
            JitVirtualMachine(
                vm_id="",
                vm_name=settings.vm_name,
                guarded_ports=settings.management_ports,
                has_public_ip=settings.public_ip,
            )
        )
    try:
        resolved = resolve_policy(dataclasses.replace(policy, virtual_machines=dry_vms))
    except ValueError as err:
        raise ValueError(f"{NAMESPACE} (JIT policy): {err}") from None

    raw_defender = validate_mapping(
        cfg.get_object("defender") or {},
        f"{NAMESPACE}:defender",
        {"subscriptionId", "extensions", "retainOnDelete", "protect"},
    )
    defender = DefenderForServersArgs(
        subscription_id=raw_defender.get("subscriptionId"),
        extensions=raw_defender.get("extensions", []),
        retain_on_delete=bool(raw_defender.get("retainOnDelete", True)),
        protect=bool(raw_defender.get("protect", True)),
    )
    resolve_extensions(defender.extensions)
    if defender.subscription_id:
        validation.validate_subscription_id(defender.subscription_id, f"{NAMESPACE}:defender.subscriptionId")
    group = cfg.get("resourceGroupName") or f"rg-jit-{pulumi.get_stack()}"
    approvals = cfg.get_object("approvals")
    request_mode = resolve_request_mode(cfg.get("requestMode"), approvals is not None, f"{NAMESPACE}:requestMode")
    requester, guardrails = _access_control(cfg, group)
    viewer = None
    if request_mode == APPROVAL:
        # Approval mode: people see JIT but only the workflow may initiate (JIT's only check is RBAC).
        viewer = JitViewerRoleArgs(
            assignable_scopes=requester.assignable_scopes, assignees=requester.assignees, portal=requester.portal
        )
        requester = dataclasses.replace(requester, assignees=[], access_mode=APPROVAL)
    if approvals is not None:
        check_approvals_config(
            approvals,
            resource_group=group,
            location=location,
            policy_name=policy.policy_name,
            caps={vm.entry.vm_name: [p.to_caps() for p in vm.ports] for vm in resolved},
            bastion_source_prefixes=[bastion.subnet_address_prefix] if bastion else [],
            source_prefixes=sources,
            audit=_audit_enabled(cfg),
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
        audit=read_audit_config(cfg, location, tags),
        approvals=approvals,
        tags=tags,
        request_mode=request_mode,
        viewer=viewer,
    )


def _access_control(
    cfg: pulumi.Config, resource_group_name: str
) -> tuple[JitRequesterRoleArgs, DenyWildcardSourcePolicyArgs]:
    """The requester role (assignable at the VMs' resource group) and the deny-wildcard-source policy."""
    subscription = authorization.get_client_config().subscription_id
    group_ids = cfg.get_object("requesterGroupIds") or []
    if not isinstance(group_ids, list):
        raise ValueError(f"{NAMESPACE}:requesterGroupIds: a list of Entra group object ids")
    assignees = []
    for index, group_id in enumerate(group_ids):
        # The label names the Pulumi resource: derived from the id, so reordering the list changes nothing.
        assignee = RoleAssignee(f"group-{str(group_id)[:8].lower()}", group_id, "Group")
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
        portal=bool(cfg.get_bool("requesterPortal")),
    )
    try:
        scope = parse_policy_scope(cfg.get("policyScope") or f"/subscriptions/{subscription}")
        effect = validate_effect(cfg.get("policyEffect") or "Deny")
    except ValueError as err:
        raise ValueError(f"{NAMESPACE}:policyScope/policyEffect: {err}") from None
    if scope.subscription_id and scope.subscription_id.lower() != subscription.lower():
        raise ValueError(
            f"{NAMESPACE}:policyScope: {scope.scope} is outside the deployment subscription "
            f"{subscription}; the policy definitions are created there (use a management group "
            "id to cover several subscriptions)"
        )
    guardrails = DenyWildcardSourcePolicyArgs(
        scope=scope.scope, effect=effect, assign_jit_audit_builtin=bool(cfg.get_bool("assignJitAuditPolicy"))
    )
    return requester, guardrails


def _audit_enabled(cfg: pulumi.Config) -> bool:
    raw = cfg.get_object("audit") or {}
    return bool(raw.get("enabled", False)) if isinstance(raw, dict) else False


def read_audit_config(cfg: pulumi.Config, location: str, tags: dict) -> JitAuditTrailArgs | None:
    """The audit trail's args from `azure-jit-access:audit`, validated; None when it is off."""
    raw = validate_mapping(cfg.get_object("audit") or {}, f"{NAMESPACE}:audit", AUDIT_KEYS)
    if not raw.get("enabled", False):
        return None
    args = JitAuditTrailArgs(
        resource_group_name="",
        location=location,
        alert_emails=raw.get("alertEmails", []),
        existing_workspace_id=raw.get("existingWorkspaceId"),
        retention_in_days=raw.get("retentionInDays"),
        export_activity_log=bool(raw.get("exportActivityLog", True)),
        alert_frequency=raw.get("alertFrequency", "PT5M"),
        alert_window=raw.get("alertWindow", "PT30M"),
        retain_audit_data=bool(raw.get("retainAuditData", True)),
        tags=tags,
    )
    try:
        resolve_audit_settings(args)
    except ValueError as err:
        raise ValueError(f"{NAMESPACE}:audit: {err}") from None
    return args
