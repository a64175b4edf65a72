"""workflow-request-trigger-refuses-sas and the credential spots and false positives of issue 16.

Microsoft Learn, "Secure access and data in Azure Logic Apps": with an Entra ID OAuth policy the Request trigger
still accepts its SAS URL unless a trigger condition requires the `Bearer` Authorization header (visible only
with operationOptions IncludeAuthorizationHeadersInOutputs); secure parameters (SecureString/SecureObject) are
not returned on GET nor shown in run history. "Azure Functions HTTP trigger": the function key goes in `code`.
"""

import pytest

from jit_guardrails.workflow_gaps import extra_secret_findings, only_interpolates, public_parameters, refuses_sas

WORKFLOW = "azure-native:logic:Workflow"
SAS = "workflow-request-trigger-refuses-sas"
MSI = "workflow-uses-managed-identity"
BEARER = "@startsWith(triggerOutputs()?['headers']?['Authorization'], 'Bearer ')"
OAUTH = {
    "triggers": {
        "openAuthenticationPolicies": {
            "policies": {"e": {"type": "AAD", "claims": [{"name": "iss", "value": "https://sts.windows.net/t/"}]}}
        }
    }
}


def request(**extra):
    return {"type": "Request", "kind": "Http", "inputs": {"schema": {}}, **extra}


def workflow(trigger, access_control=OAUTH, actions=None, parameters=None):
    props = {
        "workflowName": "wf",
        "definition": {"triggers": {"manual": trigger}, "actions": actions or {}},
        "accessControl": access_control,
    }
    if parameters is not None:
        props["parameters"] = parameters
    return props


BEARER_ONLY = request(operationOptions="IncludeAuthorizationHeadersInOutputs", conditions=[{"expression": BEARER}])


def test_oauth_without_a_bearer_condition_is_refused(judge, make):
    found = judge(make(WORKFLOW, "wf", workflow(request())), policy=SAS)
    assert [(p, level) for p, level, _ in found] == [(SAS, "mandatory")]
    assert found[0][2].startswith(
        "Workflow 'wf' Request trigger 'manual' has an Entra ID OAuth policy but still accepts its SAS-signed URL"
    )


@pytest.mark.parametrize(
    ("trigger", "refused"),
    [
        (BEARER_ONLY, True),
        (request(conditions=[{"expression": BEARER}]), False),  # the header is not in the outputs
        (request(operationOptions="IncludeAuthorizationHeadersInOutputs"), False),
        (request(operationOptions="IncludeAuthorizationHeadersInOutputs", conditions=[{"expression": "@true"}]), False),
    ],
)
def test_what_counts_as_refusing_sas(trigger, refused):
    assert refuses_sas(trigger) is refused


def test_other_cases_are_not_this_policys(judge, make):
    assert judge(make(WORKFLOW, "wf", workflow(BEARER_ONLY)), policy=SAS) == []
    assert judge(make(WORKFLOW, "wf", workflow(request(), access_control=None)), policy=SAS) == []  # no OAuth at all
    ip_list = {"triggers": {**OAUTH["triggers"], "allowedCallerIpAddresses": [{"addressRange": "203.0.113.0/24"}]}}
    assert judge(make(WORKFLOW, "wf", workflow(request(), access_control=ip_list)), policy=SAS) == []
    recurrence = {"type": "Recurrence", "recurrence": {"frequency": "Hour", "interval": 1}}
    assert judge(make(WORKFLOW, "wf", workflow(recurrence)), policy=SAS) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Token token=@{body('Login')?['token']}", True),
        ("Bearer @{body('x')}", True),
        ("Bearer eyJ0eXAiOiJKV1QiLCJh@{body('x')}", False),
        ("@{body('x')}", True),
        ("sk_live_51HqLyjWDarjtT1zdp7dc", False),  # no expression at all
    ],
)
def test_only_interpolates(value, expected):
    assert only_interpolates(value) is expected


def http(**inputs):
    return {"type": "Http", "inputs": {"method": "POST", "uri": "https://example.com", **inputs}}


@pytest.mark.parametrize(
    ("actions", "parameters", "path"),
    [
        (
            {"A": http(headers={"x-api-key": "sk_live_51HqLyjWDarjtT1zdp7dc"})},
            None,
            "definition.actions.A.inputs.headers.x-api-key",
        ),
        (
            {"A": http(headers={"X-Auth-Token": "abcdef0123456789"})},
            None,
            "definition.actions.A.inputs.headers.X-Auth-Token",
        ),
        ({"A": http(queries={"code": "aGVsbG8td29ybGQ="})}, None, "definition.actions.A.inputs.queries.code"),
        (
            {"A": http(body="grant_type=client_credentials&client_secret=Zm9v")},
            None,
            "definition.actions.A.inputs.body (a form body with a credential)",
        ),
        (
            {},
            {"sendgridApiKey": {"type": "String", "value": "SG.abcdef"}},
            "parameters.sendgridApiKey (a String parameter named like a secret: make it SecureString)",
        ),
    ],
)
def test_credentials_outside_the_usual_keys_are_refused(judge, make, actions, parameters, path):
    found = judge(make(WORKFLOW, "wf", workflow(BEARER_ONLY, actions=actions, parameters=parameters)), policy=MSI)
    assert [d.split(". Anyone")[0] for _, _, d in found] == [f"Workflow 'wf' stores a credential in {path}"]


@pytest.mark.parametrize(
    ("actions", "parameters"),
    [
        ({"A": http(headers={"Authorization": "Token token=@{body('Login')?['token']}"})}, None),
        ({"A": http(headers={"x-api-key": "@parameters('apiKey')"}, queries={"code": "@parameters('fnKey')"})}, None),
        ({"A": http(queries={"page": "2"}, headers={"Content-Type": "application/json"})}, None),
        ({}, {"apiKey": {"type": "SecureString", "value": "secret-placeholder-for-apiKey"}}),
        ({}, {"region": {"type": "String", "value": "westeurope"}}),
    ],
)
def test_references_and_secure_parameters_pass(judge, make, actions, parameters):
    assert judge(make(WORKFLOW, "wf", workflow(BEARER_ONLY, actions=actions, parameters=parameters)), policy=MSI) == []


def test_a_secure_default_in_the_definition_is_still_a_literal(judge, make):
    props = workflow(BEARER_ONLY)
    props["definition"]["parameters"] = {"k": {"type": "SecureString", "defaultValue": "s3cret-value"}}
    assert len(judge(make(WORKFLOW, "wf", props), policy=MSI)) == 1


def test_helpers_directly():
    assert public_parameters({"a": {"type": "securestring", "value": "x"}, "b": {"type": "String", "value": "y"}}) == {
        "b": {"type": "String", "value": "y"}
    }
    assert extra_secret_findings(
        {"parameters": {"dbPassword": {"type": "String", "defaultValue": "hunter2"}}}, None
    ) == ["definition.parameters.dbPassword (a String parameter named like a secret: make it SecureString)"]
