"""Stack policies: every VM is JIT-protected and behind an NSG, NSG rules have one owner, JIT policies one writer.

Stack policies see each resource's state. In the offline preview and for resources being created that is
their inputs; after `pulumi up` it is what Azure returned, where an NSG's `securityRules` lists every rule
(standalone ones and JIT's too) and path parameters such as `resourceGroupName` may be missing. Matching
therefore works on names and ARM ids with a missing resource group treated as "any", and on the
dependencies the engine records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .docs import policy_url
from .jit import JIT_POLICY_TYPE
from .network import NSG_TYPES, RULE_TYPES
from .props import arm_id_parts, as_list, is_type, is_unknown, plain, raise_if_unverified, text
from .vm_network import VM_TYPE, Named, index_network, named, named_from_id, state, vm_nsg_problems

DEFAULT_OPT_OUT_TAG = "jit-exempt-reason"
PLACEHOLDER_REASONS = frozenset(
    {"true", "yes", "y", "1", "x", "-", "n/a", "na", "none", "todo", "tbd", "exempt"}
    | {"false", "no", "n", "0", "off", "on", "null", "disabled", "enabled"}  # flags, not reasons (issue 16)
)


def require_any(args: StackValidationArgs, what: str, *types: str) -> None:
    """Mark the stack policy not applicable (pulumi-policy's `not_applicable`) when no resource has these types."""
    if not any(is_type(resource.resource_type, *types) for resource in args.resources):
        args.not_applicable(f"no {what} in the stack")


def opt_out_reason(props: Mapping[str, Any], tag: str) -> str | None:
    """The VM's opt-out reason from its tags, if it is a real reason (not `true`, `yes`, ...)."""
    tags = props.get("tags")
    value = tags.get(tag) if isinstance(tags, Mapping) else None
    reason = text(value)
    return reason if reason and reason.lower() not in PLACEHOLDER_REASONS else None


def check_vms_jit_protected(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `vm-management-ports-jit-protected`."""
    require_any(args, "virtual machines", VM_TYPE)
    tag = (args.get_config() or {}).get("optOutTag", DEFAULT_OPT_OUT_TAG)
    covered: dict[str, list[Named]] = {}  # by VM name: one lookup per VM keeps the policy linear
    unknown_entries = []
    for resource in args.resources:
        if not is_type(resource.resource_type, JIT_POLICY_TYPE):
            continue
        machines = state(resource).get("virtualMachines")
        for index, machine in enumerate(as_list(machines)):
            vm_id = machine.get("id") if isinstance(machine, Mapping) else machine
            entry = named_from_id(vm_id, "virtualmachines")
            if entry is not None and isinstance(machine, Mapping) and as_list(machine.get("ports")):
                covered.setdefault(entry.name, []).append(entry)
            elif is_unknown(vm_id) or is_unknown(machines):
                unknown_entries.append(f"JIT policy '{resource.name}' virtualMachines[{index}].id")
    unverified = []
    for resource in args.resources:
        if not is_type(resource.resource_type, VM_TYPE):
            continue
        props = state(resource)
        vm = named(props, "vmName", "virtualmachines", resource.name)
        if vm is not None and any(vm.matches(entry) for entry in covered.get(vm.name, [])):
            continue
        if is_unknown(props.get("tags")) or opt_out_reason(props, tag):
            unverified += [f"VM '{resource.name}': tags"] if is_unknown(props.get("tags")) else []
            continue
        if vm is None or unknown_entries:
            unverified.append(f"VM '{resource.name}' (its name or the JIT policies' VM ids are not known yet)")
            continue
        where = f" in resource group '{vm.group}'" if vm.group else ""
        report_violation(
            f"VM '{vm.name}'{where} is not listed (with ports) in any JIT network access policy in this stack, so "
            f"nothing keeps its management ports closed between requests (and it has no '{tag}' tag saying why).",
            resource.urn,
        )
    raise_if_unverified(unverified)


def _rule_targets(rule: PolicyResource, props: Mapping[str, Any]) -> tuple[list[str], Named | None]:
    """The NSG a standalone rule belongs to: URNs it depends on, and its (group, NSG name)."""
    urns = [d.urn for d in rule.property_dependencies.get("networkSecurityGroupName", [])]
    urns += [rule.parent.urn] if rule.parent is not None else []
    parts = arm_id_parts(props.get("id"))
    nsg_name = text(props.get("networkSecurityGroupName")) or parts.get("networksecuritygroups")
    group = text(props.get("resourceGroupName")) or parts.get("resourcegroups")
    return urns, (Named(group.lower() if group else None, nsg_name.lower()) if nsg_name else None)


def check_rule_ownership(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `nsg-rule-ownership`."""
    require_any(args, "network security groups", *NSG_TYPES)
    # Standalone rules indexed once by the NSG URNs they depend on and by NSG name: linear in the stack.
    by_urn: dict[str, set[int]] = {}
    by_name: dict[str, list[tuple[Named, int]]] = {}
    rule_names: list[str] = []
    for resource in args.resources:
        if is_type(resource.resource_type, *RULE_TYPES):
            props = state(resource)
            urns, target = _rule_targets(resource, props)
            rule_names.append(text(props.get("securityRuleName")) or text(props.get("name")) or resource.name)
            for urn in urns:
                by_urn.setdefault(urn, set()).add(len(rule_names) - 1)
            if target is not None:
                by_name.setdefault(target.name, []).append((target, len(rule_names) - 1))
    for resource in args.resources:
        if not is_type(resource.resource_type, *NSG_TYPES):
            continue
        props = state(resource)
        nsg = named(props, "networkSecurityGroupName", "networksecuritygroups", resource.name)
        found = set(by_urn.get(resource.urn, ()))
        if nsg is not None:
            found |= {index for target, index in by_name.get(nsg.name, []) if nsg.matches(target)}
        mine = [rule_names[index] for index in sorted(found)]
        inline = props.get("securityRules")
        if not mine or inline is None or is_unknown(inline):
            continue
        inline = [r for r in as_list(inline) if isinstance(r, Mapping)]
        names = [text(r.get("name")) or f"securityRules[{i}]" for i, r in enumerate(inline)]
        if "__inputs" not in plain(resource.props) and _deployed(props):
            # State read back from Azure lists the standalone rules and JIT's too: only the others are inline.
            ours = {m.lower() for m in mine}
            names = [n for n in names if n.lower() not in ours and not n.startswith("SecurityCenter-JITRule")]
            if not names:
                continue
        report_violation(
            f"NSG '{nsg.name if nsg else resource.name}' is managed both inline (securityRules: "
            f"{', '.join(names) or 'an empty list'}) and by standalone SecurityRule resources "
            f"({', '.join(sorted(mine))}). Each update of the NSG replaces its rule list, deleting the standalone "
            "rules and JIT's.",
            resource.urn,
        )


def _deployed(props: Mapping[str, Any]) -> bool:
    # Only state read back from Azure carries these; declared inputs never do.
    return any(key in props for key in ("provisioningState", "resourceGuid", "etag"))


def check_vms_have_nsg(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `vm-has-nsg`."""
    require_any(args, "virtual machines", VM_TYPE)
    trust_external = bool((args.get_config() or {}).get("trustExternalNetworks", False))
    resources = [(resource, state(resource)) for resource in args.resources]
    network = index_network(resources)
    unverified = []
    for resource, props in resources:
        if not is_type(resource.resource_type, VM_TYPE):
            continue
        problems, unknown = vm_nsg_problems(props, network, trust_external)
        unverified += [f"VM '{resource.name}': {u}" for u in unknown]
        if problems:
            report_violation(
                f"VM '{resource.name}': {'; '.join(problems)}. JIT opens and closes ports by writing NSG rules, so "
                "without an NSG on the NIC or its subnet a JIT policy protects nothing.",
                resource.urn,
            )
    raise_if_unverified(unverified)


def check_single_writer(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `jit-policy-single-writer`."""
    require_any(args, "JIT network access policies", JIT_POLICY_TYPE)
    seen: dict[tuple[str, str, str], str] = {}
    for resource in args.resources:
        if not is_type(resource.resource_type, JIT_POLICY_TYPE):
            continue
        props = state(resource)
        parts = arm_id_parts(props.get("id"))
        group = text(props.get("resourceGroupName")) or parts.get("resourcegroups")
        location = text(props.get("ascLocation")) or parts.get("locations") or text(props.get("location"))
        name = text(props.get("jitNetworkAccessPolicyName")) or text(props.get("name")) or resource.name
        if not (group and location):
            continue
        key = (group.lower(), location.lower().replace(" ", ""), name.lower())
        if key in seen:
            report_violation(
                f"JIT policies '{seen[key]}' and '{resource.name}' both write policy '{name}' in resource group "
                f"'{group}' at {location}. A PUT replaces the policy's whole VM list, so each deployment silently "
                "drops the other's VMs.",
                resource.urn,
            )
        else:
            seen[key] = resource.name


vm_management_ports_jit_protected = StackValidationPolicy(
    name="vm-management-ports-jit-protected",
    description="Every VM must be listed in a JIT network access policy of the stack, or carry an opt-out tag "
    "whose value is the reason.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_vms_jit_protected,
    severity=Severity.HIGH,
    remediation_steps="Add the VM to its resource group's JitNetworkAccessPolicy (virtualMachines[].id = the VM's "
    "id), or, if it must not use JIT, tag it with the opt-out tag (policy config optOutTag, `jit-exempt-reason` by "
    "default) whose value is the reason.",
    url=policy_url("vm-management-ports-jit-protected"),
    config_schema=PolicyConfigSchema(
        properties={
            "optOutTag": {
                "type": "string",
                "minLength": 1,
                "default": DEFAULT_OPT_OUT_TAG,
                "description": "Tag whose value explains why a VM is not JIT-protected.",
            }
        }
    ),
)

nsg_rule_ownership = StackValidationPolicy(
    name="nsg-rule-ownership",
    description="An NSG must not be managed both by inline securityRules and by standalone SecurityRule resources.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_rule_ownership,
    severity=Severity.HIGH,
    remediation_steps="Move the inline rules to standalone SecurityRule resources and remove `security_rules` "
    "from the NSG.",
    url=policy_url("nsg-rule-ownership"),
)

vm_has_nsg = StackValidationPolicy(
    name="vm-has-nsg",
    description="Every VM's network interface or its subnet must have a network security group (JIT needs one).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_vms_have_nsg,
    severity=Severity.HIGH,
    remediation_steps="Attach an NSG (no inline rules) to the VM's NIC or its subnet; for NICs and subnets "
    "managed outside the stack, set trustExternalNetworks.",
    url=policy_url("vm-has-nsg"),
    config_schema=PolicyConfigSchema(
        properties={
            "trustExternalNetworks": {
                "type": "boolean",
                "default": False,
                "description": "Assume NICs and subnets not managed by this stack have an NSG.",
            }
        }
    ),
)

jit_policy_single_writer = StackValidationPolicy(
    name="jit-policy-single-writer",
    description="Only one JIT policy resource may write a given policy name per resource group and location.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_single_writer,
    severity=Severity.HIGH,
    remediation_steps="Put every VM of the resource group and location into one JitNetworkAccessPolicy resource "
    "(the JitAccessPolicy component does).",
    url=policy_url("jit-policy-single-writer"),
)

POLICIES = [vm_management_ports_jit_protected, nsg_rule_ownership, vm_has_nsg, jit_policy_single_writer]
