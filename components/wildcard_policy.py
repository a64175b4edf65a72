"""An Azure Policy that refuses management ports opened to the whole internet, in NSGs and in JIT policies.

JIT only helps if nobody can open SSH/RDP/WinRM to everyone some other way. `DenyWildcardSourcePolicy`
creates two custom definitions and assigns them:

- NSG rules: deny an inbound Allow rule whose source is `*`, `Any`, `Internet` or any `/0` range (in
  `sourceAddressPrefix` or any element of `sourceAddressPrefixes`) and whose destination covers a
  management port (`*`, the port itself, a range such as `20-25` containing it, in `destinationPortRange`
  or any element of `destinationPortRanges`). Both standalone `securityRules` and NSGs with inline rules
  are checked: Azure Landing Zones' version missed the inline form (its issues #975, #1880) and earlier
  community versions missed `Internet`, `/0`, port lists and ranges.
- JIT policies: deny a JIT policy whose port rule allows a wildcard source (or names no source at all),
  since the portal's "All configured IPs" then means any IP.

The rules are built by the pure functions below and tested against a local evaluator of the policy
language (tests/support/azure_policy_eval.py), because they cannot be run against Azure offline.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization

from azure_jit_access import type_tokens
from azure_jit_access.aliases import with_alias_pruning
from azure_jit_access.rules.arm_ids import MANAGEMENT_GROUP_PATTERN, RESOURCE_GROUP_PATTERN, SUBSCRIPTION_PATTERN
from azure_jit_access.rules.names import owned_name
from azure_jit_access.rules.ports import MANAGEMENT_PORTS
from azure_jit_access.rules.sources import BROAD_SERVICE_TAGS, WILDCARD_SOURCES

EFFECTS: tuple[str, ...] = ("Deny", "Audit")
JIT_AUDIT_BUILTIN_ID = "/providers/Microsoft.Authorization/policyDefinitions/b0f33259-77d7-4c9e-aac6-3aabcfae693c"
"""Built-in: management ports of VMs should be protected with JIT network access control (AuditIfNotExists)."""

NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
RULE_TYPE = f"{NSG_TYPE}/securityRules"
JIT_TYPE = "Microsoft.Security/locations/jitNetworkAccessPolicies"
JIT_PORTS = f"{JIT_TYPE}/virtualMachines[*].ports[*]"

NSG_MESSAGE = (
    "Inbound Allow rules must not open management ports (SSH 22, RDP 3389, WinRM 5985/5986) to *, Any, "
    "Internet or a /0 range. Request time-limited access with just-in-time VM access (`jit request`), or "
    "allow a specific source such as your VPN range or the AzureBastionSubnet prefix."
)
JIT_MESSAGE = (
    "JIT policies must list explicit allowed source prefixes (your VPN or office egress range, or the "
    "AzureBastionSubnet prefix), never *, Any, Internet or a /0 range: with those, a request can open the "
    "port to anyone."
)

_GUID_NAMESPACE = uuid.UUID("5b0f6c3e-2f5d-4d55-9a43-7c1b3f2e9d61")


@dataclass(frozen=True)
class PolicyScope:
    """Where the policy is assigned, and where its definitions must live to be assignable there."""

    scope: str
    kind: str
    """"managementGroup", "subscription" or "resourceGroup"."""
    subscription_id: str | None = None
    management_group_id: str | None = None

    @property
    def definition_scope(self) -> str:
        """The management group or subscription the definitions are created in."""
        if self.kind == "managementGroup":
            return f"/providers/Microsoft.Management/managementGroups/{self.management_group_id}"
        return f"/subscriptions/{self.subscription_id}"


def parse_policy_scope(scope: str) -> PolicyScope:
    """Validate an assignment scope: a management group, a subscription or a resource group id."""
    text = scope.strip().rstrip("/") if isinstance(scope, str) else ""
    for kind, pattern in (
        ("managementGroup", MANAGEMENT_GROUP_PATTERN),
        ("subscription", SUBSCRIPTION_PATTERN),
        ("resourceGroup", RESOURCE_GROUP_PATTERN),
    ):
        match = re.fullmatch(pattern, text, flags=re.IGNORECASE)
        if match:
            groups = match.groupdict()
            return PolicyScope(text, kind, groups.get("subscription"), groups.get("management_group"))
    raise ValueError(
        f"policy scope {scope!r} is not a management group (/providers/Microsoft.Management/managementGroups/<id>), "
        "subscription (/subscriptions/<guid>) or resource group (/subscriptions/<guid>/resourceGroups/<name>) id; "
        "give one of those"
    )


def validate_effect(effect: str) -> str:
    """The effect in Azure's spelling; only Deny and Audit are offered (turning it off is deleting it)."""
    for allowed in EFFECTS:
        if isinstance(effect, str) and effect.strip().lower() == allowed.lower():
            return allowed
    raise ValueError(f"policy effect {effect!r} must be one of {', '.join(EFFECTS)}")


