"""DefenderForServers: Plan 2 on the subscription, kept on `pulumi destroy`."""

import pytest

from azure_jit_access.defender import DefenderExtension, DefenderForServers, DefenderForServersArgs, resolve_extensions
from azure_jit_access.testing import run

PRICING = "azure-native:security:Pricing"
SUB = "11111111-2222-4333-8444-555555555555"


def test_defaults_enable_standard_p2_enforced_on_the_callers_subscription_and_retain_it():
    result = run(lambda: DefenderForServers("defender"))
    pricing = result.one(PRICING)
    assert pricing.inputs == {
        "pricingName": "VirtualMachines",
        "pricingTier": "Standard",
        "subPlan": "P2",
        "enforce": "True",
        "scopeId": "/subscriptions/00000000-0000-4000-8000-000000000001",
    }
    assert pricing.options["retainOnDelete"] is True and pricing.options["protect"] is True
    assert (
        pricing.id == "/subscriptions/00000000-0000-4000-8000-000000000001/providers/Microsoft.Security/"
        "pricings/VirtualMachines"
    )
    assert pricing.parent == result.one("azure-jit-access:defender:DefenderForServers").urn


def test_default_scope_follows_the_provider_subscription():
    result = run(lambda: DefenderForServers("defender"), config={"azure-native:subscriptionId": SUB})
    assert result.one(PRICING).inputs["scopeId"] == f"/subscriptions/{SUB}"


def test_recommended_configuration_explicit_subscription_and_agentless_scanning():
    result = run(
        lambda: DefenderForServers(
            "defender", DefenderForServersArgs(subscription_id=SUB, extensions=["AgentlessVmScanning"])
        )
    )
    pricing = result.one(PRICING)
    assert pricing.inputs["scopeId"] == f"/subscriptions/{SUB}"
    assert pricing.inputs["extensions"] == [{"name": "AgentlessVmScanning", "isEnabled": "True"}]
    assert (pricing.inputs["pricingTier"], pricing.inputs["subPlan"]) == ("Standard", "P2")
    assert pricing.options["retainOnDelete"] is True


def test_every_option_set():
    extensions = [
        DefenderExtension("FileIntegrityMonitoring", properties={"DefinedWorkspaceId": "ws-id"}),
        DefenderExtension("MdeDesignatedSubscription", enabled=False),
        "AgentlessVmScanning",
    ]
    result = run(
        lambda: DefenderForServers(
            "defender",
            DefenderForServersArgs(
                subscription_id=SUB.upper(),
                extensions=extensions,
                enforce=False,
                retain_on_delete=False,
                protect=False,
                keep_api_version_aliases=True,
            ),
        )
    )
    pricing = result.one(PRICING)
    assert pricing.inputs["scopeId"] == f"/subscriptions/{SUB}"
    assert pricing.inputs["enforce"] == "False"
    assert pricing.inputs["extensions"] == [
        {
            "name": "FileIntegrityMonitoring",
            "isEnabled": "True",
            "additionalExtensionProperties": {"DefinedWorkspaceId": "ws-id"},
        },
        {"name": "MdeDesignatedSubscription", "isEnabled": "False"},
        {"name": "AgentlessVmScanning", "isEnabled": "True"},
    ]
    assert pricing.options["retainOnDelete"] is False and pricing.options["protect"] is False
    assert (pricing.inputs["pricingTier"], pricing.inputs["subPlan"]) == ("Standard", "P2")
    assert len(pricing.options["aliases"]) > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (
            DefenderForServersArgs(subscription_id="/subscriptions/abc"),
            "subscription_id: '/subscriptions/abc' is not a subscription GUID such as "
            "'00000000-0000-0000-0000-000000000000'",
        ),
        (
            DefenderForServersArgs(extensions=["AgentlessVmScanning", "agentlessvmscanning"]),
            "extensions[1]: 'agentlessvmscanning' is listed twice",
        ),
        (
            DefenderForServersArgs(extensions=[""]),
            "extensions[0]: '' is not an extension name such as 'AgentlessVmScanning'",
        ),
        (
            DefenderForServersArgs(extensions="AgentlessVmScanning"),
            "extensions: expected a list of extension names, e.g. ['AgentlessVmScanning']",
        ),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(args, message):
    registered = []
    with pytest.raises(ValueError) as err:
        run(lambda: DefenderForServers("defender", args), on_register=registered.append)
    assert str(err.value) == message
    assert registered == [1]


def test_extensions_resolve_to_enabled_by_default():
    assert resolve_extensions(["AgentlessVmScanning"]) == [DefenderExtension("AgentlessVmScanning", True, None)]


def test_docstring_explains_retain_on_delete_and_shows_an_example():
    doc = DefenderForServers.__doc__
    assert "retain_on_delete=True" in doc and "DELETE" in doc and "subscription" in doc
    assert "Example:" in doc
