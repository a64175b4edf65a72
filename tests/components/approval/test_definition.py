"""The generated workflow definition: structure, references, reachability of `initiate`, and whole runs."""

import base64
import json
import re

import pytest

from azure_jit_access.approval.approvers import Approver
from azure_jit_access.approval.audit import AUDIT_RECORD_COLUMNS
from azure_jit_access.approval.decision import (
    APPROVED,
    APPROVER_UNVERIFIED,
    INITIATE_FAILED,
    INVALID,
    NOT_AN_APPROVER,
    REJECTED,
    SELF_APPROVAL,
    TIMED_OUT,
)
from azure_jit_access.approval.definition import WorkflowSettings, access_control, build_definition
from azure_jit_access.approval.language import ACTION_NAME, EXPRESSION_LENGTH_LIMIT
from azure_jit_access.approval.request import FORMS_TRIGGER, HTTP_TRIGGER, FormFields, FormsTrigger, HttpTrigger
from azure_jit_access.approval.validation import REASON_NO_REQUESTER, REASON_SOURCE_FORMAT, ValidationSpec, VmRule
from tests.support.workflow_expressions import FUNCTIONS
from tests.support.workflow_runner import Stub, run_workflow, trigger_fires
from tests.support.workflow_syntax import expressions_in, walk_calls

TENANT = "00000000-0000-4000-8000-000000000002"
FIELDS = FormFields("r1a", "r2b", "r3c", "r4d", "r5e")
SPEC = ValidationSpec(
    vms=(VmRule("web-vm", (22,), 180), VmRule("win-vm", (3389,), 60)), source_prefixes=("20.50.1.0/28", "52.1.2.3")
)
ALICE_ID = "7f6d0c1e-0000-4000-8000-00000000a11c"
LEAD_ID = "1ead0000-0000-4000-8000-0000000001ea"
MALLORY_ID = "3a110000-0000-4000-8000-00000000ba0d"
SECOPS_ID = "5ec0f500-0000-4000-8000-0000000005ec"
SECOPS = Approver(SECOPS_ID, "Group", "secops@contoso.com")
LEAD = Approver(LEAD_ID, "User", "lead@contoso.com")
BOTH = WorkflowSettings(
    tenant_id=TENANT,
    approvers=(SECOPS, LEAD),
    validation=SPEC,
    forms=FormsTrigger("Fm1d-formid_0123", FIELDS),
    http=HttpTrigger("api://jit-approvals"),
    audit=True,
)
FORMS_ONLY = WorkflowSettings(
    tenant_id=TENANT, approvers=(SECOPS,), validation=SPEC, forms=FormsTrigger("Fm1d-formid_0123", FIELDS)
)
HTTP_ONLY = WorkflowSettings(
    tenant_id=TENANT,
    approvers=(SECOPS,),
    validation=SPEC,
    http=HttpTrigger("api://jit-approvals", ("198.51.100.0/24",)),
)
VARIANTS = {"both": BOTH, "forms": FORMS_ONLY, "http": HTTP_ONLY}
STATUSES = {"Succeeded", "Failed", "Skipped", "TimedOut"}
ACTION_TYPES = {
    "Compose",
    "InitializeVariable",
    "SetVariable",
    "If",
    "Scope",
    "Http",
    "ApiConnection",
    "ApiConnectionWebhook",
}
RUN_FUNCTIONS = {"variables", "parameters", "outputs", "body", "actions"}
INITIATE_URI = (
    "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Security/"
    "locations/westeurope/jitNetworkAccessPolicies/default/initiate?api-version=2020-01-01"
)
PARAMETERS = {
    "$connections": {"office365": {"connectionId": "/c/o365"}, "microsoftforms": {"connectionId": "/c/forms"}},
    "vmTargets": {
        "web-vm": {
            "vmId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/web-vm",
            "initiateUri": INITIATE_URI,
        }
    },
    "auditIngestionUri": "https://dce.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/dcr-1/streams/x",
}


# ---- walking the definition ----------------------------------------------------------------------------------


