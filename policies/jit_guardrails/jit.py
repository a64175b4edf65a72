"""JIT network access policy rules: explicit narrow sources, a sane duration cap, only management ports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .docs import policy_url
from .durations import JIT_MAXIMUM, JIT_MINIMUM, describe, format_duration, parse_duration
from .ports import DEFAULT_MANAGEMENT_PORTS
from .props import (
    arm_id_parts,
    as_list,
    is_type,
    is_unknown,
    plain,
    raise_if_unverified,
    settings,
)
from .sources import SOURCE_CONFIG_SCHEMA, internet_wide_findings, limits_from, source_defaults

JIT_POLICY_TYPE = "azure-native:security:JitNetworkAccessPolicy"
DEFAULT_MAX_DURATION = "PT3H"


def port_rules(props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every port rule of a JIT policy as (`"vm 'web-1' port rule [0]"`, rule); unknown parts as their sentinel."""
    machines = props.get("virtualMachines")
    for vm_index, machine in enumerate(as_list(machines)):
        if not isinstance(machine, Mapping):
            yield f"virtualMachines[{vm_index}]", machine
            continue
        vm_name = arm_id_parts(machine.get("id")).get("virtualmachines") or f"virtualMachines[{vm_index}]"
        for port_index, rule in enumerate(as_list(machine.get("ports"))):
            yield f"VM '{vm_name}' port rule [{port_index}]", rule


def port_number(value: Any) -> int | None:
    """A port number as an int (the engine sends numbers as floats); None if it is not a whole number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
        return None
    return int(value)


def _port_label(where: str, rule: Mapping[str, Any]) -> str:
    number = port_number(rule.get("number"))
    return where if number is None else f"{where} (port {number})"


def _labelled_port_rules(props: Any, unknown: list[str]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, rule) for every port rule that is a mapping; unknown rules are added to `unknown`."""
    for where, rule in port_rules(plain(props)):
        if isinstance(rule, Mapping):
            yield _port_label(where, rule), rule
        elif is_unknown(rule):
            unknown.append(where)


def check_no_wildcard_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `jit-policy-no-wildcard-source`."""
    if not is_type(args.resource_type, JIT_POLICY_TYPE):
        args.not_applicable("not a JIT network access policy")
    limits = limits_from(settings(args.get_config(), source_defaults()))
    unknown: list[str] = []
    reported = False
    for label, rule in _labelled_port_rules(args.props, unknown):
        sources = [rule.get("allowedSourceAddressPrefix"), *as_list(rule.get("allowedSourceAddressPrefixes"))]
        known = [s for s in sources if isinstance(s, str) and not is_unknown(s) and s.strip()]
        findings = internet_wide_findings(known, limits)
        if findings:
            report_violation(
                f"{label} lets requests open the port to {'; '.join(findings)}. Anyone who can request access "
                "(or the portal's default 'All configured IPs') would expose the VM to the internet.",
                None,
            )
            reported = True
        elif any(is_unknown(s) for s in sources):
            unknown.append(f"{label}: allowed source")
        elif not known:
            report_violation(
                f"{label} sets neither allowedSourceAddressPrefix nor allowedSourceAddressPrefixes, so the policy "
                "does not limit where access may come from (the portal and the VM blade default to Any).",
                None,
            )
            reported = True
    raise_if_unverified(unknown, reported)


def duration_cap(configured: Any) -> timedelta:
    """The configured `maxDuration`, validated: ISO 8601, at least PT5M, and never above JIT's PT24H."""
    try:
        cap = parse_duration(configured)
    except ValueError as err:
        raise ValueError(f"policy config jit-policy-max-duration.maxDuration: {err}") from None
    if cap < JIT_MINIMUM:
        raise ValueError(
            f"policy config jit-policy-max-duration.maxDuration '{configured}' is below JIT's minimum "
            "of PT5M; set it between PT5M and PT24H"
        )
    return min(cap, JIT_MAXIMUM)


