"""Load balancer inbound NAT: a public frontend port forwarded to a VM's management port.

An inbound NAT rule (inline in `LoadBalancer.inboundNatRules` / `inboundNatPools`, or a standalone
`InboundNatRule`) publishes `backendPort` of the VMs behind it on the frontend's address. With a public
frontend (`publicIPAddress` or `publicIPPrefix`) that is the internet, so the NIC's or subnet's NSG is the
only thing left between the internet and SSH/RDP, and a Basic load balancer needs none. A stack policy,
because a standalone NAT rule's frontend is declared on its load balancer.
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
from .network import MANAGEMENT_PORTS_SCHEMA
from .other_roads import flat
from .ports import DEFAULT_MANAGEMENT_PORTS, covered_ports
from .props import arm_id_parts, as_list, is_type, is_unknown, raise_if_unverified, settings, text
from .stack import require_any
from .vm_network import state

LOAD_BALANCER_TYPE = "azure-native:network:LoadBalancer"
INBOUND_NAT_RULE_TYPE = "azure-native:network:InboundNatRule"


def public_frontends(props: Mapping[str, Any]) -> tuple[set[str], bool]:
    """(lower-cased names of the load balancer's public frontends, whether any frontend is unknown)."""
    names: set[str] = set()
    unknown = False
    for index, frontend in enumerate(as_list(props.get("frontendIPConfigurations"))):
        if is_unknown(frontend):
            unknown = True
            continue
        frontend = flat(frontend)
        if frontend.get("publicIPAddress") is not None or frontend.get("publicIPPrefix") is not None:
            names.add((text(frontend.get("name")) or f"frontendIPConfigurations[{index}]").lower())
    return names, unknown


def nat_problem(nat: Mapping[str, Any], public: set[str], ports: list[int]) -> str | None:
    """Why this NAT rule or pool exposes a management port on a public frontend, or None."""
    backend = nat.get("backendPort")
    if is_unknown(backend):
        return None
    reached = covered_ports(["*"] if backend is None else [backend], ports)
    if not reached or not public:
        return None
    frontend_id = flat(nat.get("frontendIPConfiguration")).get("id")
    frontend = arm_id_parts(frontend_id).get("frontendipconfigurations")
    if frontend is not None and frontend not in public:
        return None
    where = f"public frontend '{frontend}'" if frontend else f"a load balancer with public frontends {sorted(public)}"
    shown = "not set" if backend is None else _port(backend)
    return f"forwards {where} to backend port {shown} (management port {', '.join(map(str, reached))})"


def _port(value: Any) -> Any:
    # The engine sends numbers as floats.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _load_balancer_of(
    rule: PolicyResource, props: Mapping[str, Any], balancers: Mapping[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """The state of the rule's load balancer, by dependency, parent or name (`balancers` is keyed by all three)."""
    linked = [d.urn for d in rule.property_dependencies.get("loadBalancerName", [])]
    linked += [rule.parent.urn] if rule.parent is not None else []
    name = text(props.get("loadBalancerName"))
    for key in [*linked, *([name.lower()] if name else [])]:
        if key in balancers:
            return balancers[key]
    return None


def check_public_management_nat(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `lb-no-public-management-nat`."""
    require_any(args, "load balancer or inbound NAT rule", LOAD_BALANCER_TYPE, INBOUND_NAT_RULE_TYPE)
    config = settings(args.get_config(), {"managementPorts": list(DEFAULT_MANAGEMENT_PORTS)})
    ports = [int(p) for p in config["managementPorts"]]
    balancers = [(r, state(r)) for r in args.resources if is_type(r.resource_type, LOAD_BALANCER_TYPE)]
    # Keyed by URN and by name, so matching standalone rules stays linear.
    index: dict[str, dict[str, Any]] = {}
    for balancer, props in balancers:
        index[balancer.urn] = props
        index[(text(props.get("loadBalancerName")) or text(props.get("name")) or balancer.name).lower()] = props
    unknown: list[str] = []
    for balancer, props in balancers:
        public, frontends_unknown = public_frontends(props)
        lb_name = text(props.get("loadBalancerName")) or balancer.name
        for key in ("inboundNatRules", "inboundNatPools"):
            for position, item in enumerate(as_list(props.get(key))):
                nat = flat(item)
                problem = nat_problem(nat, public, ports)
                if problem:
                    report_violation(
                        f"Load balancer '{lb_name}' {key}[{position}] ('{text(nat.get('name')) or 'unnamed'}') "
                        f"{problem}.",
                        balancer.urn,
                    )
                elif frontends_unknown or is_unknown(nat.get("backendPort")):
                    unknown.append(f"load balancer '{lb_name}' {key}[{position}]")
    for rule in args.resources:
        if not is_type(rule.resource_type, INBOUND_NAT_RULE_TYPE):
            continue
        props = flat(state(rule))
        balancer_props = _load_balancer_of(rule, props, index)
        if balancer_props is None:
            backend = props.get("backendPort")
            if covered_ports(["*"] if backend is None else [backend], ports):
                report_violation(
                    f"Inbound NAT rule '{rule.name}' forwards backend port {_port(backend)} (a management port) on "
                    f"load balancer '{props.get('loadBalancerName')}', which is not in this stack, so "
                    "whether its frontend is public cannot be checked (fail closed).",
                    rule.urn,
                )
            continue
        public, _ = public_frontends(balancer_props)
        problem = nat_problem(props, public, ports)
        if problem:
            report_violation(f"Inbound NAT rule '{rule.name}' {problem}.", rule.urn)
    raise_if_unverified(unknown)


lb_no_public_management_nat = StackValidationPolicy(
    name="lb-no-public-management-nat",
    description="A load balancer inbound NAT rule or pool must not forward a public frontend to a management port.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_public_management_nat,
    severity=Severity.CRITICAL,
    remediation_steps="Remove the NAT rule and reach the VM through Bastion or a JIT request, or forward the port "
    "only on an internal (private) frontend.",
    url=policy_url("lb-no-public-management-nat"),
    config_schema=PolicyConfigSchema(properties={"managementPorts": MANAGEMENT_PORTS_SCHEMA}),
)

POLICIES = [lb_no_public_management_nat]
