"""JitApprovalWorkflow on the mock engine: identity, connections, role assignments and definition parameters."""

import re
from pathlib import Path

import pulumi
import pytest

from azure_jit_access.approval.approvers import Approver
from azure_jit_access.approval.component import (
    AllowedVm,
    JitApprovalWorkflow,
    JitApprovalWorkflowArgs,
    check_requester_role,
    initiate_uri,
    workflow_settings,
)
from azure_jit_access.approval.definition import build_definition
from azure_jit_access.approval.request import FormFields, FormsTrigger, HttpTrigger
from azure_jit_access.audit_sink import AuditSink
from azure_jit_access.cli.preview.engine import run_inline
from azure_jit_access.cli.preview.packs import evaluate_packs, load_pack
from azure_jit_access.rules.names import role_assignment_name

SUB = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-000000000002"
ROLE = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/4a1c7f0e-9c57-4f4b-9a3e-2b1c0d9e8f70"
WEB_ID = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-vm"
WORKFLOW = "azure-native:logic:Workflow"
CONNECTION = "azure-native:web:Connection"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def vms(win_id="from-output"):
    win = (
        pulumi.Output.from_input(
            f"/subscriptions/{SUB}/resourceGroups/RG-Win/providers/Microsoft.Compute/virtualMachines/win-vm"
        )
        if win_id == "from-output"
        else win_id
    )
    return [
        AllowedVm("web-vm", WEB_ID, "rg-web", "default", "westeurope", [22], 180),
        AllowedVm("win-vm", win, "rg-win", "default", "westeurope", [3389], 60),
    ]


def make_args(**change):
    args = dict(
        resource_group_name="rg-jit",
        location="westeurope",
        tenant_id=TENANT,
        approvers=[Approver("5ec0f500-0000-4000-8000-0000000005ec", "Group", "secops@contoso.com")],
        allowed_vms=vms(),
        source_prefixes=["20.50.1.0/28"],
        requester_role_definition_id=ROLE,
        forms=FormsTrigger("Fm1d-formid_0123", FormFields("r1", "r2", "r3", "r4", "r5")),
        http=HttpTrigger("api://jit-approvals"),
        audit=AuditSink(
            logs_ingestion_endpoint="https://dce-1.westeurope-1.ingest.monitor.azure.com/", dcr_immutable_id="dcr-0123"
        ),
    )
    args.update(change)
    return JitApprovalWorkflowArgs(**args)


def deploy(args):
    def program():
        approvals = JitApprovalWorkflow("approvals", args)
        pulumi.export("connections", approvals.connection_names)
        pulumi.export("principal", approvals.principal_id)
        if approvals.http_trigger_url is not None:
            pulumi.export("triggerUrl", approvals.http_trigger_url)

    return run_inline(program)


@pytest.fixture(scope="module")
def full():
    return deploy(make_args())


def test_children_are_parented_to_the_component(full):
    component = full.one("azure-jit-access:approval_workflow:JitApprovalWorkflow")
    children = full.children_of(component.urn)
    assert sorted(r.name for r in children) == [
        "approvals-microsoftforms",
        "approvals-office365",
        "approvals-requester-rg-web",
        "approvals-requester-rg-win",
        "approvals-workflow",
    ]


def test_workflow_has_a_system_identity_and_the_generated_definition(full):
    workflow = full.one(WORKFLOW)
    assert workflow.inputs["identity"] == {"type": "SystemAssigned"}
    assert workflow.inputs["state"] == "Enabled"
    assert workflow.inputs["location"] == "westeurope"
    with_outputs = make_args(
        allowed_vms=vms(
            win_id=f"/subscriptions/{SUB}/resourceGroups/rg-win/providers/Microsoft.Compute/virtualMachines/win-vm"
        )
    )
    assert workflow.inputs["definition"] == build_definition(workflow_settings(with_outputs))
    assert workflow.inputs["accessControl"] == {
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
            }
        }
    }


def test_definition_parameters_carry_connections_vm_targets_and_the_audit_endpoint(full):
    parameters = full.one(WORKFLOW).inputs["parameters"]
    office, forms = full.one(CONNECTION, "approvals-office365"), full.one(CONNECTION, "approvals-microsoftforms")
    assert parameters["$connections"]["value"] == {
        "office365": {
            "connectionId": office.id,
            "connectionName": "approvals-office365",
            "id": f"/subscriptions/{SUB}/providers/Microsoft.Web/locations/westeurope/managedApis/office365",
        },
        "microsoftforms": {
            "connectionId": forms.id,
            "connectionName": "approvals-microsoftforms",
            "id": f"/subscriptions/{SUB}/providers/Microsoft.Web/locations/westeurope/managedApis/microsoftforms",
        },
    }
    targets = parameters["vmTargets"]["value"]
    assert targets["web-vm"] == {
        "vmId": WEB_ID,
        "initiateUri": (
            f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Security/"
            "locations/westeurope/jitNetworkAccessPolicies/default/initiate?api-version=2020-01-01"
        ),
    }
    assert targets["win-vm"]["initiateUri"].startswith(
        f"https://management.azure.com/subscriptions/{SUB}/resourceGroups/RG-Win/providers/Microsoft.Security/"
    )
    assert set(targets) == set(full.one(WORKFLOW).inputs["definition"]["parameters"]["vmRules"]["defaultValue"])
    assert parameters["auditIngestionUri"]["value"] == (
        "https://dce-1.westeurope-1.ingest.monitor.azure.com/dataCollectionRules/dcr-0123/streams/"
        "Custom-JitAccessDecisions_CL?api-version=2023-01-01"
    )


