"""The one specification of a valid access request, turned into workflow actions and into a Python oracle.

The seed article's workflow passed the requested IP straight to `initiate`. Here every field a requester
controls is checked by generated Compose actions before anything else happens, and `rejection_reason` is
the same rules in plain Python (tests prove the two agree on a table of requests; the requester CLI can
use it to fail early).

Decisions (fail closed):
- The source is one IPv4 address as four decimal numbers 0-255 separated by dots: no spaces, no sign, no
  prefix length, no leading zeros (`010` is octal to some parsers, decimal to others), no IPv6.
- It must be globally reachable: every range in `BLOCKED_SOURCE_NETWORKS` is refused, including the
  documentation ranges (no real requester has one) and all of 192.0.0.0/24.
- In Bastion mode (`bastion_source_prefixes` set) the source must be exactly one of those prefixes and
  nothing else: the VMs have no public IP, and JIT matches sources literally.
- Ports and durations are compared as decimal text / whole minutes, per VM; names case-insensitively.
- The requester must be an identity with an `@` (a signed-in form responder or a user token), never
  "anonymous".

The workflow language evaluates both branches of `if` (and we assume every operand of `and`/`or`), so each
generated expression is error-free for any string input: nothing is indexed or converted unless it is safe.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from azure_jit_access.approval.language import (
    all_of,
    call,
    empty_array,
    index,
    lit,
    lookup,
    outputs,
    parameters,
    prop,
    variables,
    whole,
    without_chars,
)
from azure_jit_access.approval.sources import (
    REASON_SOURCE_NOT_LISTED,
    SOURCE_LISTED_PREFIX,
    listed_prefix_expression,
    listed_prefix_for,
    validate_source_prefixes,
)

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 1440
"""JIT's own bounds for a request: 5 minutes to 24 hours."""
MAX_JUSTIFICATION_LENGTH = 500

BLOCKED_SOURCE_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "'this network' range 0.0.0.0/8"),
    ("10.0.0.0/8", "private range 10.0.0.0/8"),
    ("100.64.0.0/10", "carrier-grade NAT range 100.64.0.0/10"),
    ("127.0.0.0/8", "loopback range 127.0.0.0/8"),
    ("169.254.0.0/16", "link-local range 169.254.0.0/16"),
    ("172.16.0.0/12", "private range 172.16.0.0/12"),
    ("192.0.0.0/24", "IETF protocol assignments range 192.0.0.0/24"),
    ("192.0.2.0/24", "documentation range 192.0.2.0/24"),
    ("192.88.99.0/24", "6to4 relay anycast range 192.88.99.0/24"),
    ("192.168.0.0/16", "private range 192.168.0.0/16"),
    ("198.18.0.0/15", "benchmarking range 198.18.0.0/15"),
    ("198.51.100.0/24", "documentation range 198.51.100.0/24"),
    ("203.0.113.0/24", "documentation range 203.0.113.0/24"),
    ("224.0.0.0/4", "multicast range 224.0.0.0/4"),
    ("240.0.0.0/4", "reserved range 240.0.0.0/4 (including the broadcast address)"),
)
"""Sources that are never a requester's public address (IANA special-purpose registry, multicast)."""

REQUEST = "request"
"""The workflow variable holding the normalised request: strings vm, port, source, durationMinutes,
justification, requester (lower case), requesterAliases (lower case), channel."""

VM_RULES_PARAMETER = "vmRules"

REASON_NO_REQUESTER = (
    "the request does not carry the requester's identity: sign in to the form, or call with a user's Entra ID token"
)
REASON_VM = "the VM is not one of the VMs this workflow may open"
REASON_PORT = "the port is not one of this VM's JIT ports"
REASON_SOURCE_FORMAT = (
    "the source must be one IPv4 address written as four numbers from 0 to 255 separated "
    "by dots, with no spaces, leading zeros, prefix length or wildcard"
)
REASON_SOURCE_BLOCKED = "the source address is in the {label}; JIT access is only granted to a public IPv4 address"
REASON_SOURCE_BASTION = "in Bastion mode the source must be one of: {prefixes}"
REASON_DURATION_FORMAT = "the duration must be a whole number of minutes"
REASON_DURATION_RANGE = "the duration must be between {minimum} and {maximum} minutes for this VM"
REASON_JUSTIFICATION_EMPTY = "a justification is required"
REASON_JUSTIFICATION_LONG = f"the justification must be at most {MAX_JUSTIFICATION_LENGTH} characters"

