"""The request checks and the approval rule: generated expressions, Python oracle and expected verdicts agree.

Each row is evaluated three ways: the generated Compose chain run by the strict evaluator, the Python
oracle `rejection_reason`, and the verdict written in the table. A fourth, independent oracle for
sources is Python's `ipaddress` module.
"""

import ipaddress
import random
import re

import pytest

from azure_jit_access.approval.approvers import RESPONDER, Approver, initial_responder, responder_verdict
from azure_jit_access.approval.decision import (
    APPROVED,
    APPROVER_UNVERIFIED,
    NOT_AN_APPROVER,
    REASON_SELF_APPROVAL,
    REJECTED,
    SELF_APPROVAL,
    TIMED_OUT,
    answer_action,
    approval_outcome,
    outcome_action,
)
from azure_jit_access.approval.sources import REASON_SOURCE_NOT_LISTED, SOURCE_LISTED_PREFIX
from azure_jit_access.approval.validation import (
    BLOCKED_SOURCE_NETWORKS,
    REASON_DURATION_FORMAT,
    REASON_DURATION_RANGE,
    REASON_JUSTIFICATION_EMPTY,
    REASON_JUSTIFICATION_LONG,
    REASON_NO_REQUESTER,
    REASON_PORT,
    REASON_SOURCE_BASTION,
    REASON_SOURCE_BLOCKED,
    REASON_SOURCE_FORMAT,
    REASON_VM,
    REJECTION_REASON,
    ValidationSpec,
    VmRule,
    rejection_reason,
    validate_spec,
    validation_actions,
    vm_rules_value,
)
from azure_jit_access.rules.sources import listed_prefix_for
from tests.support.workflow_expressions import Context, ExpressionError, evaluate_value
from tests.support.workflow_runner import run_actions

# Every IPv4 address is listed here, so the table's verdicts are decided by the other source checks; the
# listed-prefix mapping has its own tests below (LISTED).
SPEC = ValidationSpec(
    vms=(VmRule("web-vm", (22,), 180), VmRule("Win-VM", (3389, 5986), 60)), source_prefixes=("0.0.0.0/1", "128.0.0.0/1")
)
LISTED = ValidationSpec(vms=SPEC.vms, source_prefixes=("20.50.1.0/28", "52.1.2.3", "20.50.0.0/16", "9.9.9.0/31"))
BASTION = ValidationSpec(vms=SPEC.vms, bastion_source_prefixes=("10.0.1.0/26",))
VALID = {
    "channel": "forms",
    "vm": "web-vm",
    "port": "22",
    "source": "20.50.1.7",
    "durationMinutes": "60",
    "justification": "patch openssl (CHG-1234)",
    "requester": "alice@contoso.com",
    "requesterAliases": ["alice@contoso.com"],
    "requesterObjectId": "",
}


def blocked(cidr: str) -> str:
    label = dict(BLOCKED_SOURCE_NETWORKS)[cidr]
    return REASON_SOURCE_BLOCKED.format(label=label)


