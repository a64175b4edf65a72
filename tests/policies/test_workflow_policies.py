"""workflow-uses-managed-identity and workflow-request-trigger-secured."""

import json

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

WORKFLOW = "azure-native:logic:Workflow"
MSI = "workflow-uses-managed-identity"
TRIGGER = "workflow-request-trigger-secured"
INITIATE_URI = (
    "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Security/"
    "locations/westeurope/jitNetworkAccessPolicies/default/initiate?api-version=2020-01-01"
)
MSI_AUTH = {"type": "ManagedServiceIdentity", "audience": "https://management.azure.com/"}
OAUTH = {
    "triggers": {
        "openAuthenticationPolicies": {
            "policies": {
                "entra": {
                    "type": "AAD",
                    "claims": [
                        {"name": "iss", "value": "https://sts.windows.net/00000000-0000-4000-8000-000000000002/"}
                    ],
                }
            }
        }
    }
}


def http(uri=INITIATE_URI, authentication=None, **inputs):
    action = {"type": "Http", "inputs": {"method": "POST", "uri": uri, **inputs}, "runAfter": {}}
    if authentication is not None:
        action["inputs"]["authentication"] = authentication
    return action


def workflow(actions=None, triggers=None, access_control=None, parameters=None, definition_parameters=None):
    definition = {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/"
        "workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": definition_parameters or {},
        "triggers": triggers or {},
        "actions": actions or {},
    }
    props = {
        "resourceGroupName": "rg",
        "workflowName": "jit-approval",
        "identity": {"type": "SystemAssigned"},
        "definition": definition,
    }
    if access_control is not None:
        props["accessControl"] = access_control
    if parameters is not None:
        props["parameters"] = parameters
    return props


@pytest.mark.parametrize(
    ("auth", "shown"),
    [
        (None, "no authentication"),
        (
            {
                "type": "ActiveDirectoryOAuth",
                "tenant": "t",
                "audience": "https://management.azure.com/",
                "clientId": "c",
                "secret": "@parameters('clientSecret')",
            },
            "authentication 'ActiveDirectoryOAuth'",
        ),
        ({"type": "Basic", "username": "u", "password": "@parameters('pw')"}, "authentication 'Basic'"),
    ],
)
def test_arm_calls_without_managed_identity_are_refused(judge, make, auth, shown):
    found = judge(make(WORKFLOW, "wf", workflow({"Initiate": http(authentication=auth)})), policy=MSI)
    assert found == [
        (
            MSI,
            "mandatory",
            f"Workflow 'jit-approval' actions.Initiate calls Azure Resource Manager with "
            f"{shown}, not its managed identity.",
        )
    ]


def test_nested_actions_and_sovereign_clouds_are_checked(judge, make):
    nested = {
        "Decide": {
            "type": "If",
            "expression": {},
            "actions": {
                "Scope": {
                    "type": "Scope",
                    "actions": {"Gov": http("https://management.usgovcloudapi.net/subscriptions/s")},
                }
            },
            "else": {"actions": {"China": http("https://management.chinacloudapi.cn/x")}},
        },
        "Route": {
            "type": "Switch",
            "cases": {"a": {"actions": {"CaseCall": http()}}},
            "default": {"actions": {"DefaultCall": http(authentication=MSI_AUTH)}},
        },
    }
    found = judge(make(WORKFLOW, "wf", workflow(nested)), policy=MSI)
    assert sorted(d.split(" calls")[0] for _, _, d in found) == [
        "Workflow 'jit-approval' actions.Decide.actions.Scope.actions.Gov",
        "Workflow 'jit-approval' actions.Decide.else.actions.China",
        "Workflow 'jit-approval' actions.Route.cases.a.actions.CaseCall",
    ]


@pytest.mark.parametrize(
    ("props", "path"),
    [
        (
            workflow(
                {
                    "Call": http(
                        "https://api.example.com/x",
                        authentication={"type": "Basic", "username": "u", "password": "hunter2"},
                    )
                }
            ),
            "definition.actions.Call.inputs.authentication.password",
        ),
        (
            workflow({"Call": http("https://example.blob.core.windows.net/c?sv=2022&sig=abc123")}),
            "definition.actions.Call.inputs.uri (a URL or connection string with a key)",
        ),
        (
            workflow({"Call": http(headers={"Authorization": "Bearer eyJ0eXAi"})}),
            "definition.actions.Call.inputs.headers.Authorization",
        ),
        (
            workflow(definition_parameters={"vmAdmin": {"type": "SecureString", "defaultValue": "s3cret"}}),
            "definition.parameters.vmAdmin.defaultValue (a secure parameter with a literal value)",
        ),
        (
            workflow({"Call": http(authentication={"type": "Raw", "value": "SharedAccessSignature sr=x"})}),
            "definition.actions.Call.inputs.authentication.value (Raw authentication with a literal credential)",
        ),
        (workflow(parameters={"apiKey": {"type": "String", "value": "k-123"}}), "parameters.apiKey"),
    ],
)
def test_literal_credentials_anywhere_are_refused(judge, make, props, path):
    details = [d for _, _, d in judge(make(WORKFLOW, "wf", props), policy=MSI)]
    assert (
        f"Workflow 'jit-approval' stores a credential in {path}. Anyone who can read the workflow can read it."
        in details
    )