def validate_management_ports(ports: Sequence[int]) -> list[int]:
    """The ports as a sorted list without duplicates; each 1..65535, 1 to 100 of them."""
    if isinstance(ports, (str, bytes)) or not ports or len(ports) > 100:
        # Azure caps a value count at 100 iterations; the rule counts over this list.
        raise ValueError("management_ports must be a list of 1 to 100 port numbers such as [22, 3389]")
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(f"management port {port!r} must be an integer from 1 to 65535")
    return sorted(set(ports))


def is_wildcard_source(field_ref: str) -> dict[str, Any]:
    """Condition: the source a field (or `current(...)` expression) names means "anyone".

    The words come from the rules core (`WILDCARD_SOURCES`, `BROAD_SERVICE_TAGS` and their `.region`
    variants). Azure Policy compares `in` and `like` case-insensitively. Prefix sizes cannot be summed in a
    policy rule, so wide public prefixes are left to the component and the policy pack.
    """
    return {
        "anyOf": [
            {"field": field_ref, "in": [*WILDCARD_SOURCES, *BROAD_SERVICE_TAGS]},
            {"field": field_ref, "like": "*/0"},
            *({"field": field_ref, "like": f"{tag}.*"} for tag in BROAD_SERVICE_TAGS),
        ]
    }


def _is_wildcard_member(array_alias: str) -> dict[str, Any]:
    return {"count": {"field": array_alias, "where": is_wildcard_source(array_alias)}, "greater": 0}


def port_covers_expression(port_range: str, port: str) -> str:
    """ARM expression (without brackets): does an NSG port spec (`*`, `22`, `20-25`) cover a port number?

    `port_range` and `port` are expressions. `coalesce` turns a missing property into "", which covers
    nothing; `if` is the only ARM function documented to evaluate lazily, so `int()` never sees `*` or "".
    A single port is a one-port range: split('22', '-') is ['22'], so first and last are both 22.
    """
    value = f"coalesce({port_range}, '')"
    number = f"int({port})"
    in_range = (
        f"and(lessOrEquals(int(first(split({value}, '-'))), {number}), "
        f"greaterOrEquals(int(last(split({value}, '-'))), {number}))"
    )
    return f"if(empty({value}), false(), if(equals({value}, '*'), true(), {in_range}))"


def _covers_management_port(port_range: str, name: str) -> dict[str, Any]:
    return {
        "count": {
            "value": "[parameters('managementPorts')]",
            "name": name,
            "where": {"value": f"[{port_covers_expression(port_range, f'current({name!r})')}]", "equals": "true"},
        },
        "greater": 0,
    }


def _rule_conditions(prefix: str, current: bool) -> list[dict[str, Any]]:
    """Inbound Allow, wildcard source, management port destination, for aliases under `prefix`."""
    single = f"{prefix}destinationPortRange"
    listed = f"{prefix}destinationPortRanges[*]"
    single_ref = f"current('{single}')" if current else f"field('{single}')"
    return [
        {"field": f"{prefix}direction", "equals": "Inbound"},
        {"field": f"{prefix}access", "equals": "Allow"},
        {
            "anyOf": [
                *is_wildcard_source(f"{prefix}sourceAddressPrefix")["anyOf"],
                _is_wildcard_member(f"{prefix}sourceAddressPrefixes[*]"),
            ]
        },
        {
            "anyOf": [
                _covers_management_port(single_ref, "port"),
                {
                    "count": {"field": listed, "where": _covers_management_port(f"current('{listed}')", "listedPort")},
                    "greater": 0,
                },
            ]
        },
    ]


def nsg_policy_rule() -> dict[str, Any]:
    """The policy rule for standalone security rules and NSGs with inline rules."""
    inline = f"{NSG_TYPE}/securityRules[*]"
    return {
        "if": {
            "anyOf": [
                {"allOf": [{"field": "type", "equals": RULE_TYPE}, *_rule_conditions(f"{RULE_TYPE}/", current=False)]},
                {
                    "allOf": [
                        {"field": "type", "equals": NSG_TYPE},
                        {
                            "count": {
                                "field": inline,
                                "where": {"allOf": _rule_conditions(f"{inline}.", current=True)},
                            },
                            "greater": 0,
                        },
                    ]
                },
            ]
        },
        "then": {"effect": "[parameters('effect')]"},
    }