ROWS = [
    # valid requests
    ({}, ""),
    ({"source": "8.8.8.8"}, ""),
    ({"source": "1.0.0.1"}, ""),
    ({"source": "100.63.255.255"}, ""),
    ({"source": "100.128.0.0"}, ""),
    ({"source": "172.15.255.255"}, ""),
    ({"source": "172.32.0.1"}, ""),
    ({"source": "223.255.255.254"}, ""),
    ({"vm": "WIN-vm", "port": "5986", "durationMinutes": "60"}, ""),
    ({"durationMinutes": "5"}, ""),
    ({"durationMinutes": "180"}, ""),
    # wildcards, networks and malformed sources
    ({"source": "*"}, REASON_SOURCE_FORMAT),
    ({"source": "0.0.0.0/0"}, REASON_SOURCE_FORMAT),
    ({"source": "20.50.1.0/24"}, REASON_SOURCE_FORMAT),
    ({"source": "any"}, REASON_SOURCE_FORMAT),
    ({"source": "Internet"}, REASON_SOURCE_FORMAT),
    ({"source": "1.2.3"}, REASON_SOURCE_FORMAT),
    ({"source": "1.2.3.4.5"}, REASON_SOURCE_FORMAT),
    ({"source": "256.1.1.1"}, REASON_SOURCE_FORMAT),
    ({"source": "1.2.3.999"}, REASON_SOURCE_FORMAT),
    ({"source": " 1.2.3.4"}, REASON_SOURCE_FORMAT),
    ({"source": "1.2.3.4 "}, REASON_SOURCE_FORMAT),
    ({"source": "1.2 .3.4"}, REASON_SOURCE_FORMAT),
    ({"source": "2001:db8::1"}, REASON_SOURCE_FORMAT),
    ({"source": "::ffff:20.50.1.7"}, REASON_SOURCE_FORMAT),
    ({"source": ""}, REASON_SOURCE_FORMAT),
    ({"source": "..."}, REASON_SOURCE_FORMAT),
    ({"source": "1..2.3"}, REASON_SOURCE_FORMAT),
    ({"source": "020.50.1.7"}, REASON_SOURCE_FORMAT),
    ({"source": "-1.2.3.4"}, REASON_SOURCE_FORMAT),
    ({"source": "+1.2.3.4"}, REASON_SOURCE_FORMAT),
    ({"source": "0x14.50.1.7"}, REASON_SOURCE_FORMAT),
    ({"source": "20.50.1.7,8.8.8.8"}, REASON_SOURCE_FORMAT),
    ({"source": "١.٢.٣.٤"}, REASON_SOURCE_FORMAT),
    # non-public ranges
    ({"source": "10.0.0.5"}, blocked("10.0.0.0/8")),
    ({"source": "127.0.0.1"}, blocked("127.0.0.0/8")),
    ({"source": "0.0.0.0"}, blocked("0.0.0.0/8")),
    ({"source": "172.16.0.1"}, blocked("172.16.0.0/12")),
    ({"source": "172.31.255.255"}, blocked("172.16.0.0/12")),
    ({"source": "192.168.1.10"}, blocked("192.168.0.0/16")),
    ({"source": "169.254.169.254"}, blocked("169.254.0.0/16")),
    ({"source": "100.64.0.1"}, blocked("100.64.0.0/10")),
    ({"source": "100.127.255.255"}, blocked("100.64.0.0/10")),
    ({"source": "192.0.2.1"}, blocked("192.0.2.0/24")),
    ({"source": "198.51.100.7"}, blocked("198.51.100.0/24")),
    ({"source": "203.0.113.7"}, blocked("203.0.113.0/24")),
    ({"source": "198.19.0.1"}, blocked("198.18.0.0/15")),
    ({"source": "224.0.0.1"}, blocked("224.0.0.0/4")),
    ({"source": "239.255.255.255"}, blocked("224.0.0.0/4")),
    ({"source": "255.255.255.255"}, blocked("240.0.0.0/4")),
    ({"source": "192.0.0.9"}, blocked("192.0.0.0/24")),
    # VM, port, duration, justification, requester
    ({"vm": "db-vm"}, REASON_VM),
    ({"vm": ""}, REASON_VM),
    ({"vm": " web-vm"}, REASON_VM),
    ({"port": "3389"}, REASON_PORT),
    ({"port": "022"}, REASON_PORT),
    ({"port": "22.0"}, REASON_PORT),
    ({"port": ""}, REASON_PORT),
    ({"vm": "win-vm", "port": "22"}, REASON_PORT),
    ({"durationMinutes": "181"}, REASON_DURATION_RANGE.format(minimum=5, maximum=180)),
    ({"vm": "win-vm", "port": "3389", "durationMinutes": "61"}, REASON_DURATION_RANGE.format(minimum=5, maximum=60)),
    ({"durationMinutes": "4"}, REASON_DURATION_RANGE.format(minimum=5, maximum=180)),
    ({"durationMinutes": "0"}, REASON_DURATION_RANGE.format(minimum=5, maximum=180)),
    ({"durationMinutes": "99999"}, REASON_DURATION_FORMAT),
    ({"durationMinutes": "-30"}, REASON_DURATION_FORMAT),
    ({"durationMinutes": "060"}, REASON_DURATION_FORMAT),
    ({"durationMinutes": "1.5"}, REASON_DURATION_FORMAT),
    ({"durationMinutes": "PT1H"}, REASON_DURATION_FORMAT),
    ({"durationMinutes": ""}, REASON_DURATION_FORMAT),
    ({"justification": ""}, REASON_JUSTIFICATION_EMPTY),
    ({"justification": "   "}, REASON_JUSTIFICATION_EMPTY),
    ({"justification": "x" * 500}, ""),
    ({"justification": "x" * 501}, REASON_JUSTIFICATION_LONG),
    ({"justification": "🔥" * 250}, ""),
    ({"justification": "🔥" * 251}, REASON_JUSTIFICATION_LONG),
    ({"justification": "<script>alert(1)</script>"}, ""),
    ({"requester": ""}, REASON_NO_REQUESTER),
    ({"requester": "anonymous"}, REASON_NO_REQUESTER),
    # the first failing check is the one reported
    ({"vm": "db-vm", "source": "*", "durationMinutes": "9999"}, REASON_VM),
    ({"source": "10.0.0.5", "durationMinutes": "999"}, blocked("10.0.0.0/8")),
]


