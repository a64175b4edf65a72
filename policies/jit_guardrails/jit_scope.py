"""Stack policy: each VM a JIT policy lists lives where the policy does (subscription, resource group, region).

A JIT policy is a resource-group resource under one subscription's `locations/<region>` (Microsoft.Security
2020-01-01 spec: `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Security/locations/{ascLocation}/
jitNetworkAccessPolicies/{name}`), so an entry naming a VM elsewhere protects nothing (issue 21). The policy's
subscription is read from its id when the state has one, else from the stack's VM of that name (its own id or
its NICs' ids: Azure requires a VM's NICs in its subscription). An entry whose id is built from values not
known yet is reported as not verifiable, never accepted silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from .docs import policy_url
from .jit import JIT_POLICY_TYPE
from .props import arm_id_parts, as_list, is_type, is_unknown, raise_if_unverified, text
from .stack import require_any
from .vm_network import VM_TYPE, Named, named, state


@dataclass(frozen=True)
class StackVm:
    """A VM of the stack as far as its placement is known."""

    key: Named
    subscription: str | None
    location: str | None


def _region(value: Any) -> str | None:
    region = text(value)
    return region.lower().replace(" ", "") if region else None


def _vm_subscription(props: Mapping[str, Any]) -> str | None:
    own = arm_id_parts(props.get("id")).get("subscriptions")
    if own:
        return own
    profile = props.get("networkProfile")
    references = as_list(profile.get("networkInterfaces")) if isinstance(profile, Mapping) else []
    found = {arm_id_parts(r.get("id") if isinstance(r, Mapping) else r).get("subscriptions") for r in references} - {
        None
    }
    return found.pop() if len(found) == 1 else None


def index_vms(args: StackValidationArgs) -> dict[str, list[StackVm]]:
    """The stack's VMs by lower-case name, once per stack."""
    vms: dict[str, list[StackVm]] = {}
    for resource in args.resources:
        if is_type(resource.resource_type, VM_TYPE):
            props = state(resource)
            key = named(props, "vmName", "virtualmachines", resource.name)
            if key is not None:
                vm = StackVm(key, _vm_subscription(props), _region(props.get("location")))
                vms.setdefault(key.name, []).append(vm)
    return vms


def entry_problems(
    vm_id: str, scope: tuple[str | None, str | None, str | None], vms: dict[str, list[StackVm]]
) -> list[str]:
    """Why one JIT entry's VM is outside the policy's (subscription, resource group, region)."""
    subscription, group, region = scope
    parts = arm_id_parts(vm_id)
    if "virtualmachines" not in parts or "subscriptions" not in parts or "resourcegroups" not in parts:
        return [
            f"'{vm_id}' is not a virtual machine id (/subscriptions/<id>/resourceGroups/<group>/providers/"
            "Microsoft.Compute/virtualMachines/<name>)"
        ]
    entry = Named(parts["resourcegroups"], parts["virtualmachines"])
    problems = []
    if group and entry.group != group.lower():
        problems.append(f"the VM is in resource group '{entry.group}', the policy in '{group}'")
    if subscription and parts["subscriptions"] != subscription:
        problems.append(f"the VM is in subscription '{parts['subscriptions']}', the policy in '{subscription}'")
    matched = [vm for vm in vms.get(entry.name, []) if vm.key.matches(entry)]
    homes = {vm.subscription for vm in matched} - {None}
    if not subscription and homes and parts["subscriptions"] not in homes:
        problems.append(
            f"the id names subscription '{parts['subscriptions']}', but this stack's VM '{entry.name}' is in "
            f"subscription {', '.join(sorted(str(h) for h in homes))}"
        )
    located = {vm.location for vm in matched} - {None}
    if region and located and region.lower().replace(" ", "") not in located:
        problems.append(f"the VM is in region {', '.join(sorted(str(r) for r in located))}, the policy at '{region}'")
    return problems


def check_vm_in_scope(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `jit-policy-vm-in-scope`."""
    require_any(args, "JIT network access policies", JIT_POLICY_TYPE)
    vms = index_vms(args)
    unverified: list[str] = []
    for resource in args.resources:
        if not is_type(resource.resource_type, JIT_POLICY_TYPE):
            continue
        props = state(resource)
        own = arm_id_parts(props.get("id"))
        group = text(props.get("resourceGroupName")) or own.get("resourcegroups")
        region = text(props.get("ascLocation")) or own.get("locations")
        scope = (own.get("subscriptions"), group, region)
        machines = props.get("virtualMachines")
        if is_unknown(machines):
            unverified.append(f"JIT policy '{resource.name}': virtualMachines")
        for index, machine in enumerate(as_list(machines) if not is_unknown(machines) else []):
            vm_id = machine.get("id") if isinstance(machine, Mapping) else machine
            where = f"JIT policy '{resource.name}' virtualMachines[{index}].id"
            if is_unknown(machine) or is_unknown(vm_id) or any(is_unknown(s) for s in str(vm_id).split("/")):
                unverified.append(
                    f"{where} is built from values not known yet, so its subscription, resource group and region "
                    "cannot be checked"
                )
                continue
            problems = entry_problems(vm_id, scope, vms) if isinstance(vm_id, str) else [f"{vm_id!r} is not an id"]
            if problems:
                report_violation(
                    f"{where}: {'; '.join(problems)}. A JIT policy only protects VMs of its own subscription, "
                    f"resource group and region, so this VM's management ports are not under JIT.",
                    resource.urn,
                )
    raise_if_unverified(unverified)


jit_policy_vm_in_scope = StackValidationPolicy(
    name="jit-policy-vm-in-scope",
    description="Every VM a JIT policy lists must be in the policy's subscription, resource group and region.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_vm_in_scope,
    severity=Severity.HIGH,
    remediation_steps="List each VM in the JIT policy of its own resource group and region (asc_location = the VM's "
    "location), created with a provider for the VM's subscription; build virtualMachines[].id from the VM "
    "resource's id.",
    url=policy_url("jit-policy-vm-in-scope"),
)

POLICIES = [jit_policy_vm_in_scope]