def scopes(actions, container=None):
    """(container, branch, actions) for the top level and every nested branch."""
    yield container, None, actions
    for name, action in actions.items():
        if "actions" in action:
            yield from scopes(action["actions"], name) if action["type"] == "Scope" else ()
            if action["type"] == "If":
                yield from ((c, b or "true", a) for c, b, a in scopes(action["actions"], name))
                yield from ((c, b or "false", a) for c, b, a in scopes(action.get("else", {}).get("actions", {}), name))


def all_actions(definition):
    found = {}
    for _, _, actions in scopes(definition["actions"]):
        for name, action in actions.items():
            assert name not in found, f"action name {name} is used twice"
            found[name] = action
    return found


def completed_before(definition):
    """For each action, the actions certain to have finished when it starts."""
    result = {}

    def descendants(action):
        nested = {**action.get("actions", {}), **action.get("else", {}).get("actions", {})}
        return set(nested) | {d for child in nested.values() for d in descendants(child)}

    def visit(actions, inherited):
        for name, action in actions.items():
            before, stack = set(inherited), list(action.get("runAfter", {}))
            while stack:
                previous = stack.pop()
                if previous not in before:
                    before |= {previous} | descendants(actions[previous])
                    stack += list(actions[previous].get("runAfter", {}))
            result[name] = before
            visit(action.get("actions", {}), before)
            visit(action.get("else", {}).get("actions", {}), before)

    visit(definition["actions"], set())
    return result


@pytest.mark.parametrize("variant", VARIANTS)
def test_definition_has_a_valid_workflow_structure(variant):
    definition = build_definition(VARIANTS[variant])
    assert definition["$schema"].endswith("/2016-06-01/workflowdefinition.json#")
    assert definition["contentVersion"] == "1.0.0.0"
    assert definition["triggers"] and definition["actions"]
    assert all(p["type"] in ("Object", "String") for p in definition["parameters"].values())
    json.dumps(definition)  # JSON-ready, no Python objects left
    for container, _, actions in scopes(definition["actions"]):
        assert any(not a.get("runAfter") for a in actions.values()), f"nothing starts in {container}"
        for name, action in actions.items():
            assert ACTION_NAME.match(name)
            assert action["type"] in ACTION_TYPES, name
            for previous, statuses in action.get("runAfter", {}).items():
                assert previous in actions, f"{name} runs after {previous}, which is not in the same scope"
                assert statuses and set(statuses) <= STATUSES
            assert ("expression" in action) == (action["type"] == "If")
            assert ("actions" in action) == (action["type"] in ("If", "Scope"))
    for name, trigger in definition["triggers"].items():
        assert ACTION_NAME.match(name) and trigger["type"] in ("Request", "ApiConnectionWebhook")


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_expression_parses_uses_known_functions_and_resolves(variant):
    definition = build_definition(VARIANTS[variant])
    actions, before = all_actions(definition), completed_before(definition)
    initialised = {
        a["inputs"]["variables"][0]["name"]: n for n, a in actions.items() if a["type"] == "InitializeVariable"
    }
    checked = 0
    for name, action in actions.items():
        if action["type"] == "SetVariable":
            assert initialised[action["inputs"]["name"]] in before[name]
        for source, tree in expressions_in({k: v for k, v in action.items() if k not in ("actions", "else")}):
            assert len(source) <= EXPRESSION_LENGTH_LIMIT, f"{name}: expression too long"
            for function, args in walk_calls(tree):
                assert function in FUNCTIONS, f"{name}: unknown function {function}"
                checked += 1
                if function not in RUN_FUNCTIONS:
                    continue
                assert len(args) == 1 and args[0][0] == "lit", f"{name}: {function}() needs a literal name"
                target = args[0][1]
                if function == "variables":
                    assert initialised[target] in before[name], f"{name} reads {target} before it exists"
                elif function == "parameters":
                    assert target in definition["parameters"], f"{name}: unknown parameter {target}"
                else:
                    assert target in before[name], f"{name} reads {function}('{target}') before it ran"
    for trigger in definition["triggers"].values():
        for _, tree in expressions_in(trigger):
            assert all(f in FUNCTIONS and f not in RUN_FUNCTIONS - {"parameters"} for f, _ in walk_calls(tree))
    assert checked > 300