DIGITS = "0123456789"
# The Compose actions `validation_actions` generates, in run order; `Rejection_reason` is '' when valid.
SOURCE_WELL_FORMED = "Source_is_well_formed"
SOURCE_OCTETS = "Source_octets"
SOURCE_BLOCKED_RANGE = "Source_blocked_range"
DURATION_WELL_FORMED = "Duration_is_well_formed"
DURATION_MINUTES = "Duration_minutes"
REJECTION_REASON = "Rejection_reason"


@dataclass(frozen=True)
class VmRule:
    """What a request may ask of one VM."""

    name: str
    """The VM's name as requesters type it (matched case-insensitively)."""
    ports: tuple[int, ...]
    """The VM's JIT ports."""
    max_duration_minutes: int
    """The longest access this VM may be opened for (at most its JIT policy's maxRequestAccessDuration)."""


@dataclass(frozen=True)
class ValidationSpec:
    """Everything that decides whether a request may go to approval."""

    vms: tuple[VmRule, ...]
    """The only VMs a request may name."""
    bastion_source_prefixes: tuple[str, ...] = ()
    """Bastion mode: the only accepted sources (exact text, e.g. the AzureBastionSubnet prefix)."""
    source_prefixes: tuple[str, ...] = ()
    """Public mode: the JIT policy's allowed source prefixes; a request's address must lie in one of them, and
    the workflow initiates with that listed prefix (JIT matches sources literally)."""

    def rule(self, vm: str) -> VmRule | None:
        """The rule for a VM name, case-insensitively."""
        return next((r for r in self.vms if r.name.lower() == vm.lower()), None)


