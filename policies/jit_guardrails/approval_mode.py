"""Approval mode: where an approval workflow opens ports, nobody else may hold JIT `initiate`.

JIT's only authorisation is RBAC (Azure Policy cannot deny a POST action): anyone holding
`Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action` on a JIT policy opens ports with the
portal, `az` or the API, and the approval workflow in front of it becomes optional. So for every Logic App in the
stack that calls `initiate` (the JIT policy ids in its HTTP actions' URIs or its parameters), this stack policy
flags each role assignment that grants `initiate` (the rules core's `grants`, on a role defined in the stack or a
built-in such as Owner or Contributor) at a scope covering one of those JIT policies, to a principal other than a
Logic App workflow's identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from .docs import policy_url
from .identity import ROLE_ASSIGNMENT_TYPE, ROLE_DEFINITION_TYPE, last_segment
from .props import as_list, is_type, is_unknown, raise_if_unverified, text
from .rules.roles import INITIATE_ACTION, INITIATE_BUILTIN_ROLES, grants
from .stack import require_any
from .vm_network import state
from .workflow import WORKFLOW_TYPE, definition_of, walk_actions

_POLICY_IN_URI = re.compile(
    r"(/subscriptions/[^/?#]+/resourceGroups/[^/?#]+/providers/Microsoft\.Security/locations/[^/?#]+/"
    r"jitNetworkAccessPolicies/[^/?#]+)/initiate",
    re.IGNORECASE,
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def served_jit_policies(props: Mapping[str, Any]) -> tuple[set[str], bool]:
    """The JIT policy ids (lower case) a workflow's `initiate` calls reach, and whether some value is unknown."""
    definition = definition_of(props)
    texts = [
        action.get("inputs", {}).get("uri")
        for _, action in walk_actions(definition.get("actions") if isinstance(definition, Mapping) else None)
        if isinstance(action.get("inputs"), Mapping)
    ]
    texts += list(_strings(props.get("parameters")))
    policies = {m.group(1).lower() for t in texts if isinstance(t, str) for m in _POLICY_IN_URI.finditer(t)}
    unknown = is_unknown(props.get("definition")) or any(is_unknown(t) for t in _strings(props.get("parameters")))
    return policies, unknown


def covers(scope: str, policy_id: str) -> bool:
    """Whether an assignment at `scope` applies to the JIT policy (`/` and management groups: assume so)."""
    lowered = scope.strip().rstrip("/").lower()
    if lowered in ("", "/") or lowered.startswith("/providers/microsoft.management/managementgroups/"):
        return True
    return policy_id == lowered or policy_id.startswith(lowered + "/")


def _role_grants_initiate(resource: Any, props: Mapping[str, Any], definitions: dict[str, Any]) -> bool | None:
    """True/False when known; None when the role cannot be judged yet."""
    role_id = props.get("roleDefinitionId")
    linked = [d.urn for d in resource.property_dependencies.get("roleDefinitionId", []) if d.urn in definitions]
    if not linked and isinstance(role_id, str) and not is_unknown(role_id):
        guid = last_segment(role_id)
        if guid in INITIATE_BUILTIN_ROLES:
            return True
        linked = [urn for urn, d in definitions.items() if guid in _definition_guids(d)]
    if not linked:
        return None if is_unknown(role_id) else False
    verdicts: list[bool | None] = []
    for urn in linked:
        permissions = state(definitions[urn]).get("permissions")
        if is_unknown(permissions) or any(is_unknown(p) for p in as_list(permissions)):
            verdicts.append(None)
        else:
            blocks = [b for b in as_list(permissions) if isinstance(b, Mapping)]
            verdicts.append(grants(blocks, INITIATE_ACTION))
    return True if True in verdicts else (None if None in verdicts else False)


def _definition_guids(resource: Any) -> set[str]:
    props = state(resource)
    return {last_segment(v) for v in (text(props.get("roleDefinitionId")), text(props.get("id"))) if v}


def check_no_human_initiate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `approval-mode-no-human-initiate`."""
    require_any(args, "Logic App workflows", WORKFLOW_TYPE)
    workflows: dict[str, set[str]] = {}
    identities: set[str] = set()
    unverified: list[str] = []
    for resource in args.resources:
        if not is_type(resource.resource_type, WORKFLOW_TYPE):
            continue
        props = state(resource)
        policies, unknown = served_jit_policies(props)
        if policies:
            workflows[resource.urn] = policies
        elif unknown:
            unverified.append(f"workflow '{resource.name}': definition or parameters")
        identity = props.get("identity")
        principal = text(identity.get("principalId")) if isinstance(identity, Mapping) else None
        identities |= {principal.lower()} if principal else set()
    served = set().union(*workflows.values()) if workflows else set()
    definitions = {r.urn: r for r in args.resources if is_type(r.resource_type, ROLE_DEFINITION_TYPE)}
    all_workflows = {r.urn for r in args.resources if is_type(r.resource_type, WORKFLOW_TYPE)}
    for resource in args.resources if served else []:
        if not is_type(resource.resource_type, ROLE_ASSIGNMENT_TYPE):
            continue
        props = state(resource)
        principal, scope = props.get("principalId"), props.get("scope")
        from_workflow = any(d.urn in all_workflows for d in resource.property_dependencies.get("principalId", []))
        if from_workflow or (isinstance(principal, str) and principal.lower() in identities):
            continue
        verdict = _role_grants_initiate(resource, props, definitions)
        if verdict is False:
            continue
        if is_unknown(scope) or verdict is None or is_unknown(principal):
            unverified.append(f"role assignment '{resource.name}': roleDefinitionId, scope or principalId")
            continue
        reached = sorted(p for p in served if isinstance(scope, str) and covers(scope, p))
        if not reached:
            continue
        kind = text(props.get("principalType")) or "principal"
        report_violation(
            f"Role assignment '{resource.name}' gives JIT initiate to {kind} {principal} at {scope}, where an "
            f"approval workflow opens ports ({', '.join(reached)}). JIT's only check is RBAC, so this principal "
            "can open ports without approval. In approval mode only the workflow's managed identity may hold "
            "initiate: assign people the read-only JIT viewer role (JitViewerRole) instead, or narrow the scope.",
            resource.urn,
        )
    raise_if_unverified(unverified)


approval_mode_no_human_initiate = StackValidationPolicy(
    name="approval-mode-no-human-initiate",
    description="Where a Logic App approval workflow calls JIT initiate, no principal other than a workflow's "
    "managed identity may hold a role granting initiate on a scope covering that JIT policy.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_no_human_initiate,
    severity=Severity.CRITICAL,
    remediation_steps="Assign people the read-only JIT viewer role (JitViewerRole, requestMode: approval) instead "
    "of a role granting initiate; only the approval workflow's managed identity may hold initiate on the JIT "
    "policies it serves. Or narrow the assignment's scope so it covers none of them.",
    url=policy_url("approval-mode-no-human-initiate"),
)

POLICIES = [approval_mode_no_human_initiate]
