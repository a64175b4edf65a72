"""A crash inside a policy becomes a violation naming the policy and the resource: the pack fails closed."""

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from jit_guardrails import all_policies
from jit_guardrails.guard import guarded
from jit_guardrails.props import raise_if_unverified
from jit_guardrails.testing import SyntheticResource, judge_resource, judge_stack

RULE = "azure-native:network:SecurityRule"


def broken_resource_check(args, report_violation):
    return int(args.props["destinationPortRange"])


def broken_stack_check(args, report_violation):
    for resource in args.resources:
        if resource.name == "bad":
            raise KeyError("networkProfile")


def test_a_crashing_resource_policy_reports_policy_and_resource():
    policy = guarded(ResourceValidationPolicy("crashy-policy", "Crashes on a superscript port.", broken_resource_check))
    found = judge_resource([policy], SyntheticResource(RULE, "ssh", {"destinationPortRange": "²"}))
    assert [(f.policy, f.urn) for f in found] == [("crashy-policy", f"urn:pulumi:test::guardrails::{RULE}::ssh")]
    assert found[0].message.startswith(
        f"Policy 'crashy-policy' failed while judging resource 'ssh' (urn:pulumi:test::guardrails::{RULE}::ssh) "
        "(ValueError: invalid literal for int() with base 10: '²'), so it could not decide whether the resource is "
        "safe. The pack fails closed"
    )


def test_a_crashing_stack_policy_names_the_resource_it_was_judging():
    policy = guarded(StackValidationPolicy("crashy-stack", "Crashes on one resource.", broken_stack_check))
    found = judge_stack([policy], [SyntheticResource(RULE, "good", {}), SyntheticResource(RULE, "bad", {})])
    assert [(f.policy, f.level, f.urn) for f in found] == [
        ("crashy-stack", "mandatory", f"urn:pulumi:test::guardrails::{RULE}::bad")
    ]
    assert "while judging resource 'bad'" in found[0].message and "(KeyError: 'networkProfile')" in found[0].message


def test_unknown_values_and_passes_are_left_to_pulumi_policy():
    def defer(args, report_violation):
        raise_if_unverified(["sourceAddressPrefix"])

    policy = guarded(ResourceValidationPolicy("deferring", "Defers.", defer, EnforcementLevel.MANDATORY))
    found = judge_resource([policy], SyntheticResource(RULE, "r", {}))
    assert [(f.level, f.message.split(": ", 1)[1]) for f in found] == [
        ("advisory", "sourceAddressPrefix (checked again with real values on `pulumi up`)")
    ]


def test_every_policy_the_pack_serves_is_guarded():
    for policy in all_policies():
        assert policy.validate.__qualname__.startswith("guarded.<locals>.validate_"), policy.name


def test_stack_policies_say_not_applicable_when_the_stack_has_nothing_to_judge():
    from pulumi_policy import StackValidationArgs
    from pulumi_policy.policy import _NotApplicableError

    from jit_guardrails.stack import check_vms_have_nsg

    with pytest.raises(_NotApplicableError) as err:
        check_vms_have_nsg(StackValidationArgs([], {}), lambda message, urn=None: None)
    assert err.value.reason == "no virtual machines in the stack"
    stack = [SyntheticResource(RULE, "r", {})]
    assert judge_stack([p for p in all_policies() if isinstance(p, StackValidationPolicy)], stack) == []


ISSUE_16_RESOURCE_CHECKS = [
    ("jit_guardrails.other_roads", "check_admin_rule", "not an AVNM security admin rule"),
    (
        "jit_guardrails.other_roads",
        "check_firewall_dnat",
        "not an Azure Firewall or a firewall policy rule collection group",
    ),
    ("jit_guardrails.templates", "check_deployment", "not an ARM template deployment"),
    ("jit_guardrails.templates", "check_generic_resource", "not a generic resources.Resource"),
    ("jit_guardrails.workflow_gaps", "check_sas_refused", "not a Logic App workflow"),
]
ISSUE_16_STACK_CHECKS = [
    ("jit_guardrails.load_balancers", "check_public_management_nat", "no load balancer or inbound NAT rule"),
    ("jit_guardrails.principals", "check_effective_permissions", "no role assignment"),
    ("jit_guardrails.coverage", "check_jit_covers_management_ports", "no JIT network access policy"),
    ("jit_guardrails.coverage", "check_subnet_single_owner", "no virtual network"),
]


@pytest.mark.parametrize(("module", "function", "reason"), ISSUE_16_RESOURCE_CHECKS)
def test_issue_16_resource_policies_say_not_applicable_to_other_types(module, function, reason):
    import importlib

    from pulumi_policy import ResourceValidationArgs
    from pulumi_policy.policy import _NotApplicableError

    check = getattr(importlib.import_module(module), function)
    rule = SyntheticResource(RULE, "r", {})
    args = ResourceValidationArgs(rule.type, {}, rule.urn, rule.name, None, None, {})
    with pytest.raises(_NotApplicableError) as err:
        check(args, lambda message, urn=None: None)
    assert err.value.reason == reason


@pytest.mark.parametrize(("module", "function", "reason"), ISSUE_16_STACK_CHECKS)
def test_issue_16_stack_policies_say_not_applicable_without_their_resources(module, function, reason):
    import importlib

    from pulumi_policy import StackValidationArgs
    from pulumi_policy.policy import _NotApplicableError

    check = getattr(importlib.import_module(module), function)
    with pytest.raises(_NotApplicableError) as err:
        check(StackValidationArgs([], {}), lambda message, urn=None: None)
    assert err.value.reason == f"{reason} in the stack"