def workflow_reason(spec: ValidationSpec, request: dict) -> str:
    context = Context(variables={"request": request}, parameters={"vmRules": vm_rules_value(spec)})
    run = run_actions(validation_actions(spec), context)
    assert run.errors == {}, run.errors
    return run.outputs(REJECTION_REASON)


@pytest.mark.parametrize(("change", "expected"), ROWS, ids=[repr(change)[:60] for change, _ in ROWS])
def test_generated_checks_oracle_and_table_agree(change, expected):
    request = {**VALID, **change}
    assert workflow_reason(SPEC, request) == expected
    assert rejection_reason(SPEC, request) == expected


def test_the_table_covers_the_cases_the_issue_names():
    sources = {change.get("source") for change, _ in ROWS}
    assert {
        "*",
        "0.0.0.0/0",
        "10.0.0.5",
        "127.0.0.1",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        " 1.2.3.4",
        "2001:db8::1",
        "",
    } <= sources
    assert len(ROWS) >= 30


BASTION_ROWS = [
    ("10.0.1.0/26", ""),
    ("10.0.1.5", REASON_SOURCE_BASTION.format(prefixes="10.0.1.0/26")),
    ("20.50.1.7", REASON_SOURCE_BASTION.format(prefixes="10.0.1.0/26")),
    ("*", REASON_SOURCE_BASTION.format(prefixes="10.0.1.0/26")),
    ("10.0.1.0/26 ", REASON_SOURCE_BASTION.format(prefixes="10.0.1.0/26")),
]


@pytest.mark.parametrize(("source", "expected"), BASTION_ROWS)
def test_bastion_mode_accepts_only_the_bastion_prefix(source, expected):
    request = {**VALID, "source": source}
    assert workflow_reason(BASTION, request) == expected
    assert rejection_reason(BASTION, request) == expected


def _sample_addresses() -> list[str]:
    picks = random.Random(20260504)
    addresses = {str(ipaddress.IPv4Address(picks.getrandbits(32))) for _ in range(400)}
    for cidr, _ in BLOCKED_SOURCE_NETWORKS:
        network = ipaddress.IPv4Network(cidr)
        first, last = int(network.network_address), int(network.broadcast_address)
        addresses.update(
            str(ipaddress.IPv4Address(edge)) for edge in (first - 1, first, last, last + 1) if 0 <= edge < 2**32
        )
    return sorted(addresses)


def test_source_verdicts_match_pythons_ipaddress_on_random_and_edge_addresses():
    stricter = [ipaddress.IPv4Network(c) for c in ("192.0.0.0/24", "192.88.99.0/24")]
    for text in _sample_addresses():
        address = ipaddress.IPv4Address(text)
        public = address.is_global and not address.is_multicast and not any(address in n for n in stricter)
        reason = workflow_reason(SPEC, {**VALID, "source": text})
        assert (reason == "") == public, (text, reason)


def _listed_prefix_in_workflow(spec: ValidationSpec, source: str) -> str:
    context = Context(variables={"request": {**VALID, "source": source}}, parameters={"vmRules": vm_rules_value(spec)})
    run = run_actions(validation_actions(spec), context)
    assert run.errors == {}, run.errors
    return run.outputs(SOURCE_LISTED_PREFIX)


def test_the_listed_prefix_matches_the_rules_core_and_pythons_ipaddress():
    edges = [
        str(ipaddress.IPv4Address(edge))
        for prefix in LISTED.source_prefixes
        for network in [ipaddress.IPv4Network(prefix)]
        for edge in (int(network.network_address) - 1, int(network.network_address), int(network.broadcast_address))
        + (int(network.broadcast_address) + 1,)
    ]
    for text in [*_sample_addresses()[::4], *edges]:
        holding = [p for p in LISTED.source_prefixes if ipaddress.IPv4Address(text) in ipaddress.IPv4Network(p)]
        expected = holding[0] if holding else None
        assert listed_prefix_for(text, LISTED.source_prefixes) == expected, text
        assert _listed_prefix_in_workflow(LISTED, text) == (expected or ""), text
    # First listed match wins (the /28 is listed before the /16 that also holds it), exactly as written.
    assert _listed_prefix_in_workflow(LISTED, "20.50.1.9") == "20.50.1.0/28"
    assert _listed_prefix_in_workflow(LISTED, "20.50.7.9") == "20.50.0.0/16"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("20.50.1.15", ""),
        ("52.1.2.3", ""),
        ("52.1.2.4", REASON_SOURCE_NOT_LISTED.format(prefixes="20.50.1.0/28, 52.1.2.3, 20.50.0.0/16, 9.9.9.0/31")),
        ("9.9.9.2", REASON_SOURCE_NOT_LISTED.format(prefixes="20.50.1.0/28, 52.1.2.3, 20.50.0.0/16, 9.9.9.0/31")),
    ],
)
def test_a_source_outside_every_listed_prefix_is_refused_with_the_list(source, expected):
    request = {**VALID, "source": source}
    assert workflow_reason(LISTED, request) == expected
    assert rejection_reason(LISTED, request) == expected


