"""defender-servers-plan-2 and defender-pricing-retained."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

PRICING = "azure-native:security:Pricing"
PLAN = "defender-servers-plan-2"
RETAINED = "defender-pricing-retained"
SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"


def pricing(**overrides):
    props = {"pricingName": "VirtualMachines", "pricingTier": "Standard", "subPlan": "P2", "scopeId": SUB}
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"subPlan": "P1"}, "subPlan is 'P1', expected 'P2'"),
        ({"subPlan": None}, "subPlan is not set, expected 'P2'"),
        (
            {"pricingTier": "Free", "subPlan": None},
            "pricingTier is 'Free', expected 'Standard'; subPlan is not set, expected 'P2'",
        ),
        ({"pricingTier": "Free"}, "pricingTier is 'Free', expected 'Standard'"),
    ],
)
def test_virtual_machines_below_plan_2_is_refused(judge, make, overrides, problem):
    found = judge(make(PRICING, "defender", pricing(**overrides), protect=True), policy=PLAN)
    assert found == [
        (
            PLAN,
            "mandatory",
            f"Defender pricing 'VirtualMachines' at {SUB}: {problem}. JIT VM access is "
            "a Defender for Servers Plan 2 feature.",
        )
    ]


@pytest.mark.parametrize(
    "props",
    [
        pricing(),
        pricing(pricingTier="standard", subPlan="p2"),
        pricing(pricingName="StorageAccounts", subPlan=None),
        pricing(pricingName="KeyVaults", pricingTier="Free", subPlan=None),
    ],
)
def test_plan_2_and_other_plans_pass(judge, make, props):
    assert judge(make(PRICING, "defender", props, protect=True)) == []


def test_pricing_name_falls_back_to_the_resource_name(judge, make):
    found = judge(make(PRICING, "VirtualMachines", pricing(pricingName=None, subPlan="P1"), protect=True), policy=PLAN)
    assert len(found) == 1


def test_enforce_can_be_required_by_config(judge, make):
    props = make(PRICING, "defender", pricing(), protect=True)
    config = {PLAN: {"requireEnforce": True}}
    found = judge(props, policy=PLAN, config=config)
    assert len(found) == 1 and "enforce is not set, expected 'True'" in found[0][2]
    assert judge(make(PRICING, "d", pricing(enforce="True"), protect=True), policy=PLAN, config=config) == []


def test_unknown_sub_plan_is_deferred(judge, make):
    found = judge(make(PRICING, "defender", pricing(subPlan=UNKNOWN), protect=True), policy=PLAN)
    assert [level for _, level, _ in found] == ["advisory"] and "subPlan" in found[0][2]


@pytest.mark.parametrize(
    "props",
    [
        pricing(),
        pricing(scopeId=SUB + "/"),
        pricing(scopeId=None),
        pricing(pricingName="StorageAccounts", subPlan=None),
    ],
)
def test_unprotected_subscription_pricing_is_refused(judge, make, props):
    found = judge(make(PRICING, "defender", props), policy=RETAINED)
    assert [(p, level) for p, level, _ in found] == [(RETAINED, "mandatory")]
    assert "is not protected" in found[0][2]
    assert found[0][2].endswith(
        "Deleting it would downgrade every server in the subscription (and Azure rejects DELETE at subscription scope)."
    )


@pytest.mark.parametrize(
    ("props", "protect"),
    [
        (pricing(), True),
        (
            pricing(scopeId=SUB + "/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", subPlan="P1"),
            False,
        ),
        (pricing(scopeId=SUB + "/resourceGroups/rg"), False),
    ],
)
def test_protected_or_narrower_pricing_passes(judge, make, props, protect):
    assert judge(make(PRICING, "defender", props, protect=protect), policy=RETAINED) == []


def test_unknown_scope_is_deferred(judge, make):
    found = judge(make(PRICING, "defender", pricing(scopeId=UNKNOWN)), policy=RETAINED)
    assert [level for _, level, _ in found] == ["advisory"]