# ---- the only road to initiate -----------------------------------------------------------------------------


def edges(definition):
    """Control-flow edges (from, to, label) from every trigger to every action."""
    result = [
        (trigger, name, None)
        for trigger in definition["triggers"]
        for name, action in definition["actions"].items()
        if not action.get("runAfter")
    ]
    for container, branch, actions in scopes(definition["actions"]):
        for name, action in actions.items():
            result += [(previous, name, None) for previous in action.get("runAfter", {})]
            if container is not None and not action.get("runAfter"):
                result.append((container, name, branch))
    return result


def reachable(definition, target, cut=()):
    graph = {}
    for start, end, label in edges(definition):
        if (start, label) not in cut:
            graph.setdefault(start, set()).add(end)
    seen, stack = set(), list(definition["triggers"])
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack += graph.get(node, ())
    return target in seen


@pytest.mark.parametrize("variant", VARIANTS)
def test_initiate_is_reachable_only_through_valid_and_approved_branches(variant):
    definition = build_definition(VARIANTS[variant])
    assert reachable(definition, "Initiate_jit_access")
    assert not reachable(definition, "Initiate_jit_access", cut={("Request_is_valid", "true")})
    assert not reachable(definition, "Initiate_jit_access", cut={("Approval_decision", "true")})
    actions = all_actions(definition)
    assert actions["Request_is_valid"]["expression"] == "@empty(outputs('Rejection_reason'))"
    assert actions["Approval_decision"]["expression"] == "@equals(outputs('Approval_outcome')?['decision'], 'Approved')"
    assert "Send_approval_email" in actions["Request_is_valid"]["actions"]
    audiences = {n: a["inputs"]["authentication"]["audience"] for n, a in actions.items() if a["type"] == "Http"}
    assert [n for n, audience in audiences.items() if audience == "https://management.azure.com/"] == [
        "Initiate_jit_access"
    ]
    assert set(audiences.values()) <= {
        "https://management.azure.com/",
        "https://graph.microsoft.com",
        "https://monitor.azure.com/",
    }
    # The source JIT receives is the listed prefix the validation chain mapped (whose absence is a rejection).
    port = actions["Initiate_jit_access"]["inputs"]["body"]["virtualMachines"][0]["ports"][0]
    assert port["allowedSourceAddressPrefix"] == "@outputs('Source_listed_prefix')"
    assert "Source_listed_prefix" in actions["Validate_request"]["actions"]
    assert "not(empty(outputs('Source_listed_prefix')))" in actions["Rejection_reason"]["inputs"]


@pytest.mark.parametrize("selected", ["Approve", "Reject", ""])
@pytest.mark.parametrize("resolved", [True, False])
@pytest.mark.parametrize("responder", ["requester", "user approver", "group member", "stranger"])
@pytest.mark.parametrize("requester_id", [ALICE_ID, ""])
def test_only_an_approve_from_a_configured_approver_who_is_not_the_requester_is_approved(
    selected, resolved, responder, requester_id
):
    """Every combination of answer, Graph resolution, responder and requester id through the generated outcome."""
    ids = {"requester": ALICE_ID, "user approver": LEAD_ID, "group member": MALLORY_ID, "stranger": MALLORY_ID}
    groups = [SECOPS_ID] if responder in ("group member", "requester") else []
    stubs = answer(selected, f"{responder.split()[0]}@contoso.com", ids[responder] if resolved else None, groups)
    run = run_http(claims={**ALICE, "oid": requester_id}, stubs=stubs)
    expected_approved = (
        selected == "Approve" and resolved and bool(requester_id) and responder in ("user approver", "group member")
    )
    assert (run.variables["outcome"]["decision"] == APPROVED) == expected_approved
    assert run.ran("Initiate_jit_access") == expected_approved
    if run.ran("Resolve_responder"):
        assert run.inputs["Resolve_responder"]["uri"].startswith("https://graph.microsoft.com/v1.0/users/")


