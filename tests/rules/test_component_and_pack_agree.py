"""Property: what a component accepts the policy pack never rejects, and what the pack accepts the component accepts.

Each example runs the component's pure validation function and the pack's policy check (called directly with a
fake `ResourceValidationArgs`) on the same generated input, and asserts the two verdicts agree. Inputs cover
what both sides can be given: source prefix lists (addresses, networks in canonical form, wildcards, service
tags, sets that add up), `maxRequestAccessDuration` strings (well-formed and junk), and requester role actions.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from azure_jit_access.requester_role import validate_requester_actions
from azure_jit_access.rules.roles import DEFAULT_REQUESTER_ACTIONS, INITIATE_ACTION
from azure_jit_access.validation import validate_duration, validate_source_prefixes
from jit_guardrails.identity import check_requester_role
from jit_guardrails.jit import check_max_duration, check_no_wildcard_source

BUDGET = settings(max_examples=200, deadline=None, derandomize=True)
SUB = "00000000-0000-4000-8000-000000000001"
VM_ID = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"


@dataclass
class FakeArgs:
    """The parts of pulumi-policy's ResourceValidationArgs the pack's checks read."""

    resource_type: str
    props: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    name: str = "subject"

    def get_config(self) -> dict[str, Any]:
        return self.config


def pack_accepts(check: Any, args: FakeArgs) -> bool:
    violations: list[str] = []
    check(args, lambda message, urn=None: violations.append(message))
    return not violations


def component_accepts(validate: Any, *args: Any) -> bool:
    try:
        validate(*args)
    except ValueError:
        return False
    return True


def jit_policy(port_rule: dict[str, Any]) -> dict[str, Any]:
    rule = {"number": 22, "protocol": "TCP", "maxRequestAccessDuration": "PT3H", **port_rule}
    return {"virtualMachines": [{"id": VM_ID, "ports": [rule]}]}


# Bases that make interesting prefixes: public (Microsoft's 20/8 and 2a01:110::), private, documentation, zero.
IPV4_BASES = ["20.0.0.0", "52.0.0.0", "10.0.0.0", "203.0.113.0", "0.0.0.0", "128.0.0.0", "100.64.0.0", "8.8.8.8"]
IPV6_BASES = ["2a01:110::", "2001:db8::", "fc00::", "::", "2000::", "fe80::"]


@st.composite
def networks(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        base = ipaddress.ip_address(draw(st.sampled_from(IPV4_BASES))) + draw(st.integers(0, 2**24))
        length = draw(st.integers(0, 32))
    else:
        base = ipaddress.ip_address(draw(st.sampled_from(IPV6_BASES))) + draw(st.integers(0, 2**80))
        length = draw(st.integers(0, 128))
    network = ipaddress.ip_network((base, length), strict=False)
    bare = network.num_addresses == 1 and draw(st.booleans())
    return str(network.network_address) if bare else str(network)


# Narrow tags (VirtualNetwork, AzureLoadBalancer) are left out: the pack lets them through as not "anyone",
# while the component refuses every non-address JIT source on syntax before asking the shared rule.
WORDS = st.sampled_from(["*", "Any", "internet", "0.0.0.0/0", "::/0", "0.0.0.0", "AzureCloud", "Storage.WestUS", "Foo"])
SOURCE_LISTS = st.lists(st.one_of(networks(), WORDS), max_size=4, unique=True)


@BUDGET
@given(SOURCE_LISTS)
def test_source_prefixes(prefixes: list[str]) -> None:
    component = component_accepts(validate_source_prefixes, prefixes, "allowed_source_address_prefixes")
    args = FakeArgs(
        "azure-native:security:JitNetworkAccessPolicy", jit_policy({"allowedSourceAddressPrefixes": prefixes})
    )
    assert component == pack_accepts(check_no_wildcard_source, args), prefixes


@st.composite
def well_formed_durations(draw: st.DrawFn) -> str:
    days, hours, minutes, seconds = (draw(st.one_of(st.none(), st.integers(0, 3000))) for _ in range(4))
    date = f"{days}D" if days is not None else ""
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n is not None)
    return "P" + date + ("T" + time if time or draw(st.booleans()) else "")


JUNK_DURATIONS = st.text(alphabet="PTDHMSYW0123456789.,- p²٣", max_size=12)
DURATIONS = st.one_of(well_formed_durations(), JUNK_DURATIONS, st.sampled_from(["PT1.5H", "P99999999999D", " PT3H"]))


@BUDGET
@given(DURATIONS)
def test_max_request_access_durations(value: str) -> None:
    component = component_accepts(validate_duration, value, "max_request_access_duration")
    # The pack's team cap defaults to PT3H; at PT24H its rule is JIT's own range, which the component enforces.
    args = FakeArgs(
        "azure-native:security:JitNetworkAccessPolicy",
        jit_policy({"allowedSourceAddressPrefixes": ["203.0.113.7"], "maxRequestAccessDuration": value}),
        {"maxDuration": "PT24H"},
    )
    assert component == pack_accepts(check_max_duration, args), value


ACTIONS = st.one_of(
    st.sampled_from(DEFAULT_REQUESTER_ACTIONS),
    st.sampled_from(DEFAULT_REQUESTER_ACTIONS).map(str.lower),
    st.sampled_from(
        [
            "*",
            "*/read",
            "Microsoft.Security/*",
            "Microsoft.Network/networkSecurityGroups/securityRules/write",
            "Microsoft.Compute/virtualMachines/delete",
            "Microsoft.Compute/virtualMachines/start/action",
            "Microsoft.Storage/storageAccounts/read",
            "Microsoft.Security/locations/jitNetworkAccessPolicies/read ",
        ]
    ),
)


@BUDGET
@given(st.lists(ACTIONS, max_size=5))
def test_requester_role_actions(extra: list[str]) -> None:
    # The component always grants initiate; the pack judges only roles that can initiate.
    actions = [INITIATE_ACTION, *extra]
    component = component_accepts(validate_requester_actions, actions)
    args = FakeArgs(
        "azure-native:authorization:RoleDefinition",
        {
            "roleName": "JIT requester",
            "permissions": [{"actions": actions, "notActions": []}],
            "assignableScopes": [f"/subscriptions/{SUB}/resourceGroups/rg"],
        },
    )
    assert component == pack_accepts(check_requester_role, args), actions