def jit_policy_rule() -> dict[str, Any]:
    """The policy rule for JIT policies: no port rule may allow a wildcard source, or name no source."""
    single = f"{JIT_PORTS}.allowedSourceAddressPrefix"
    listed = f"{JIT_PORTS}.allowedSourceAddressPrefixes[*]"
    no_source = {"allOf": [{"field": single, "exists": False}, {"count": {"field": listed}, "equals": 0}]}
    return {
        "if": {
            "allOf": [
                {"field": "type", "equals": JIT_TYPE},
                {
                    "count": {
                        "field": JIT_PORTS,
                        "where": {
                            "anyOf": [*is_wildcard_source(single)["anyOf"], _is_wildcard_member(listed), no_source]
                        },
                    },
                    "greater": 0,
                },
            ]
        },
        "then": {"effect": "[parameters('effect')]"},
    }


def effect_parameter() -> dict[str, Any]:
    """The `effect` parameter, in ARM's wire shape."""
    return {
        "type": "String",
        "allowedValues": list(EFFECTS),
        "defaultValue": "Deny",
        "metadata": {"displayName": "Effect", "description": "Deny blocks the request; Audit only reports it."},
    }


def nsg_policy_parameters() -> dict[str, Any]:
    """Parameters of the NSG definition: the effect and the management ports."""
    return {
        "effect": effect_parameter(),
        "managementPorts": {
            "type": "Array",
            "defaultValue": list(MANAGEMENT_PORTS),
            "metadata": {
                "displayName": "Management ports",
                "description": "Destination ports that must never be open to any source.",
            },
        },
    }


def policy_definition_guid(definition_scope: str, kind: str) -> str:
    """A definition name that is the same on every run for the same scope and kind (no duplicates)."""
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{definition_scope.lower()}|{kind}"))


def _parameter_args(parameters: dict[str, Any]) -> dict[str, authorization.ParameterDefinitionsValueArgs]:
    return {
        name: authorization.ParameterDefinitionsValueArgs(
            type=spec["type"],
            allowed_values=spec.get("allowedValues"),
            default_value=spec.get("defaultValue"),
            metadata=authorization.ParameterDefinitionsValueMetadataArgs(
                display_name=spec["metadata"]["displayName"], description=spec["metadata"]["description"]
            ),
        )
        for name, spec in parameters.items()
    }


@dataclass
class DenyWildcardSourcePolicyArgs:
    """Arguments of `DenyWildcardSourcePolicy`."""

    scope: str
    """Assignment scope: a management group, subscription or resource group id. Definitions go to the
    management group, or else to the subscription (the provider's subscription must be that one)."""
    effect: str = "Deny"
    """Deny (block the request) or Audit (report only, e.g. while existing rules are cleaned up)."""
    management_ports: Sequence[int] = field(default_factory=lambda: list(MANAGEMENT_PORTS))
    """Ports that must never be open to any source."""
    assign_jit_audit_builtin: bool = False
    """Also assign the built-in audit "management ports should be protected with JIT" at the same scope."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases on children (only for stacks created with versioned tokens)."""
    owner: str | None = None
    """The owning stack (`rules.names.owner_label`): definition and assignment names become unique to it, so
    two stacks can assign the policy in one subscription. None keeps the single-owner names."""