def test_initiate_uses_the_managed_identity_the_listed_source_prefix_and_an_end_time():
    initiate = all_actions(build_definition(BOTH))["Initiate_jit_access"]
    inputs = initiate["inputs"]
    assert inputs["authentication"] == {"type": "ManagedServiceIdentity", "audience": "https://management.azure.com/"}
    assert inputs["method"] == "POST"
    assert inputs["uri"] == "@parameters('vmTargets')?[toLower(variables('request')?['vm'])]?['initiateUri']"
    (port,) = inputs["body"]["virtualMachines"][0]["ports"]
    assert port == {
        "number": "@int(variables('request')?['port'])",
        "endTimeUtc": "@outputs('Access_end_time')",
        "allowedSourceAddressPrefix": "@outputs('Source_listed_prefix')",
    }


@pytest.mark.parametrize("audit", [True, False])
def test_an_audit_record_follows_every_outcome_and_is_written_with_the_identity(audit):
    settings = WorkflowSettings(**{**BOTH.__dict__, "audit": audit})
    actions = build_definition(settings)["actions"]
    record = actions["Audit_record"]
    assert record["type"] == "Compose"
    assert record["runAfter"] == {"Request_is_valid": ["Succeeded", "Failed", "Skipped", "TimedOut"]}
    assert list(record["inputs"]) == list(AUDIT_RECORD_COLUMNS)
    if not audit:
        assert "Write_audit_record" not in actions
        return
    write = actions["Write_audit_record"]
    assert write["runAfter"] == {"Audit_record": ["Succeeded"]}
    assert write["inputs"]["authentication"] == {
        "type": "ManagedServiceIdentity",
        "audience": "https://monitor.azure.com/",
    }
    assert write["inputs"]["body"] == "@createArray(outputs('Audit_record'))"
    assert write["inputs"]["uri"] == "@parameters('auditIngestionUri')"


# ---- whole runs --------------------------------------------------------------------------------------------


