"""The platform role: what a subscription has once, whoever runs workloads in it (docs/estate.md).

Per subscription in `subscriptions` (each through an explicit azure-native provider with its
`subscription_id`): Defender for Servers P2, the requester role definition, the deny-wildcard-source policy
(unless `policyScope` names a management group: then once, there) and the activity-log export to the audit
workspace. Once: the platform's resource group, the audit workspace and its alerts. Every subscription- or
tenant-scoped name is derived from the owning stack (`rules.names.owned_name`), so two platform stacks, or a
platform and an all-in-one stack, never ask Azure for the same policy assignment or diagnostic setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import authorization, monitor, resources

from azure_jit_access import validation
from azure_jit_access.audit import ACTIVITY_LOG_CATEGORIES, JitAuditTrail
from azure_jit_access.defender import DefenderForServers, DefenderForServersArgs, resolve_extensions
from azure_jit_access.requester_role import JitRequesterRole, JitRequesterRoleArgs
from azure_jit_access.rules.names import owned_name, owner_label
from azure_jit_access.wildcard_policy import (
    DenyWildcardSourcePolicy,
    DenyWildcardSourcePolicyArgs,
    parse_policy_scope,
    validate_effect,
)
from estate import PLATFORM
from stack_config import read_audit_config
from stack_schema import NAMESPACE
from stack_settings import AuditConfig


@dataclass
class PlatformConfig:
    """The platform role's settings, validated."""

    owner: str
    """`project-stack`: the seed of every subscription-scoped name."""
    location: str
    resource_group_name: str
    subscriptions: list[str]
    defender: DefenderForServersArgs
    management_group_id: str | None
    effect: str
    assign_jit_audit_builtin: bool
    requester_portal: bool
    audit: AuditConfig | None
    export_activity_log: bool
    tags: dict[str, str] = field(default_factory=dict)


def resolve_platform_config(
    values: dict, location: str | None, *, project: str, stack: str, default_subscription: str
) -> PlatformConfig:
    """The `PlatformConfig` from type-checked values; `ValueError` names the key and the fix."""
    if not location:
        raise ValueError("azure-native:location: required, e.g. westeurope (`pulumi config set azure-native:location`)")
    subscriptions: list[str] = []
    for index, sub in enumerate(values.get("subscriptions") or [default_subscription]):
        checked = validation.validate_subscription_id(sub, f"{NAMESPACE}:subscriptions[{index}]")
        if checked.lower() in (s.lower() for s in subscriptions):
            raise ValueError(f"{NAMESPACE}:subscriptions[{index}]: {checked} is listed twice")
        subscriptions.append(checked)
    raw_defender = values.get("defender") or {}
    if "subscriptionId" in raw_defender:
        raise ValueError(
            f"{NAMESPACE}:defender.subscriptionId: the platform role enables Defender in every subscription of "
            f"{NAMESPACE}:subscriptions; remove it"
        )
    defender = DefenderForServersArgs(
        extensions=raw_defender.get("extensions", []),
        retain_on_delete=raw_defender.get("retainOnDelete", True),
        protect=raw_defender.get("protect", True),
    )
    resolve_extensions(defender.extensions)
    management_group = None
    if "policyScope" in values:
        scope = parse_policy_scope(values["policyScope"])
        if scope.kind != "managementGroup":
            raise ValueError(
                f"{NAMESPACE}:policyScope: the platform role assigns the policy in every subscription of "
                f"{NAMESPACE}:subscriptions; give a management group id to assign it once above them, or remove it"
            )
        management_group = scope.management_group_id
    group = values.get("resourceGroupName") or f"rg-jit-{stack}"
    tags = validation.validate_tags(values.get("tags"), f"{NAMESPACE}:tags")
    audit = read_audit_config(values, location, tags, group)
    return PlatformConfig(
        owner=owner_label(project, stack),
        location=location,
        resource_group_name=group,
        subscriptions=subscriptions,
        defender=defender,
        management_group_id=management_group,
        effect=validate_effect(values.get("policyEffect") or "Deny"),
        assign_jit_audit_builtin=values.get("assignJitAuditPolicy", False),
        requester_portal=values.get("requesterPortal", False),
        audit=audit,
        export_activity_log=bool(audit and audit.export_activity_log),
        tags=tags,
    )