def test_connections_point_at_the_managed_apis_of_the_workflow_region(full):
    office = full.one(CONNECTION, "approvals-office365")
    assert office.inputs["connectionName"] == "approvals-office365"
    assert office.inputs["resourceGroupName"] == "rg-jit" and office.inputs["location"] == "westeurope"
    assert office.inputs["properties"]["api"] == {
        "id": f"/subscriptions/{SUB}/providers/Microsoft.Web/locations/westeurope/managedApis/office365"
    }
    assert full.outputs["connections"] == ["approvals-office365", "approvals-microsoftforms"]


def test_the_identity_gets_the_requester_role_on_each_protected_resource_group(full):
    principal = full.one(WORKFLOW).outputs["identity"]["principalId"]
    assert full.outputs["principal"] == principal
    assignments = {a.name: a for a in full.find(ASSIGNMENT)}
    assert set(assignments) == {"approvals-requester-rg-web", "approvals-requester-rg-win"}
    web = assignments["approvals-requester-rg-web"].inputs
    assert web["roleDefinitionId"] == ROLE
    assert web["principalId"] == principal and web["principalType"] == "ServicePrincipal"
    assert web["scope"] == f"/subscriptions/{SUB}/resourceGroups/rg-web"
    # One name per (scope, role, principal), the same JitRequesterRole derives: Azure refuses a second name
    # for one triple with 409 RoleAssignmentExists.
    scope = f"/subscriptions/{SUB}/resourceGroups/rg-web"
    assert web["roleAssignmentName"] == role_assignment_name(scope, ROLE.rsplit("/", 1)[-1], principal)
    assert web["roleAssignmentName"] == role_assignment_name(scope.upper(), ROLE.rsplit("/", 1)[-1], principal)
    assert assignments["approvals-requester-rg-win"].inputs["scope"] == f"/subscriptions/{SUB}/resourceGroups/RG-Win"


def test_the_http_trigger_url_has_no_signature(full):
    endpoint = full.one(WORKFLOW).outputs["accessEndpoint"]
    assert full.outputs["triggerUrl"] == (
        f"{endpoint}/triggers/Http_request_received/paths/invoke?api-version=2016-10-01"
    )


def test_an_http_only_workflow_needs_only_the_office_connection():
    result = deploy(
        make_args(
            forms=None, audit=None, allowed_vms=vms()[:1], http=HttpTrigger("api://jit-approvals", ("198.51.100.0/24",))
        )
    )
    assert [c.name for c in result.find(CONNECTION)] == ["approvals-office365"]
    workflow = result.one(WORKFLOW)
    assert set(workflow.inputs["parameters"]) == {"$connections", "vmTargets"}
    assert workflow.inputs["accessControl"]["triggers"]["allowedCallerIpAddresses"] == [
        {"addressRange": "198.51.100.0/24"}
    ]
    assert len(result.find(ASSIGNMENT)) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "requester_role_definition_id": f"/subscriptions/{SUB}/providers/"
                "Microsoft.Authorization/roleDefinitions/"
                "b24988ac-6180-42a0-ab88-20f7382dd24c"
            },
            "requester_role_definition_id: Contributor is far more than the workflow needs",
        ),
        ({"requester_role_definition_id": "JIT Requester"}, "requester_role_definition_id: give the full role"),
        (
            {"allowed_vms": [AllowedVm("web-vm", WEB_ID, "rg-other", "default", "westeurope", [22])]},
            "allowed_vms[0].resource_group: 'rg-other' is not the VM's resource group 'rg-web'",
        ),
        (
            {"allowed_vms": [AllowedVm("web-vm", "web-vm", "rg-web", "default", "westeurope", [22])]},
            "allowed_vms[0].vm_id: give the VM's ARM id",
        ),
        (
            {"allowed_vms": [AllowedVm("web-vm", WEB_ID, "rg-web", "default", "West Europe", [22])]},
            "allowed_vms[0].location: give the policy's region",
        ),
        ({"location": "West Europe"}, "location: give an Azure region name"),
        ({"max_duration_minutes": 2000}, "max_duration_minutes: JIT allows 5 to 1440 minutes"),
        ({"approvers": []}, "approvers: list at least one approver"),
        ({"approvers": ["secops@contoso.com"]}, "approvers[0]: give Approver(object_id=<Entra object id>"),
        ({"source_prefixes": []}, "source_prefixes: give the JIT policy's allowed source prefixes"),
    ],
)
def test_bad_inputs_fail_before_any_resource_is_created(change, message):
    stack_only = len(run_inline(lambda: None).resources)  # an empty program still registers its stack
    registered = []
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        run_inline(lambda: JitApprovalWorkflow("approvals", make_args(**change)), on_register=registered.append)
    assert len(registered) == stack_only


def test_role_and_vm_checks_are_pure_functions():
    assert check_requester_role(ROLE) == ROLE
    with pytest.raises(ValueError, match="Owner is far more"):
        check_requester_role("/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
    vm = vms()[0]
    assert initiate_uri(vm, WEB_ID).endswith("/jitNetworkAccessPolicies/default/initiate?api-version=2020-01-01")


def test_the_guardrail_pack_finds_nothing_to_flag(full):
    pack = load_pack(Path(__file__).resolve().parents[3] / "policies")
    assert [(v.policy, v.message) for v in evaluate_packs([pack], full.resources, None)] == []