def check_max_duration(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `jit-policy-max-duration`."""
    if not is_type(args.resource_type, JIT_POLICY_TYPE):
        args.not_applicable("not a JIT network access policy")
    configured = settings(args.get_config(), {"maxDuration": DEFAULT_MAX_DURATION})["maxDuration"]
    cap = duration_cap(configured)
    unknown: list[str] = []
    reported = False
    for label, rule in _labelled_port_rules(args.props, unknown):
        value = rule.get("maxRequestAccessDuration")
        if is_unknown(value):
            unknown.append(f"{label}: maxRequestAccessDuration")
            continue
        problem = duration_problem(value, cap)
        if problem:
            report_violation(f"{label}: maxRequestAccessDuration {problem}", None)
            reported = True
    raise_if_unverified(unknown, reported)


def duration_problem(value: Any, cap: timedelta) -> str | None:
    """What is wrong with one `maxRequestAccessDuration` against the cap, or None."""
    allowed = f"between PT5M and {format_duration(cap)}"
    if value is None:
        return f"is not set; set it {allowed}, e.g. PT1H."
    try:
        duration = parse_duration(value)
    except ValueError as err:
        return f"is not a valid ISO 8601 duration ({err}); set it {allowed}."
    if duration < JIT_MINIMUM:
        return f"'{value}' ({describe(duration)}) is below JIT's minimum; set it {allowed}."
    if duration > cap:
        why = "JIT's maximum of one day" if cap >= JIT_MAXIMUM else "the team's cap (policy config maxDuration)"
        return (
            f"'{value}' ({describe(duration)}) is longer than {why}; access should close on its own "
            f"within hours. Set it {allowed}."
        )
    return None


def check_allowed_ports(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `jit-policy-allowed-ports`."""
    if not is_type(args.resource_type, JIT_POLICY_TYPE):
        args.not_applicable("not a JIT network access policy")
    configured = settings(args.get_config(), {"allowedPorts": list(DEFAULT_MANAGEMENT_PORTS)})["allowedPorts"]
    allowed = sorted(int(port) for port in configured)  # the engine sends numbers as floats
    unknown: list[str] = []
    reported = False
    for where, rule in port_rules(plain(args.props)):
        if not isinstance(rule, Mapping):
            unknown += [where] if is_unknown(rule) else []
            continue
        number = rule.get("number")
        if is_unknown(number):
            unknown.append(f"{where}: number")
        elif port_number(number) not in allowed:
            shown = number if port_number(number) is None else port_number(number)
            report_violation(
                f"{where} opens port {shown}, which is not a configured management port "
                f"({', '.join(str(p) for p in allowed)}): JIT is for administrative access.",
                None,
            )
            reported = True
    raise_if_unverified(unknown, reported)


jit_policy_no_wildcard_source = ResourceValidationPolicy(
    name="jit-policy-no-wildcard-source",
    description="JIT port rules must list explicit allowed sources, never *, Any, Internet, a /0 or an "
    "internet-wide set of prefixes.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_no_wildcard_source,
    severity=Severity.CRITICAL,
    remediation_steps="List the exact addresses allowed to connect in allowedSourceAddressPrefix(es): office egress "
    "/32s or the Bastion subnet.",
    url=policy_url("jit-policy-no-wildcard-source"),
    config_schema=PolicyConfigSchema(properties=dict(SOURCE_CONFIG_SCHEMA)),
)

jit_policy_max_duration = ResourceValidationPolicy(
    name="jit-policy-max-duration",
    description="JIT maxRequestAccessDuration must be a valid ISO 8601 duration of at least PT5M and at most the "
    "configured cap (never above PT24H).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_max_duration,
    severity=Severity.HIGH,
    remediation_steps="Set maxRequestAccessDuration to an ISO 8601 duration between PT5M and the cap (policy config "
    "maxDuration, PT3H by default; never above PT24H), e.g. PT1H.",
    url=policy_url("jit-policy-max-duration"),
    config_schema=PolicyConfigSchema(
        properties={
            "maxDuration": {
                "type": "string",
                "default": DEFAULT_MAX_DURATION,
                "description": "Longest access a request may ask for, ISO 8601 (PT5M..PT24H).",
            }
        }
    ),
)

jit_policy_allowed_ports = ResourceValidationPolicy(
    name="jit-policy-allowed-ports",
    description="JIT policies should only cover the configured management ports.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=check_allowed_ports,
    severity=Severity.LOW,
    remediation_steps="Publish application ports with ordinary NSG rules, or add the port to this policy's "
    "allowedPorts if it really is a management port.",
    url=policy_url("jit-policy-allowed-ports"),
    config_schema=PolicyConfigSchema(
        properties={
            "allowedPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "minItems": 1,
                "default": list(DEFAULT_MANAGEMENT_PORTS),
                "description": "Ports a JIT policy may open.",
            }
        }
    ),
)

POLICIES = [jit_policy_no_wildcard_source, jit_policy_max_duration, jit_policy_allowed_ports]