def build_platform(config: PlatformConfig) -> None:
    """Create the platform's resources and export the outputs workload stacks read (`estate.PLATFORM_OUTPUTS`)."""
    group = resources.ResourceGroup(
        "rg", resource_group_name=config.resource_group_name, location=config.location, tags=config.tags or None
    )
    providers = {sub: azure_native.Provider(f"subscription-{sub}", subscription_id=sub) for sub in config.subscriptions}
    roles = {
        sub: JitRequesterRole(
            f"requester-{sub}",
            JitRequesterRoleArgs(
                assignable_scopes=[f"/subscriptions/{sub}"],
                allow_subscription_scope=True,
                portal=config.requester_portal,
                role_name=f"JIT VM Access Requester ({config.owner}, {sub})",
            ),
            opts=pulumi.ResourceOptions(provider=providers[sub]),
        )
        for sub in config.subscriptions
    }
    audit = None
    if config.audit is not None:
        # The activity-log export is per subscription, below; the component's own would cover one only. Its
        # "requester role assigned" alert takes one role: the first subscription's (docs/estate.md).
        first_role = roles[config.subscriptions[0]].role_definition_guid
        audit_args = config.audit.args(resource_group_name=group.name, requester_role=first_role)
        audit_args.export_activity_log = False
        audit = JitAuditTrail("audit", audit_args)
        pulumi.export("auditWorkspaceId", audit.workspace_id)
    if config.management_group_id:
        guardrails = _guardrails(
            config, f"/providers/Microsoft.Management/managementGroups/{config.management_group_id}"
        )
        pulumi.export(
            "wildcardPolicyAssignmentIds", {"nsg": guardrails.nsg_assignment_id, "jit": guardrails.jit_assignment_id}
        )
    pricing_ids, assignment_ids = {}, {}
    for sub in config.subscriptions:
        opts = pulumi.ResourceOptions(provider=providers[sub])
        defender = DefenderForServers(
            f"defender-{sub}",
            DefenderForServersArgs(
                subscription_id=sub,
                extensions=config.defender.extensions,
                retain_on_delete=config.defender.retain_on_delete,
                protect=config.defender.protect,
            ),
            opts=opts,
        )
        pricing_ids[sub] = defender.pricing_id
        if not config.management_group_id:
            guardrails = _guardrails(config, f"/subscriptions/{sub}", opts)
            assignment_ids[sub] = {"nsg": guardrails.nsg_assignment_id, "jit": guardrails.jit_assignment_id}
        if audit is not None and config.export_activity_log:
            monitor.SubscriptionDiagnosticSetting(
                f"activity-log-{sub}",
                name=owned_name("jit-audit", config.owner, 64),
                workspace_id=audit.workspace_id,
                logs=[monitor.SubscriptionLogSettingsArgs(category=c, enabled=True) for c in ACTIVITY_LOG_CATEGORIES],
                opts=opts,
            )
    if assignment_ids:
        pulumi.export("wildcardPolicyAssignmentIds", assignment_ids)
    pulumi.export("role", PLATFORM)
    pulumi.export("subscriptions", config.subscriptions)
    pulumi.export("requesterRoleIds", {sub: role.role_definition_id for sub, role in roles.items()})
    pulumi.export("defenderPricingIds", pricing_ids)


def _guardrails(
    config: PlatformConfig, scope: str, opts: pulumi.ResourceOptions | None = None
) -> DenyWildcardSourcePolicy:
    label = scope.rsplit("/", 1)[-1]
    return DenyWildcardSourcePolicy(
        f"guardrails-{label}",
        DenyWildcardSourcePolicyArgs(
            scope=scope,
            effect=config.effect,
            assign_jit_audit_builtin=config.assign_jit_audit_builtin,
            owner=config.owner,
        ),
        opts=opts,
    )


def platform_config_from_stack(values: dict, location: str | None) -> PlatformConfig:
    """`resolve_platform_config` for the running stack (its project, name and provider subscription)."""
    return resolve_platform_config(
        values,
        location,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        default_subscription=authorization.get_client_config().subscription_id,
    )