def test_listed_prefix_for_refuses_what_jit_cannot_take():
    assert listed_prefix_for("20.50.1.1", ["*", "Internet", "0.0.0.0/0", "20.50.1.0/30"]) == "20.50.1.0/30"
    assert listed_prefix_for("020.50.1.1", ["20.50.1.0/30"]) is None
    assert listed_prefix_for("20.50.1.1/32", ["20.50.1.0/30"]) is None
    assert listed_prefix_for("2001:db8::1", ["2001:db8::/32"]) is None
    assert listed_prefix_for(" 20.50.1.1 ", [" 20.50.1.0/30 "]) == "20.50.1.0/30"


def test_vm_names_are_matched_case_insensitively_and_typos_never_raise():
    assert vm_rules_value(SPEC) == {
        "web-vm": {"ports": ["22"], "maxDurationMinutes": 180},
        "win-vm": {"ports": ["3389", "5986"], "maxDurationMinutes": 60},
    }
    for vm in ("WEB-VM", "Web-Vm", "web-vm'", "web-vm)", "@{x}", "web-vm\n"):
        assert workflow_reason(SPEC, {**VALID, "vm": vm}) == rejection_reason(SPEC, {**VALID, "vm": vm})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ValidationSpec(vms=()), "allowed_vms: list at least one VM"),
        (
            ValidationSpec(vms=(VmRule("a", (22,), 60), VmRule("A", (22,), 60))),
            "allowed_vms[1].name: 'A' is listed twice",
        ),
        (ValidationSpec(vms=(VmRule(" a", (22,), 60),)), "allowed_vms[0].name: give the Azure VM name"),
        (ValidationSpec(vms=(VmRule("a", (), 60),)), "allowed_vms[0].ports: give one or more JIT ports"),
        (ValidationSpec(vms=(VmRule("a", (0,), 60),)), "allowed_vms[0].ports"),
        (ValidationSpec(vms=(VmRule("a", (22,), 4),)), "allowed_vms[0].max_duration_minutes: JIT allows 5 to 1440"),
        (ValidationSpec(vms=(VmRule("a", (22,), 1441),)), "allowed_vms[0].max_duration_minutes"),
        (
            ValidationSpec(vms=SPEC.vms, bastion_source_prefixes=("20.50.1.0/26",)),
            "bastion_source_prefixes[0]: '20.50.1.0/26' must be the private IPv4 AzureBastionSubnet prefix",
        ),
        (ValidationSpec(vms=SPEC.vms, bastion_source_prefixes=("*",)), "bastion_source_prefixes[0]: '*' is not"),
        (ValidationSpec(vms=SPEC.vms, bastion_source_prefixes=("10.0.1.1/26",)), "bastion_source_prefixes[0]"),
    ],
)
def test_spec_mistakes_are_refused_with_the_field_named(spec, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        validate_spec(spec)


# ---- the approval rule ----------------------------------------------------------------------------------------

REQUESTER_ID = "a11ce000-0000-4000-8000-000000000001"
BOB_ID = "b0b00000-0000-4000-8000-000000000002"
GROUP_ID = "5ec0f500-0000-4000-8000-000000000003"
OTHER_ID = "0the0000-0000-4000-8000-000000000004".replace("t", "0").replace("h", "1")
APPROVERS = (Approver(BOB_ID, "User", "bob@contoso.com"), Approver(GROUP_ID, "Group", "secops@contoso.com"))
# (option, responder e-mail, step status, Graph's id for the responder (None: not found), groups Graph returned,
#  requester's oid, expected decision)
APPROVAL_ROWS = [
    ("Approve", "bob@contoso.com", "Succeeded", BOB_ID, [], REQUESTER_ID, APPROVED),
    ("Approve", "Bob@Contoso.com", "Succeeded", BOB_ID.upper(), [], REQUESTER_ID, APPROVED),
    ("Reject", "bob@contoso.com", "Succeeded", BOB_ID, [], REQUESTER_ID, REJECTED),
    ("Approve", "carol@contoso.com", "Succeeded", OTHER_ID, [GROUP_ID], REQUESTER_ID, APPROVED),
    ("Approve", "carol@contoso.com", "Succeeded", OTHER_ID, [], REQUESTER_ID, NOT_AN_APPROVER),
    ("Reject", "carol@contoso.com", "Succeeded", OTHER_ID, [], REQUESTER_ID, NOT_AN_APPROVER),
    ("Approve", "alice@contoso.com", "Succeeded", REQUESTER_ID, [GROUP_ID], REQUESTER_ID, SELF_APPROVAL),
    ("Approve", REQUESTER_ID, "Succeeded", REQUESTER_ID.upper(), [GROUP_ID], REQUESTER_ID, SELF_APPROVAL),
    ("Reject", "alice@contoso.com", "Succeeded", REQUESTER_ID, [], REQUESTER_ID, SELF_APPROVAL),
    ("Approve", "bob@contoso.com", "Succeeded", BOB_ID, [], "", SELF_APPROVAL),
    ("Approve", "ghost@contoso.com", "Succeeded", None, [], REQUESTER_ID, APPROVER_UNVERIFIED),
    ("Approve", None, "Succeeded", None, [], REQUESTER_ID, TIMED_OUT),
    ("Approve", "", "Succeeded", None, [], REQUESTER_ID, TIMED_OUT),
    (None, None, "TimedOut", None, [], REQUESTER_ID, TIMED_OUT),
    (None, None, "Failed", None, [], REQUESTER_ID, TIMED_OUT),
    ("Maybe", "bob@contoso.com", "Succeeded", BOB_ID, [], REQUESTER_ID, TIMED_OUT),
]


@pytest.mark.parametrize(("option", "mail", "status", "responder_id", "groups", "requester", "decision"), APPROVAL_ROWS)
def test_approval_rule_expression_and_oracle_agree(option, mail, status, responder_id, groups, requester, decision):
    answer = {k: v for k, v in (("SelectedOption", option), ("UserEmailAddress", mail)) if v is not None}
    # Graph is asked only about a real answer (Approval_was_answered); unresolved leaves the initial variable.
    resolved = responder_id is not None and option in ("Approve", "Reject") and bool(mail)
    responder = (
        {"objectId": responder_id.lower(), "resolved": True, "groups": groups} if resolved else initial_responder()
    )
    context = Context(
        variables={"request": {**VALID, "requesterObjectId": requester}, RESPONDER: responder},
        actions={"Send_approval_email": {"status": status, "outputs": {"body": answer or None}}},
    )
    context.actions["Approval_answer"] = {
        "status": "Succeeded",
        "outputs": evaluate_value(answer_action()["inputs"], context),
    }
    action = outcome_action(APPROVERS, "PT8H")
    assert action["runAfter"] == {"Approval_was_answered": ["Succeeded", "Failed", "Skipped", "TimedOut"]}
    generated = evaluate_value(action["inputs"], context)
    verdict = responder_verdict(APPROVERS, responder_id, groups, requester) if resolved else None
    oracle = approval_outcome(option, mail, status, verdict, "PT8H", responder_id or "")
    assert generated == oracle
    assert generated["decision"] == decision
    if decision == SELF_APPROVAL:
        assert generated["reason"] == REASON_SELF_APPROVAL
    if decision == TIMED_OUT:
        assert generated["reason"] == f"no approver answered within PT8H (approval step: {status})"


def test_the_strict_evaluator_refuses_unknown_functions_and_case_dependent_comparisons():
    with pytest.raises(ExpressionError, match="unknown function 'regexMatch'"):
        evaluate_value("@regexMatch('a', 'b')", Context())
    with pytest.raises(ExpressionError, match="depends on case sensitivity"):
        evaluate_value("@equals('Approve', 'approve')", Context())
    with pytest.raises(ExpressionError, match="int\\(\\) cannot convert ' 1'"):
        evaluate_value("@int(' 1')", Context())
    with pytest.raises(ExpressionError, match="index 3 is outside an array of 3"):
        evaluate_value("@split('1.2.3', '.')[3]", Context())
    # `if` evaluates both branches, as Azure does: a guard does not protect a failing branch.
    with pytest.raises(ExpressionError):
        evaluate_value("@if(false, int('x'), 0)", Context())