def token(claims, header=None):
    def segment(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{segment(header or {'alg': 'RS256'})}.{segment(claims)}.c2lnbmF0dXJl"


def http_call(claims, **body):
    payload = {
        "vm": "web-vm",
        "port": 22,
        "sourceIp": "20.50.1.7",
        "durationMinutes": 60,
        "justification": "patch openssl",
        **body,
    }
    return {"headers": {"Authorization": f"Bearer {token(claims)}"}, "body": payload}


ALICE = {"upn": "Alice@Contoso.com", "oid": ALICE_ID.upper(), "aud": "api://jit-approvals"}


def answer(option, approver, responder_id=LEAD_ID, groups=()):
    """The approval e-mail's answer, and what Microsoft Graph says about the responder (None: not found)."""
    resolved = (
        Stub(body={"id": responder_id})
        if responder_id
        else Stub(status="Failed", status_code=404, body={"error": {"code": "Request_ResourceNotFound"}})
    )
    return {
        "Send_approval_email": Stub(body={"SelectedOption": option, "UserEmailAddress": approver}),
        "Resolve_responder": resolved,
        "Check_approver_groups": Stub(body={"value": list(groups)}),
    }


def run_http(claims=ALICE, stubs=None, settings=BOTH, **body):
    run = run_workflow(build_definition(settings), HTTP_TRIGGER, http_call(claims, **body), PARAMETERS, stubs)
    assert run.errors == {}, run.errors
    return run


def test_an_address_inside_a_listed_28_initiates_with_the_28_after_a_user_approver_approves():
    run = run_http(stubs=answer("Approve", "Lead@contoso.com"))
    assert run.inputs["Initiate_jit_access"]["body"] == {
        "virtualMachines": [
            {
                "id": PARAMETERS["vmTargets"]["web-vm"]["vmId"],
                "ports": [
                    {"number": 22, "endTimeUtc": "2026-05-04T11:30:00Z", "allowedSourceAddressPrefix": "20.50.1.0/28"}
                ],
            }
        ],
        "justification": f"Requested by alice@contoso.com ({ALICE_ID}); approved by lead@contoso.com ({LEAD_ID}); "
        "reason: patch openssl",
    }
    assert run.inputs["Initiate_jit_access"]["uri"] == INITIATE_URI
    assert run.variables["outcome"]["decision"] == APPROVED
    record = run.outputs("Audit_record")
    assert (record["Requester"], record["Approver"], record["Decision"], record["SourceAddress"]) == (
        "alice@contoso.com",
        "lead@contoso.com",
        APPROVED,
        "20.50.1.7",
    )
    assert (record["RequesterObjectId"], record["ApproverObjectId"]) == (ALICE_ID, LEAD_ID)
    # Graph was asked with the workflow identity, for the responder the connector reported.
    assert run.inputs["Resolve_responder"]["uri"] == (
        "https://graph.microsoft.com/v1.0/users/lead%40contoso.com?$select=id"
    )
    assert run.inputs["Resolve_responder"]["authentication"] == {
        "type": "ManagedServiceIdentity",
        "audience": "https://graph.microsoft.com",
    }
    assert run.inputs["Check_approver_groups"]["body"] == {"groupIds": [SECOPS_ID]}
    assert run.inputs["Check_approver_groups"]["uri"] == (
        f"https://graph.microsoft.com/v1.0/users/{LEAD_ID}/checkMemberGroups"
    )
    assert run.inputs["Write_audit_record"]["body"] == [record]
    assert run.inputs["Notify_requester"]["body"]["To"] == "alice@contoso.com"
    assert run.inputs["Notify_requester"]["path"] == "/v2/Mail"


@pytest.mark.parametrize(
    ("stubs", "decision"),
    [
        (answer("Approve", "alice@contoso.com", ALICE_ID), SELF_APPROVAL),
        # A member of the approver group who is the requester: refused by object id, whatever the e-mail says.
        (answer("Approve", ALICE_ID, ALICE_ID, groups=[SECOPS_ID]), SELF_APPROVAL),
        (answer("Approve", "alice.alias@contoso.com", ALICE_ID.upper(), groups=[SECOPS_ID]), SELF_APPROVAL),
        # Someone outside the configured approvers (not a listed user, in none of the groups).
        (answer("Approve", "mallory@contoso.com", MALLORY_ID), NOT_AN_APPROVER),
        # A responder Graph cannot resolve: fail closed.
        (answer("Approve", "ghost@contoso.com", None), APPROVER_UNVERIFIED),
        (answer("Reject", "lead@contoso.com"), REJECTED),
        ({"Send_approval_email": Stub(status="TimedOut")}, TIMED_OUT),
        ({"Send_approval_email": Stub(status="Failed", status_code=401)}, TIMED_OUT),
    ],
)
def test_refused_approvals_never_reach_initiate_but_are_notified_and_audited(stubs, decision):
    run = run_http(stubs=stubs)
    assert run.statuses["Initiate_jit_access"] == "Skipped"
    assert run.variables["outcome"]["decision"] == decision
    assert run.outputs("Audit_record")["Decision"] == decision
    assert run.ran("Notify_requester") and run.ran("Write_audit_record")


def test_an_invalid_request_is_refused_before_approval_with_the_reason():
    run = run_http(stubs=answer("Approve", "lead@contoso.com"), sourceIp="*")
    assert not run.ran("Send_approval_email") and not run.ran("Initiate_jit_access")
    assert run.variables["outcome"] == {
        "decision": INVALID,
        "reason": REASON_SOURCE_FORMAT,
        "approver": "",
        "approverObjectId": "",
    }
    notification = run.inputs["Notify_requester"]["body"]
    assert notification["Subject"] == "Your JIT access request: Invalid"
    assert "with no spaces, leading zeros, prefix length or wildcard" in notification["Body"]


def test_a_failed_initiate_is_recorded_with_the_error():
    stubs = {
        **answer("Approve", "lead@contoso.com"),
        "Initiate_jit_access": Stub(
            status="Failed", status_code=403, body={"error": {"message": "AuthorizationFailed"}}
        ),
    }
    run = run_http(stubs=stubs)
    assert run.variables["outcome"] == {
        "decision": INITIATE_FAILED,
        "approver": "lead@contoso.com",
        "approverObjectId": LEAD_ID,
        "reason": "approved by lead@contoso.com, but the JIT initiate call failed (403): AuthorizationFailed",
    }
    assert run.ran("Write_audit_record")


@pytest.mark.parametrize(
    "claims",
    [
        {"preferred_username": "alice@contoso.com", "name": "Ålice ~~~ ???"},
        {"upn": "alice@contoso.com", "x": "a"},
        {"upn": "alice@contoso.com", "x": "ab"},
        {"upn": "alice@contoso.com", "x": "abc"},
    ],
)
def test_the_caller_is_read_from_any_well_formed_token(claims):
    run = run_http(claims=claims, stubs=answer("Approve", "alice@contoso.com"))
    assert run.variables["request"]["requester"] == "alice@contoso.com"
    assert run.variables["outcome"]["decision"] == SELF_APPROVAL


def test_an_app_token_without_a_user_is_refused():
    run = run_http(claims={"appid": "1234", "oid": "99"})
    assert run.variables["outcome"]["reason"] == REASON_NO_REQUESTER
    assert not run.ran("Send_approval_email")


def test_only_bearer_calls_start_the_http_trigger():
    definition = build_definition(BOTH)
    assert trigger_fires(definition, HTTP_TRIGGER, http_call(ALICE))
    assert not trigger_fires(definition, HTTP_TRIGGER, {"headers": {}, "body": {}})
    assert not trigger_fires(definition, HTTP_TRIGGER, {"headers": {"Authorization": "SharedAccessSignature x"}})
    trigger = definition["triggers"][HTTP_TRIGGER]
    assert trigger["operationOptions"] == "IncludeAuthorizationHeadersInOutputs"
    assert trigger["runtimeConfiguration"] == {"secureData": {"properties": ["outputs"]}}


def test_an_unreadable_request_still_leaves_an_audit_record():
    outputs = {"headers": {"Authorization": "Bearer not-a-jwt"}, "body": {}}
    run = run_workflow(build_definition(BOTH), HTTP_TRIGGER, outputs, PARAMETERS)
    assert set(run.errors) == {"Caller_token_payload"}
    assert run.statuses["Request_is_valid"] == "Skipped"
    assert run.outputs("Audit_record")["Decision"] == "Error"


def test_a_form_response_is_read_with_the_responder_as_requester():
    response = {
        "responder": "Alice@Contoso.com",
        "r1a": "web-vm",
        "r2b": "22",
        "r3c": "20.50.1.7",
        "r4d": "30",
        "r5e": "<b>patch</b>",
        "submitDate": "5/4/2026",
    }
    stubs = {
        "Get_response_details": Stub(body=response),
        "Resolve_form_responder": Stub(body={"id": ALICE_ID}),
        **answer("Approve", "lead@contoso.com"),
    }
    run = run_workflow(
        build_definition(BOTH), FORMS_TRIGGER, {"body": {"resourceData": {"responseId": 7}}}, PARAMETERS, stubs
    )
    assert run.errors == {}
    assert not run.ran("Caller_claims")
    assert run.inputs["Get_response_details"]["path"] == "/formapi/api/forms('Fm1d-formid_0123')/responses"
    assert run.inputs["Get_response_details"]["queries"] == {"response_id": 7}
    assert run.variables["request"]["requester"] == "alice@contoso.com"
    assert run.variables["request"]["requesterObjectId"] == ALICE_ID
    assert run.inputs["Resolve_form_responder"]["uri"] == (
        "https://graph.microsoft.com/v1.0/users/alice%40contoso.com?$select=id"
    )
    assert run.variables["outcome"]["decision"] == APPROVED
    approval_body = run.inputs["Send_approval_email"]["body"]["Message"]["Body"]
    assert "&lt;b&gt;patch&lt;/b&gt;" in approval_body and "<b>patch" not in approval_body
    assert run.inputs["Send_approval_email"]["body"]["Message"]["To"] == "secops@contoso.com; lead@contoso.com"


def test_forms_trigger_and_approval_use_the_documented_connector_operations():
    definition = build_definition(FORMS_ONLY)
    trigger = definition["triggers"][FORMS_TRIGGER]
    assert trigger["inputs"]["path"] == "/formapi/api/forms/@{encodeURIComponent('Fm1d-formid_0123')}/webhooks"
    assert trigger["inputs"]["body"]["eventType"] == "responseAdded"
    assert trigger["splitOn"] == "@triggerBody()?['value']"
    approval = all_actions(definition)["Send_approval_email"]
    assert approval["type"] == "ApiConnectionWebhook" and approval["limit"] == {"timeout": "PT8H"}
    assert approval["inputs"]["path"] == "/approvalmail/$subscriptions"
    assert approval["inputs"]["body"]["Message"]["Options"] == "Approve, Reject"
    assert definition["actions"]["Read_request"]["type"] == "Scope"
    assert access_control(FORMS_ONLY) is None


def test_access_control_requires_tenant_issuer_and_audience():
    assert access_control(HTTP_ONLY) == {
        "triggers": {
            "openAuthenticationPolicies": {
                "policies": {
                    "entra-id-callers": {
                        "type": "AAD",
                        "claims": [
                            {"name": "iss", "value": f"https://sts.windows.net/{TENANT}/"},
                            {"name": "aud", "value": "api://jit-approvals"},
                        ],
                    }
                }
            },
            "allowedCallerIpAddresses": [{"addressRange": "198.51.100.0/24"}],
        }
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tenant_id": "contoso"}, "tenant_id: give the Entra ID tenant id (a GUID)"),
        ({"approvers": ()}, "approvers: list at least one approver"),
        ({"approvers": ("secops@contoso.com",)}, "approvers[0]: give Approver(object_id=<Entra object id>"),
        (
            {"approvers": (Approver("secops", "Group", "a@b.com"),)},
            "approvers[0].object_id: give the user's or group's",
        ),
        ({"approvers": (Approver(LEAD_ID, "Role", "a@b.com"),)}, "approvers[0].kind: give 'User' or 'Group'"),
        ({"approvers": (Approver(LEAD_ID, "User", "a@b.com; c@d.com"),)}, "approvers[0].mail: give one e-mail"),
        ({"approvers": (LEAD, Approver(LEAD_ID.upper(), "User", "x@b.com"))}, "approvers[1].object_id: "),
        (
            {
                "approvers": tuple(
                    Approver(f"{i:08d}-0000-4000-8000-000000000000", "Group", "g@b.com") for i in range(21)
                )
            },
            "approvers: at most 20 groups",
        ),
        (
            {"validation": ValidationSpec(vms=SPEC.vms)},
            "source_prefixes: give the JIT policy's allowed source prefixes",
        ),
        (
            {"validation": ValidationSpec(vms=SPEC.vms, source_prefixes=("*",))},
            "source_prefixes[0]: '*' is not an IPv4 address or CIDR",
        ),
        ({"forms": None, "http": None}, "forms/http: enable at least one trigger"),
        ({"forms": FormsTrigger("x", FIELDS)}, "forms.form_id: give the id from the form's share URL"),
        (
            {"forms": FormsTrigger("Fm1d-formid_0123", FormFields("r1", "r1", "r3", "r4", "r5"))},
            "forms.fields: each request field needs its own question",
        ),
        ({"forms": FormsTrigger("Fm1d-formid_0123", FormFields("r1", "r2'", "r3", "r4", "r5"))}, "forms.fields.port"),
        ({"http": HttpTrigger("")}, "http.audience: give the token audience"),
        (
            {"http": HttpTrigger("api://x", ("0.0.0.0/0",))},
            "http.allowed_caller_ip_ranges[0]: '0.0.0.0/0' allows every",
        ),
        ({"http": HttpTrigger("api://x", ("office",))}, "http.allowed_caller_ip_ranges[0]: 'office' is not a CIDR"),
        ({"approval_timeout": "8h"}, "approval_timeout: give an ISO 8601 duration from PT5M to P30D"),
        ({"approval_timeout": "PT1M"}, "approval_timeout"),
        ({"approval_timeout": "P31D"}, "approval_timeout"),
        ({"validation": ValidationSpec(vms=())}, "allowed_vms: list at least one VM"),
    ],
)
def test_setting_mistakes_are_refused_with_the_field_named(change, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        build_definition(WorkflowSettings(**{**BOTH.__dict__, **change}))


@pytest.mark.parametrize("variant", VARIANTS)
def test_only_the_read_step_looks_at_the_trigger(variant):
    definition = build_definition(VARIANTS[variant])
    read = definition["actions"]["Read_request"]
    inside = set(all_actions({"actions": {"Read_request": read}})) - {"Read_request"}
    readers = {
        name
        for name, action in all_actions(definition).items()
        for _, tree in expressions_in({k: v for k, v in action.items() if k not in ("actions", "else")})
        for function, _ in walk_calls(tree)
        if function in ("triggerBody", "triggerOutputs", "trigger")
    }
    if variant == "both":
        assert read["expression"] == "@equals(string(coalesce(trigger()?['name'], '')), 'Form_response_submitted')"
        assert set(read["actions"]) == {"Get_response_details", "Resolve_form_responder", "Read_form_response"}
        assert set(read["else"]["actions"]) == {"Caller_token_payload", "Caller_claims", "Read_http_request"}
        readers.discard("Read_request")
    assert readers and readers <= inside


def test_an_address_outside_every_listed_prefix_is_refused_with_the_list_before_approval():
    run = run_http(stubs=answer("Approve", "lead@contoso.com"), sourceIp="20.50.1.16")
    assert not run.ran("Send_approval_email") and not run.ran("Initiate_jit_access")
    assert run.variables["outcome"]["decision"] == INVALID
    assert run.variables["outcome"]["reason"] == (
        "the source address is in none of the JIT policy's allowed source prefixes (20.50.1.0/28, 52.1.2.3); "
        "JIT opens a port only to a listed prefix: request from an address inside one of them"
    )


def test_a_listed_single_address_is_initiated_as_written():
    run = run_http(stubs=answer("Approve", "lead@contoso.com"), sourceIp="52.1.2.3")
    (port,) = run.inputs["Initiate_jit_access"]["body"]["virtualMachines"][0]["ports"]
    assert port["allowedSourceAddressPrefix"] == "52.1.2.3"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_step_carrying_a_callback_url_or_the_token_is_hidden_from_run_history(variant):
    """secureData (MS Learn, "Secure access and data for workflows"): callback URLs and bearer-token material."""
    definition = build_definition(VARIANTS[variant])
    steps = {**definition["triggers"], **all_actions(definition)}
    carrying = {}
    for name, step in steps.items():
        text = json.dumps({k: v for k, v in step.items() if k not in ("actions", "else")})
        if "listCallbackUrl()" in text:
            carrying[name] = "inputs"
        if "['Authorization']" in text and step["type"] == "Compose":
            carrying[name] = "inputs"
        if step["type"] == "Request":
            carrying[name] = "outputs"  # the trigger's outputs hold the Authorization header
    assert carrying, "nothing carries a callback URL or token?"
    for name, part in carrying.items():
        assert part in steps[name]["runtimeConfiguration"]["secureData"]["properties"], name


def test_create_array_without_items_is_refused_when_built():
    """The workflow engine refuses `createArray()` (1 to any number of items); `json('[]')` is the empty array."""
    from azure_jit_access.approval.language import call, empty_array

    with pytest.raises(ValueError, match=r"createArray\(\) needs at least one item; use empty_array\(\)"):
        call("createArray")
    assert empty_array() == "json('[]')" and call("createArray", "'a'") == "createArray('a')"
