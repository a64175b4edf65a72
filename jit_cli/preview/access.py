"""Who may open which port of which VM, from where, for how long, approved by whom.

Computed from the recorded resources of any azure-native program (JIT policies, role definitions and
assignments, Logic App workflows), not from our components' arguments, so a third-party program gets the
same summary. A requester is a principal whose role grants JIT `initiate` on a scope that covers the policy
(JIT's only authorisation is RBAC). The mode is `approval` when a workflow identity holds initiate and no
person does; `direct` when any person does (they can bypass the workflow); `none` when nobody in this
program does (access is granted outside it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from azure_jit_access.cli.preview.access_nsg import StandingRule, standing_for, standing_rules
from azure_jit_access.cli.preview.arm_state import stable_guid
from azure_jit_access.rules.permissions import BUILT_IN_ROLES
from azure_jit_access.rules.roles import INITIATE_ACTION, grants

JIT_POLICY = "azure-native:security:JitNetworkAccessPolicy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
WORKFLOW = "azure-native:logic:Workflow"
ANY_SOURCE = frozenset({"*", "any", "internet"})


@dataclass
class Requester:
    """A principal holding initiate on a policy, and how."""

    principal: str
    kind: str
    role: str
    scope: str
    assignment: str
    workflow: str | None = None
    """The Logic App whose managed identity this principal is, if any."""


@dataclass
class PortAccess:
    """One requestable port of one VM."""

    policy: str
    vm: str
    vm_id: str
    port: int
    protocol: str
    sources: list[str]
    addresses: int | None
    """Distinct addresses the sources cover; None when a source is `*`, a service tag or unknown."""
    max_duration: str
    mode: str
    requesters: list[Requester] = field(default_factory=list)
    approvers: list[str] = field(default_factory=list)
    always_open: list[StandingRule] = field(default_factory=list)
    """Inbound Allow NSG rules in front of the VM on this port: open without any request."""

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.vm_id.lower(), self.port, self.protocol.upper())

    @property
    def any_source(self) -> bool:
        """Whether a source is the whole internet (`*`, `Any`, `Internet`), not merely unknown."""
        return any(s.lower() in ANY_SOURCE for s in self.sources)

    def count_text(self) -> str:
        """`17 addresses`, `any address`, or `address count unknown` (a service tag or an unknown value)."""
        if self.any_source:
            return "any address"
        if self.addresses is None:
            return "address count unknown"
        return f"{self.addresses} address" + ("" if self.addresses == 1 else "es")

    @property
    def people(self) -> list[Requester]:
        return [r for r in self.requesters if r.workflow is None]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_N = TypeVar("_N", ipaddress.IPv4Network, ipaddress.IPv6Network)


def networks(prefixes: list[str]) -> list[Network] | None:
    """The prefixes as networks, or None when one is not an address range (`*`, a service tag, unknown)."""
    nets: list[Network] = []
    for prefix in prefixes:
        try:
            nets.append(ipaddress.ip_network(str(prefix).strip(), strict=False))
        except ValueError:
            return None
    return nets


def _by_version(nets: Sequence[Network]) -> tuple[list[ipaddress.IPv4Network], list[ipaddress.IPv6Network]]:
    v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
    return v4, v6


def address_count(nets: Sequence[Network]) -> int:
    """Distinct addresses in the networks (overlaps counted once)."""
    v4, v6 = _by_version(nets)
    return _not_covered(v4, []) + _not_covered(v6, [])


def addresses_not_in(nets: Sequence[Network], others: Sequence[Network]) -> int:
    """How many addresses of `nets` no network of `others` covers."""
    (v4, v6), (other_v4, other_v6) = _by_version(nets), _by_version(others)
    return _not_covered(v4, other_v4) + _not_covered(v6, other_v6)


def _not_covered(nets: list[_N], others: list[_N]) -> int:
    """Addresses of `nets` (one IP version) outside every network of `others` (the same version)."""
    pieces = list(ipaddress.collapse_addresses(nets))
    for other in others:
        remaining: list[_N] = []
        for piece in pieces:
            if not piece.overlaps(other):
                remaining.append(piece)
            elif not piece.subnet_of(other):
                remaining += list(piece.address_exclude(other))
        pieces = remaining
    return sum(p.num_addresses for p in pieces)


def _last(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


def _covers(scope: Any, target: str) -> bool:
    if not isinstance(scope, str) or not scope.startswith("/"):
        return True  # an unknown scope may cover the policy: show the principal rather than hide it
    scope, target = scope.rstrip("/").lower(), target.lower()
    if scope.startswith("/providers/microsoft.management/managementgroups/"):
        return True  # a management group may hold the subscription; the program cannot tell which
    return target == scope or target.startswith(scope + "/")


def _roles(resources: list[dict]) -> dict[str, tuple[str, bool]]:
    """Role definition id (full id and guid, lower case) -> (name, grants initiate)."""
    roles = {guid: (role.name, role.grants(INITIATE_ACTION)) for guid, role in BUILT_IN_ROLES.items()}
    for r in resources:
        if r["type"] != ROLE_DEFINITION:
            continue
        inputs = r.get("inputs", {})
        entry = (str(inputs.get("roleName") or r["name"]), grants(inputs.get("permissions") or [], INITIATE_ACTION))
        for key in (r.get("id"), inputs.get("roleDefinitionId")):
            if isinstance(key, str):
                roles[key.lower()] = entry
                roles[_last(key).lower()] = entry
    return roles


def _workflow_identities(resources: list[dict]) -> dict[str, str]:
    """Principal id -> workflow name, for Logic Apps with a system-assigned identity."""
    found = {}
    for r in resources:
        identity = r.get("inputs", {}).get("identity") or {}
        if r["type"] == WORKFLOW and "SystemAssigned" in str(identity.get("type", "")):
            # Recorded previews hold the principal id the engine invented for the identity (arm_state).
            found[str(identity.get("principalId") or stable_guid("principal", r["urn"])).lower()] = r["name"]
    return found


def _find_approvers(value: Any, parameters: dict[str, Any]) -> list[str]:
    """Addresses an Office 365 approval e-mail goes to, anywhere in a workflow definition."""
    if isinstance(value, list):
        return [a for item in value for a in _find_approvers(item, parameters)]
    if not isinstance(value, dict):
        return []
    inputs = value.get("inputs")
    if not isinstance(inputs, dict):
        inputs = {}
    if str(inputs.get("path", "")).startswith("/approvalmail"):
        to = str(((inputs.get("body") or {}).get("Message") or {}).get("To", ""))
        for name, param in parameters.items():
            if to in (f"@parameters('{name}')", f"@{{parameters('{name}')}}") and isinstance(param, dict):
                to = param.get("value", to)
        return [a.strip() for a in (to if isinstance(to, list) else str(to).split(";")) if a.strip()]
    return [a for item in value.values() for a in _find_approvers(item, parameters)]


def approvers_of(workflow: dict[str, Any]) -> list[str]:
    """A workflow's approvers: an `approvers` parameter if present, else its approval e-mail's recipients."""
    inputs = workflow.get("inputs", {})
    parameters = inputs.get("parameters") or {}
    for name, param in parameters.items():
        if "approver" in name.lower() and isinstance(param, dict):
            value = param.get("value")
            items = value if isinstance(value, list) else str(value).replace(",", ";").split(";")
            return [str(v).strip() for v in items if str(v).strip()]
    return sorted(set(_find_approvers(inputs.get("definition") or {}, parameters)))


def _requesters(policy_id: str, resources: list[dict], roles: dict, identities: dict[str, str]) -> list[Requester]:
    found = []
    for r in resources:
        if r["type"] != ROLE_ASSIGNMENT:
            continue
        inputs = r.get("inputs", {})
        role_id = str(inputs.get("roleDefinitionId") or "")
        name, grants = roles.get(role_id.lower()) or roles.get(_last(role_id).lower()) or (_last(role_id), None)
        if grants is False or not _covers(inputs.get("scope"), policy_id):
            continue
        principal = str(inputs.get("principalId") or "unknown")
        role = name if grants else f"{name} (role not in this program: may grant initiate)"
        found.append(
            Requester(
                principal=principal,
                kind=str(inputs.get("principalType") or "unknown"),
                role=role,
                scope=str(inputs.get("scope")),
                assignment=r["name"],
                workflow=identities.get(principal.lower()),
            )
        )
    return sorted(found, key=lambda q: (q.workflow is not None, q.kind, q.principal))


def _policy_id(policy: dict[str, Any]) -> str:
    inputs = policy.get("inputs", {})
    return policy.get("id") or (
        f"/subscriptions/unknown/resourceGroups/{inputs.get('resourceGroupName')}/providers/Microsoft.Security/"
        f"locations/{inputs.get('ascLocation')}/jitNetworkAccessPolicies/{inputs.get('jitNetworkAccessPolicyName')}"
    )


def summarize(doc: dict[str, Any]) -> list[PortAccess]:
    """Every requestable port in a JSON preview document, with its requesters, sources, cap and approvers."""
    resources = doc.get("resources", [])
    roles = _roles(resources)
    identities = _workflow_identities(resources)
    approvers = {r["name"]: approvers_of(r) for r in resources if r["type"] == WORKFLOW}
    standing = standing_rules(resources)
    ports: list[PortAccess] = []
    for policy in (r for r in resources if r["type"] == JIT_POLICY):
        policy_id = _policy_id(policy)
        requesters = _requesters(policy_id, resources, roles, identities)
        people = [q for q in requesters if q.workflow is None]
        flows = sorted({q.workflow for q in requesters if q.workflow})
        mode = "direct" if people else "approval" if flows else "none"
        approved_by = sorted({a for flow in flows for a in approvers.get(flow, [])}) if mode == "approval" else []
        for vm in policy.get("inputs", {}).get("virtualMachines") or []:
            vm_id = str(vm.get("id", "unknown"))
            for port in vm.get("ports") or []:
                sources = port.get("allowedSourceAddressPrefixes") or [port.get("allowedSourceAddressPrefix") or "*"]
                sources = [str(s) for s in sources]
                nets = None if any(s.lower() in ANY_SOURCE for s in sources) else networks(sources)
                ports.append(
                    PortAccess(
                        policy=policy["name"],
                        vm=_last(vm_id),
                        vm_id=vm_id,
                        port=int(port.get("number", 0)),
                        protocol=str(port.get("protocol", "*")),
                        sources=sources,
                        addresses=None if nets is None else address_count(nets),
                        max_duration=str(port.get("maxRequestAccessDuration", "unknown")),
                        mode=mode,
                        requesters=requesters,
                        approvers=approved_by,
                        always_open=standing_for(
                            standing, vm_id, int(port.get("number", 0)), str(port.get("protocol", "*"))
                        ),
                    )
                )
    return sorted(ports, key=lambda p: (p.vm.lower(), p.port, p.protocol))


def port_json(port: PortAccess) -> dict[str, Any]:
    """One port in the JSON `access.ports` list."""
    data = asdict(port)
    data["maxDuration"] = data.pop("max_duration")
    data["vmId"] = data.pop("vm_id")
    data["alwaysOpen"] = [
        {"nsg": r.nsg, "rule": r.name, "priority": r.priority, "sources": list(r.sources)} for r in port.always_open
    ]
    del data["always_open"]
    return data