@pytest.mark.parametrize(
    "props",
    [
        workflow({"Initiate": http(authentication=MSI_AUTH, body={"justification": "@{triggerBody()?['reason']}"})}),
        workflow({"Notify": http("https://example.com/hook", headers={"Authorization": "@{parameters('token')}"})}),
        workflow({"Outer": {"type": "Scope", "actions": {"Initiate": http(authentication=MSI_AUTH)}}}),
        workflow(
            {
                "Mail": {
                    "type": "ApiConnection",
                    "inputs": {
                        "host": {"connection": {"name": "@parameters('$connections')['office365']['connectionId']"}}
                    },
                }
            },
            parameters={"$connections": {"value": {"office365": {"connectionId": "/subscriptions/s/x"}}}},
        ),
        {**workflow(), "definition": json.dumps(workflow({"I": http(authentication=MSI_AUTH)})["definition"])},
    ],
)
def test_managed_identity_and_expression_references_pass(judge, make, props):
    assert judge(make(WORKFLOW, "wf", props), policy=MSI) == []


def test_arm_hosts_are_configurable(judge, make):
    private = make(WORKFLOW, "wf", workflow({"Call": http("https://arm.contoso.internal/subscriptions/s")}))
    assert judge(private, policy=MSI) == []
    assert len(judge(private, policy=MSI, config={MSI: {"armHosts": ["arm.contoso.internal"]}})) == 1


REQUEST = {"manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}}


@pytest.mark.parametrize(
    ("access_control", "phrase"),
    [
        (None, ""),
        ({}, ""),
        (
            {"triggers": {"allowedCallerIpAddresses": [{"addressRange": "0.0.0.0/0"}]}},
            " (the caller IP allow-list is internet-wide: '0.0.0.0/0' (every IPv4 address))",
        ),
        (
            {"triggers": {"allowedCallerIpAddresses": [{"addressRange": "0.0.0.0-255.255.255.255"}]}},
            " (the caller IP allow-list is internet-wide: '0.0.0.0/0' (every IPv4 address))",
        ),
        (
            {"triggers": {"openAuthenticationPolicies": {"policies": {"p": {"type": "AAD", "claims": []}}}}},
            " (OAuth policy 'p' needs type 'AAD' and an 'iss' claim naming your tenant)",
        ),
        ({"contents": {"allowedCallerIpAddresses": [{"addressRange": "203.0.113.0/24"}]}}, ""),
    ],
)
def test_open_request_triggers_are_refused(judge, make, access_control, phrase):
    found = judge(make(WORKFLOW, "wf", workflow(triggers=REQUEST, access_control=access_control)), policy=TRIGGER)
    assert found == [
        (
            TRIGGER,
            "mandatory",
            f"Workflow 'jit-approval' has Request trigger 'manual' that anyone holding the URL can call{phrase}.",
        )
    ]


@pytest.mark.parametrize(
    ("triggers", "access_control"),
    [
        (REQUEST, OAUTH),
        (REQUEST, {"triggers": {"allowedCallerIpAddresses": [{"addressRange": "203.0.113.0/24"}]}}),
        (REQUEST, {"triggers": {"allowedCallerIpAddresses": [{"addressRange": "10.0.0.0-10.0.0.255"}]}}),
        ({"form": {"type": "ApiConnectionWebhook", "inputs": {}}}, None),
        ({"every-hour": {"type": "Recurrence", "recurrence": {"frequency": "Hour", "interval": 1}}}, None),
    ],
)
def test_secured_or_non_request_triggers_pass(judge, make, triggers, access_control):
    props = workflow(triggers=triggers, access_control=access_control)
    assert judge(make(WORKFLOW, "wf", props), policy=TRIGGER) == []


def test_unknown_access_control_is_deferred(judge, make):
    found = judge(make(WORKFLOW, "wf", workflow(triggers=REQUEST, access_control=UNKNOWN)), policy=TRIGGER)
    assert [level for _, level, _ in found] == ["advisory"]


def test_a_secret_named_parameter_with_a_literal_value_is_refused(judge, make):
    props = workflow(definition_parameters={"clientSecret": {"type": "String", "defaultValue": "s3cret"}})
    found = judge(make(WORKFLOW, "wf", props), policy=MSI)
    assert len(found) == 1 and "stores a credential in definition.parameters.clientSecret." in found[0][2]