class DenyWildcardSourcePolicy(pulumi.ComponentResource):
    """Custom policy definitions denying wildcard sources on management ports, and their assignments.

    Creates two `PolicyDefinition`s (at the subscription, or `PolicyDefinitionAtManagementGroup`): one for
    inbound Allow NSG rules, standalone and inline, whose source is `*`, `Any`, `Internet` or a /0 and
    whose ports cover a management port; one for JIT policies that allow `*`. Each gets a
    `PolicyAssignment` at the scope, optionally with the built-in JIT audit policy. Why: the portal's
    "All configured IPs" default opens a port to the whole internet; Azure then refuses it at write time.

        DenyWildcardSourcePolicy("guardrails", DenyWildcardSourcePolicyArgs(
            scope=f"/subscriptions/{sub}", effect="Deny", assign_jit_audit_builtin=True))
    """

    nsg_definition_id: pulumi.Output[str]
    jit_definition_id: pulumi.Output[str]
    nsg_assignment_id: pulumi.Output[str]
    jit_assignment_id: pulumi.Output[str]
    jit_audit_assignment_id: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: DenyWildcardSourcePolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        scope = parse_policy_scope(args.scope)
        effect = validate_effect(args.effect)
        ports = validate_management_ports(args.management_ports)
        super().__init__(
            type_tokens.DENY_WILDCARD_SOURCE_POLICY,
            name,
            None,
            with_alias_pruning(opts, args.keep_api_version_aliases),
        )
        # Children do not inherit a component's depends_on; a resource group scope must exist first.
        child = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        owned = (lambda base: owned_name(base, args.owner)) if args.owner else (lambda base: base)
        nsg = self._definition(
            f"{name}-nsg-definition",
            scope,
            owned("nsg-wildcard-source"),
            child,
            display_name="Deny management ports open to any source (NSG rules)",
            description=NSG_MESSAGE,
            category="Network",
            rule=nsg_policy_rule(),
            parameters=nsg_policy_parameters(),
        )
        jit = self._definition(
            f"{name}-jit-definition",
            scope,
            owned("jit-wildcard-source"),
            child,
            display_name="Deny JIT policies that allow any source",
            description=JIT_MESSAGE,
            category="Security Center",
            rule=jit_policy_rule(),
            parameters={"effect": effect_parameter()},
        )
        nsg_assignment = authorization.PolicyAssignment(
            f"{name}-nsg-assignment",
            scope=scope.scope,
            policy_assignment_name=owned("deny-wildcard-nsg"),
            display_name="Deny management ports open to any source (NSG rules)",
            policy_definition_id=nsg.id,
            enforcement_mode="Default",
            parameters={
                "effect": authorization.ParameterValuesValueArgs(value=effect),
                "managementPorts": authorization.ParameterValuesValueArgs(value=ports),
            },
            non_compliance_messages=[authorization.NonComplianceMessageArgs(message=NSG_MESSAGE)],
            opts=child,
        )
        jit_assignment = authorization.PolicyAssignment(
            f"{name}-jit-assignment",
            scope=scope.scope,
            policy_assignment_name=owned("deny-wildcard-jit"),
            display_name="Deny JIT policies that allow any source",
            policy_definition_id=jit.id,
            enforcement_mode="Default",
            parameters={"effect": authorization.ParameterValuesValueArgs(value=effect)},
            non_compliance_messages=[authorization.NonComplianceMessageArgs(message=JIT_MESSAGE)],
            opts=child,
        )
        self.nsg_definition_id = nsg.id
        self.jit_definition_id = jit.id
        self.nsg_assignment_id = nsg_assignment.id
        self.jit_assignment_id = jit_assignment.id
        self.jit_audit_assignment_id = None
        if args.assign_jit_audit_builtin:
            self.jit_audit_assignment_id = authorization.PolicyAssignment(
                f"{name}-jit-audit-assignment",
                scope=scope.scope,
                policy_assignment_name=owned("audit-jit-mgmt-ports"),
                display_name="Management ports of virtual machines should be protected with JIT",
                policy_definition_id=JIT_AUDIT_BUILTIN_ID,
                enforcement_mode="Default",
                non_compliance_messages=[
                    authorization.NonComplianceMessageArgs(
                        message="Protect this VM's management ports with a JIT policy (JitAccessPolicy component)."
                    )
                ],
                opts=child,
            ).id
        self.register_outputs(
            {
                "nsgDefinitionId": self.nsg_definition_id,
                "jitDefinitionId": self.jit_definition_id,
                "nsgAssignmentId": self.nsg_assignment_id,
                "jitAssignmentId": self.jit_assignment_id,
            }
        )

    @staticmethod
    def _definition(
        resource_name: str,
        scope: PolicyScope,
        kind: str,
        opts: pulumi.ResourceOptions,
        *,
        display_name: str,
        description: str,
        category: str,
        rule: dict[str, Any],
        parameters: dict[str, Any],
    ) -> pulumi.CustomResource:
        # Passed by name to both constructors, never splatted: a `**dict` switches off the SDK's typed arguments.
        name = policy_definition_guid(scope.definition_scope, kind)
        metadata = {"category": category}
        parameter_args = _parameter_args(parameters)
        if scope.kind == "managementGroup":
            return authorization.PolicyDefinitionAtManagementGroup(
                resource_name,
                management_group_id=scope.management_group_id,
                policy_definition_name=name,
                policy_type="Custom",
                mode="All",
                display_name=display_name,
                description=description,
                metadata=metadata,
                policy_rule=rule,
                parameters=parameter_args,
                opts=opts,
            )
        return authorization.PolicyDefinition(
            resource_name,
            policy_definition_name=name,
            policy_type="Custom",
            mode="All",
            display_name=display_name,
            description=description,
            metadata=metadata,
            policy_rule=rule,
            parameters=parameter_args,
            opts=opts,
        )
