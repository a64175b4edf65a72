"""A resource managed through an explicit azure-native provider lives in that provider's subscription.

ARM puts subscription-scoped resources under `/subscriptions/{subscriptionId}/providers/...` of the subscription
the request goes to (REST: Policy Definitions - Create Or Update, Diagnostic Settings - Create Or Update at
subscription scope), which for an explicit provider is its `subscriptionId`.
"""

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import authorization, monitor

from azure_jit_access.cli.preview.engine import run_inline

OTHER = "22222222-2222-4222-8222-222222222222"


def program():
    other = azure_native.Provider("other", subscription_id=OTHER)
    for name, opts in (("default", None), ("explicit", pulumi.ResourceOptions(provider=other))):
        authorization.PolicyDefinition(f"{name}-definition", policy_definition_name=f"{name}-def", opts=opts)
        monitor.SubscriptionDiagnosticSetting(f"{name}-setting", name=f"{name}-setting", opts=opts)


def test_ids_follow_the_explicit_providers_subscription():
    result = run_inline(program, config={"azure-native:subscriptionId": "00000000-0000-4000-8000-000000000001"})
    ids = {r.name: r.id for r in result.resources if r.custom and not r.type.startswith("pulumi:")}
    assert ids == {
        "default-definition": "/subscriptions/00000000-0000-4000-8000-000000000001/providers/"
        "Microsoft.Authorization/policyDefinitions/default-def",
        "default-setting": "/subscriptions/00000000-0000-4000-8000-000000000001/providers/"
        "Microsoft.Insights/diagnosticSettings/default-setting",
        "explicit-definition": f"/subscriptions/{OTHER}/providers/Microsoft.Authorization/"
        "policyDefinitions/explicit-def",
        "explicit-setting": f"/subscriptions/{OTHER}/providers/Microsoft.Insights/diagnosticSettings/explicit-setting",
    }