def validate_spec(spec: ValidationSpec) -> None:
    """Raise ValueError naming the field when the spec could never work or would widen access."""
    if not spec.vms:
        raise ValueError("allowed_vms: list at least one VM the workflow may open")
    seen: set[str] = set()
    for position, rule in enumerate(spec.vms):
        field = f"allowed_vms[{position}]"
        # Azure VM names are ASCII, so Python's lower() and the workflow's toLower() agree on them.
        if not isinstance(rule.name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", rule.name):
            raise ValueError(
                f"{field}.name: give the Azure VM name (letters, digits, '.', '-', '_'), got {rule.name!r}"
            )
        if rule.name.lower() in seen:
            raise ValueError(f"{field}.name: '{rule.name}' is listed twice (names are compared case-insensitively)")
        seen.add(rule.name.lower())
        if not rule.ports or any(
            isinstance(p, bool) or not isinstance(p, int) or not 0 < p < 65536 for p in rule.ports
        ):
            raise ValueError(f"{field}.ports: give one or more JIT ports from 1 to 65535, got {list(rule.ports)}")
        if not MIN_DURATION_MINUTES <= rule.max_duration_minutes <= MAX_DURATION_MINUTES:
            raise ValueError(
                f"{field}.max_duration_minutes: JIT allows {MIN_DURATION_MINUTES} to "
                f"{MAX_DURATION_MINUTES} minutes, got {rule.max_duration_minutes}"
            )
    if not spec.bastion_source_prefixes:
        validate_source_prefixes(spec.source_prefixes)
    for position, prefix in enumerate(spec.bastion_source_prefixes):
        field = f"bastion_source_prefixes[{position}]"
        try:
            network = ipaddress.ip_network(prefix, strict=True)
        except ValueError:
            raise ValueError(
                f"{field}: '{prefix}' is not an IP network such as '10.0.1.0/26' (the AzureBastionSubnet prefix)"
            ) from None
        if network.version != 4 or not network.is_private or network.prefixlen < 8:
            raise ValueError(
                f"{field}: '{prefix}' must be the private IPv4 AzureBastionSubnet prefix "
                "(for example '10.0.1.0/26'), never a public or /0-/7 range"
            )


def vm_rules_value(spec: ValidationSpec) -> dict[str, dict[str, object]]:
    """The `vmRules` definition parameter: lower-case VM name -> ports as text and the duration cap."""
    return {
        r.name.lower(): {"ports": [str(p) for p in r.ports], "maxDurationMinutes": r.max_duration_minutes}
        for r in spec.vms
    }


# ---- the rules, once as expressions ----------------------------------------------------------------------


def _field(name: str) -> str:
    return prop(variables(REQUEST), name)


def _vm_rule(key: str | None = None) -> str:
    rule = lookup(parameters(VM_RULES_PARAMETER), call("toLower", _field("vm")))
    return rule if key is None else prop(rule, key)


def _short_number_ok(expression: str, max_length: int) -> str:
    """1..max_length characters and no leading zero (callers check the characters are digits)."""
    length = call("length", expression)
    return all_of(
        call("greaterOrEquals", length, lit(1)),
        call("lessOrEquals", length, lit(max_length)),
        call("not", all_of(call("greater", length, lit(1)), call("startsWith", expression, lit("0")))),
    )


def _decimal_text_ok(expression: str, max_length: int) -> str:
    """Only digits, 1..max_length of them, and no leading zero."""
    return all_of(call("empty", without_chars(expression, DIGITS)), _short_number_ok(expression, max_length))


def _network_test(octets: list[str], cidr: str) -> str:
    network = ipaddress.IPv4Network(cidr)
    net_octets = list(network.network_address.packed)
    full, rest = divmod(network.prefixlen, 8)
    tests = [call("equals", octets[i], lit(net_octets[i])) for i in range(full)]
    if rest:
        low, high = net_octets[full], net_octets[full] + 2 ** (8 - rest) - 1
        tests += [call("greaterOrEquals", octets[full], lit(low)), call("lessOrEquals", octets[full], lit(high))]
    return all_of(*tests)


def _source_actions(spec: ValidationSpec) -> dict[str, str]:
    source = _field("source")
    # Three extra dots guarantee at least four parts, so indexing 0..3 never fails whatever was typed.
    padded = call("split", call("concat", source, lit("...")), lit("."))
    well_formed = all_of(
        call("empty", without_chars(source, DIGITS + ".")),
        call("equals", call("length", call("split", source, lit("."))), lit(4)),
        *[_short_number_ok(index(padded, i), 3) for i in range(4)],
    )
    safe = call("if", outputs(SOURCE_WELL_FORMED), source, lit("0.0.0.0"))
    octets = [call("int", index(outputs(SOURCE_OCTETS), i)) for i in range(4)]
    blocked = lit("")
    for cidr, label in reversed(BLOCKED_SOURCE_NETWORKS):
        blocked = call("if", _network_test(octets, cidr), lit(label), blocked)
    return {
        SOURCE_WELL_FORMED: well_formed,
        SOURCE_OCTETS: call("split", safe, lit(".")),
        SOURCE_BLOCKED_RANGE: blocked,
        SOURCE_LISTED_PREFIX: listed_prefix_expression(octets, spec.source_prefixes),
    }


def _checks(spec: ValidationSpec) -> list[tuple[str, str]]:
    """(condition that must hold, reason when it does not), in the order they are reported."""
    octets = [call("int", index(outputs(SOURCE_OCTETS), i)) for i in range(4)]
    maximum = call("coalesce", _vm_rule("maxDurationMinutes"), lit(0))
    checks = [
        (call("contains", _field("requester"), lit("@")), lit(REASON_NO_REQUESTER)),
        (call("contains", parameters(VM_RULES_PARAMETER), call("toLower", _field("vm"))), lit(REASON_VM)),
        (call("contains", call("coalesce", _vm_rule("ports"), empty_array()), _field("port")), lit(REASON_PORT)),
    ]
    if spec.bastion_source_prefixes:
        allowed = call("createArray", *[lit(p) for p in spec.bastion_source_prefixes])
        reason = REASON_SOURCE_BASTION.format(prefixes=", ".join(spec.bastion_source_prefixes))
        checks.append((call("contains", allowed, _field("source")), lit(reason)))
    else:
        in_range = all_of(*[call("lessOrEquals", o, lit(255)) for o in octets])
        before, after = REASON_SOURCE_BLOCKED.split("{label}")
        checks += [
            (all_of(outputs(SOURCE_WELL_FORMED), in_range), lit(REASON_SOURCE_FORMAT)),
            (
                call("empty", outputs(SOURCE_BLOCKED_RANGE)),
                call("concat", lit(before), outputs(SOURCE_BLOCKED_RANGE), lit(after)),
            ),
            (
                call("not", call("empty", outputs(SOURCE_LISTED_PREFIX))),
                lit(REASON_SOURCE_NOT_LISTED.format(prefixes=", ".join(spec.source_prefixes))),
            ),
        ]
    minimum_text, rest = REASON_DURATION_RANGE.split("{minimum}")
    middle, end = rest.split("{maximum}")
    justification = _field("justification")
    checks += [
        (outputs(DURATION_WELL_FORMED), lit(REASON_DURATION_FORMAT)),
        (
            all_of(
                call("greaterOrEquals", outputs(DURATION_MINUTES), lit(MIN_DURATION_MINUTES)),
                call("lessOrEquals", outputs(DURATION_MINUTES), maximum),
            ),
            call("concat", lit(minimum_text + str(MIN_DURATION_MINUTES) + middle), call("string", maximum), lit(end)),
        ),
        (call("not", call("empty", call("trim", justification))), lit(REASON_JUSTIFICATION_EMPTY)),
        (
            call("lessOrEquals", call("length", justification), lit(MAX_JUSTIFICATION_LENGTH)),
            lit(REASON_JUSTIFICATION_LONG),
        ),
    ]
    return checks


def validation_actions(spec: ValidationSpec) -> dict[str, dict[str, object]]:
    """The Compose actions (a chain, for a Scope) that end in `Rejection_reason`: '' or the first failure."""
    expressions = dict(_source_actions(spec)) if not spec.bastion_source_prefixes else {}
    expressions[DURATION_WELL_FORMED] = _decimal_text_ok(_field("durationMinutes"), 4)
    expressions[DURATION_MINUTES] = call(
        "int", call("if", outputs(DURATION_WELL_FORMED), _field("durationMinutes"), lit("0"))
    )
    reason = lit("")
    for condition, failure in reversed(_checks(spec)):
        reason = call("if", condition, reason, failure)
    expressions[REJECTION_REASON] = reason
    actions: dict[str, dict[str, object]] = {}
    previous: str | None = None
    for name, expression in expressions.items():
        actions[name] = {
            "type": "Compose",
            "inputs": whole(expression),
            "runAfter": {previous: ["Succeeded"]} if previous else {},
        }
        previous = name
    return actions


# ---- the same rules, once in Python -------------------------------------------------------------------------


def _decimal_text(value: str, max_length: int) -> bool:
    return 0 < len(value) <= max_length and all(c in DIGITS for c in value) and not (len(value) > 1 and value[0] == "0")


def _source_reason(spec: ValidationSpec, source: str) -> str:
    if spec.bastion_source_prefixes:
        if source in spec.bastion_source_prefixes:
            return ""
        return REASON_SOURCE_BASTION.format(prefixes=", ".join(spec.bastion_source_prefixes))
    parts = source.split(".")
    if len(parts) != 4 or not all(_decimal_text(p, 3) and int(p) <= 255 for p in parts):
        return REASON_SOURCE_FORMAT
    address = ipaddress.IPv4Address(source)
    for cidr, label in BLOCKED_SOURCE_NETWORKS:
        if address in ipaddress.IPv4Network(cidr):
            return REASON_SOURCE_BLOCKED.format(label=label)
    if listed_prefix_for(source, spec.source_prefixes) is None:
        return REASON_SOURCE_NOT_LISTED.format(prefixes=", ".join(spec.source_prefixes))
    return ""


def utf16_length(value: str) -> int:
    """Length as the workflow language counts it (.NET strings are UTF-16)."""
    return len(value.encode("utf-16-le")) // 2


def rejection_reason(spec: ValidationSpec, request: dict[str, str]) -> str:
    """Why a normalised request (strings, as in the `request` variable) is refused, or '' when it is valid."""
    rule = spec.rule(request["vm"])
    if "@" not in request["requester"]:
        return REASON_NO_REQUESTER
    if rule is None:
        return REASON_VM
    if request["port"] not in {str(p) for p in rule.ports}:
        return REASON_PORT
    source_reason = _source_reason(spec, request["source"])
    if source_reason:
        return source_reason
    duration = request["durationMinutes"]
    if not _decimal_text(duration, 4):
        return REASON_DURATION_FORMAT
    if not MIN_DURATION_MINUTES <= int(duration) <= rule.max_duration_minutes:
        return REASON_DURATION_RANGE.format(minimum=MIN_DURATION_MINUTES, maximum=rule.max_duration_minutes)
    if not request["justification"].strip():
        return REASON_JUSTIFICATION_EMPTY
    if utf16_length(request["justification"]) > MAX_JUSTIFICATION_LENGTH:
        return REASON_JUSTIFICATION_LONG
    return ""
