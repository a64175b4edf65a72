"""`JitApprovalWorkflow`: a Consumption Logic App that takes a JIT request from a form or an HTTP call,
validates it, asks approvers, and only then calls JIT `initiate` with its own managed identity.

Children: the workflow (system-assigned identity, definition from `workflow_definition`), the managed API
connections it uses (Office 365 always, Microsoft Forms when the form trigger is on), and one role assignment
per protected resource group giving the workflow's identity the custom JIT requester role (never
Contributor). The API connections must be authorised once in the portal after the first `pulumi up`
(docs/approval-workflow.md); their names are the `connection_names` output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import pulumi
from pulumi_azure_native import authorization, logic, web

from azure_jit_access import type_tokens
from azure_jit_access.aliases import with_alias_pruning
from azure_jit_access.approval.approvers import Approver
from azure_jit_access.approval.definition import ARM_AUDIENCE, WorkflowSettings, access_control, build_definition
from azure_jit_access.approval.request import HTTP_TRIGGER, FormsTrigger, HttpTrigger
from azure_jit_access.approval.validation import MAX_DURATION_MINUTES, ValidationSpec, VmRule
from azure_jit_access.audit_sink import AuditSink
from azure_jit_access.rules.arm_ids import parse_arm_id
from azure_jit_access.rules.names import role_assignment_name
from azure_jit_access.rules.roles import PRIVILEGED_ROLES

FORBIDDEN_ROLES = PRIVILEGED_ROLES
"""Built-in roles that would let the workflow (or whoever controls it) do far more than request JIT access."""
_ROLE_ID = re.compile(
    r"^(/[^/]+/[^/]+)*/providers/Microsoft\.Authorization/roleDefinitions/"
    r"(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
    re.IGNORECASE,
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()-]{0,89}$")


@dataclass
class AllowedVm:
    """One VM the workflow may open, and the JIT policy that covers it."""

    name: str
    """The VM name requesters type (matched case-insensitively)."""
    vm_id: pulumi.Input[str]
    """The VM's ARM id (e.g. `JitProtectedVm.vm_id`)."""
    resource_group: str
    """The VM's resource group; also the JIT policy's, and a scope of the requester role assignment."""
    jit_policy_name: str
    """The `JitNetworkAccessPolicy` name covering this VM (e.g. `default`)."""
    location: str
    """The JIT policy's ASC location (the VM's region, e.g. `westeurope`)."""
    ports: Sequence[int]
    """The VM's JIT ports; a request may name only one of these."""
    max_duration_minutes: int = 180
    """The longest access to grant, at most the policy's maxRequestAccessDuration."""


@dataclass
class JitApprovalWorkflowArgs:
    """Inputs of `JitApprovalWorkflow`."""

    resource_group_name: pulumi.Input[str]
    """Where the workflow and its connections live."""
    location: str
    """The workflow's region (its API connections must be in the same one)."""
    tenant_id: str
    """The Entra ID tenant whose users may call the HTTP trigger."""
    approvers: Sequence[Approver]
    """Who may answer: Entra users or groups by object id, each with the mailbox the approval e-mail goes to."""
    allowed_vms: Sequence[AllowedVm]
    """The only VMs a request may name."""
    requester_role_definition_id: pulumi.Input[str]
    """Full ARM id of the custom JIT requester role (`JitRequesterRole`), assigned to the workflow's identity."""
    forms: FormsTrigger | None = None
    """Accept requests from a Microsoft Forms form."""
    http: HttpTrigger | None = None
    """Accept requests as HTTP POSTs with a user's Entra ID token."""
    approval_timeout: str = "PT8H"
    """How long approvers have to answer; no answer refuses the request."""
    max_duration_minutes: int = MAX_DURATION_MINUTES
    """A cap on every VM's `max_duration_minutes`."""
    bastion_source_prefixes: Sequence[str] = ()
    """Bastion mode: the only accepted source is one of these prefixes (the AzureBastionSubnet)."""
    source_prefixes: Sequence[str] = ()
    """Public mode (required there): the JIT policy's allowed source prefixes; a request's address is mapped to
    the listed prefix holding it, and refused when none does (JIT matches sources literally)."""
    audit: AuditSink | None = None
    """Also send every decision record to Log Analytics (`JitAuditTrail`)."""
    subscription_id: str | None = None
    """The workflow's subscription; defaults to the provider's."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every child resource."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases on children (only for stacks created with versioned types)."""


def workflow_settings(args: JitApprovalWorkflowArgs) -> WorkflowSettings:
    """Map and validate the args into definition settings; raises ValueError naming the field."""
    if not isinstance(args.location, str) or not re.match(r"^[a-z0-9]+$", args.location):
        raise ValueError(f"location: give an Azure region name such as 'westeurope', got {args.location!r}")
    if not 5 <= args.max_duration_minutes <= MAX_DURATION_MINUTES:
        raise ValueError(
            f"max_duration_minutes: JIT allows 5 to {MAX_DURATION_MINUTES} minutes, got {args.max_duration_minutes}"
        )
    if args.requester_role_definition_id is None:
        raise ValueError("requester_role_definition_id: give the JitRequesterRole's role definition id")
    if isinstance(args.requester_role_definition_id, str):
        check_requester_role(args.requester_role_definition_id)
    for position, vm in enumerate(args.allowed_vms):
        where = f"allowed_vms[{position}]"
        for attribute in ("resource_group", "jit_policy_name"):
            value = getattr(vm, attribute)
            if not isinstance(value, str) or not _NAME.match(value):
                raise ValueError(f"{where}.{attribute}: give the Azure name, got {value!r}")
        if not isinstance(vm.location, str) or not re.match(r"^[a-z0-9]+$", vm.location):
            raise ValueError(f"{where}.location: give the policy's region such as 'westeurope', got {vm.location!r}")
        if isinstance(vm.vm_id, str):
            initiate_uri(vm, vm.vm_id, where)
    rules = tuple(
        VmRule(vm.name, tuple(vm.ports), min(vm.max_duration_minutes, args.max_duration_minutes))
        for vm in args.allowed_vms
    )
    settings = WorkflowSettings(
        tenant_id=args.tenant_id,
        approvers=tuple(args.approvers),
        validation=ValidationSpec(
            vms=rules,
            bastion_source_prefixes=tuple(args.bastion_source_prefixes),
            source_prefixes=tuple(args.source_prefixes),
        ),
        forms=args.forms,
        http=args.http,
        approval_timeout=args.approval_timeout,
        audit=args.audit is not None,
    )
    build_definition(settings)  # validates everything it is built from
    return settings


def check_requester_role(role_definition_id: str) -> str:
    """The role id, refused when it is not a role definition id or is a broad built-in role."""
    match = _ROLE_ID.match(role_definition_id or "")
    if not match:
        raise ValueError(
            "requester_role_definition_id: give the full role definition id "
            "('/subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>'), "
            f"got {role_definition_id!r}"
        )
    broad = FORBIDDEN_ROLES.get(match["guid"].lower())
    if broad:
        raise ValueError(
            f"requester_role_definition_id: {broad} is far more than the workflow needs; assign the "
            "custom JIT requester role (JitRequesterRole) instead"
        )
    return role_definition_id


def _vm_group(vm_id: str, field_name: str) -> tuple[str, str]:
    """(resource group scope, resource group name) of a VM's ARM id; ValueError naming the field otherwise."""
    try:
        parsed = parse_arm_id(vm_id)
    except ValueError:
        parsed = None
    if (
        parsed is None
        or parsed.subscription is None
        or parsed.resource_group is None
        or (parsed.provider or "").lower() != "microsoft.compute"
        or (parsed.type or "").lower() != "virtualmachines"
        or len(parsed.parts) != 3
    ):
        raise ValueError(
            f"{field_name}.vm_id: give the VM's ARM id ('/subscriptions/<id>/resourceGroups/<rg>/"
            f"providers/Microsoft.Compute/virtualMachines/<name>'), got {vm_id!r}"
        )
    return f"/subscriptions/{parsed.subscription}/resourceGroups/{parsed.resource_group}", parsed.resource_group


def initiate_uri(vm: AllowedVm, vm_id: str, field_name: str = "allowed_vms") -> str:
    """The ARM `initiate` URL of the JIT policy covering `vm`, checked against the VM's id."""
    group_scope, group = _vm_group(vm_id, field_name)
    if group.lower() != vm.resource_group.lower():
        raise ValueError(
            f"{field_name}.resource_group: '{vm.resource_group}' is not the VM's resource group "
            f"'{group}' (the JIT policy lives in the VM's resource group)"
        )
    return (
        f"{ARM_AUDIENCE.rstrip('/')}{group_scope}/providers/Microsoft.Security/locations/{vm.location}/"
        f"jitNetworkAccessPolicies/{vm.jit_policy_name}/initiate?api-version=2020-01-01"
    )


def resource_group_scope(vm: AllowedVm, vm_id: str) -> str:
    """`/subscriptions/<id>/resourceGroups/<rg>` of the VM: where the requester role is assigned."""
    initiate_uri(vm, vm_id)
    return _vm_group(vm_id, "allowed_vms")[0]


def _access_control_args(settings: WorkflowSettings) -> logic.FlowAccessControlConfigurationArgs | None:
    wire = access_control(settings)
    if wire is None:
        return None
    # The wire shape `access_control` builds (and the fidelity gate checks against the ARM schema).
    triggers = cast(dict[str, Any], wire["triggers"])
    policies = {
        name: logic.OpenAuthenticationAccessPolicyArgs(
            type=policy["type"],
            claims=[
                logic.OpenAuthenticationPolicyClaimArgs(name=c["name"], value=c["value"]) for c in policy["claims"]
            ],
        )
        for name, policy in triggers["openAuthenticationPolicies"]["policies"].items()
    }
    ranges = [
        logic.IpAddressRangeArgs(address_range=r["addressRange"]) for r in triggers.get("allowedCallerIpAddresses", [])
    ] or None
    return logic.FlowAccessControlConfigurationArgs(
        triggers=logic.FlowAccessControlConfigurationPolicyArgs(
            open_authentication_policies=logic.OpenAuthenticationAccessPoliciesArgs(policies=policies),
            allowed_caller_ip_addresses=ranges,
        )
    )


class JitApprovalWorkflow(pulumi.ComponentResource):
    """The approval workflow, its API connections and its identity's requester-role assignments.

    Creates a Consumption `logic.Workflow` with a system-assigned identity whose definition is generated
    from the typed args (validate the request, e-mail an approver, refuse self-approval and timeouts, then
    `initiate` with the managed identity and the policy's listed prefix holding the validated address, notify,
    write an audit record), the
    `web.Connection`s it uses (Office 365, and Microsoft Forms when a form is configured), and a
    `RoleAssignment` of the JIT requester role (never Contributor) on each protected resource group.
    Why: approvers need not be admins, and nothing reaches `initiate` unvalidated or unapproved.

        approvals = JitApprovalWorkflow("approvals", JitApprovalWorkflowArgs(
            resource_group_name=rg.name, location="westeurope", tenant_id=tenant,
            approvers=[Approver("<group object id>", "Group", "secops@contoso.com")],
            allowed_vms=[AllowedVm("vm-web-01", vm.vm_id, "rg-jit-dev", "default", "westeurope", [22])],
            source_prefixes=policy_args.allowed_source_address_prefixes,
            requester_role_definition_id=role.role_definition_id, http=HttpTrigger(audience="api://jit-approvals")))
    """

    workflow_id: pulumi.Output[str]
    workflow_name: pulumi.Output[str]
    principal_id: pulumi.Output[str | None]
    """The workflow's system-assigned identity (the JIT `requestor` Azure records)."""
    access_endpoint: pulumi.Output[str]
    http_trigger_url: pulumi.Output[str] | None
    """The HTTP trigger's URL for bearer-token callers (no SAS signature), when the trigger is on."""
    connection_names: pulumi.Output[list[str]]
    """The API connections to authorise once in the portal."""

    def __init__(self, name: str, args: JitApprovalWorkflowArgs, opts: pulumi.ResourceOptions | None = None):
        settings = workflow_settings(args)  # before any resource: a bad input never half-deploys
        definition = build_definition(settings)
        super().__init__(
            type_tokens.JIT_APPROVAL_WORKFLOW,
            name,
            None,
            with_alias_pruning(opts, args.keep_api_version_aliases),
        )
        child = pulumi.ResourceOptions(parent=self)
        subscription = (
            pulumi.Output.from_input(args.subscription_id)
            if args.subscription_id
            else authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).subscription_id
        )
        tags = dict(args.tags) or None

        apis = ["office365"] + (["microsoftforms"] if args.forms else [])
        connections = {}
        for api in apis:

            def managed_api_id(sub: str, api: str = api) -> str:
                return f"/subscriptions/{sub}/providers/Microsoft.Web/locations/{args.location}/managedApis/{api}"

            api_id = subscription.apply(managed_api_id)
            connection = web.Connection(
                f"{name}-{api}",
                resource_group_name=args.resource_group_name,
                location=args.location,
                connection_name=f"{name}-{api}",
                tags=tags,
                properties=web.ApiConnectionDefinitionPropertiesArgs(
                    api=web.ApiReferenceArgs(id=api_id), display_name=f"{name} JIT approvals ({api})"
                ),
                opts=child,
            )
            connections[api] = {"connectionId": connection.id, "connectionName": connection.name, "id": api_id}

        def target(vm: AllowedVm) -> pulumi.Output[dict[str, str]]:
            return pulumi.Output.from_input(vm.vm_id).apply(
                lambda vm_id: {"vmId": vm_id, "initiateUri": initiate_uri(vm, vm_id)}
            )

        targets = {vm.name.lower(): target(vm) for vm in args.allowed_vms}
        parameters = {
            "$connections": logic.WorkflowParameterArgs(value=connections),
            "vmTargets": logic.WorkflowParameterArgs(value=targets),
        }
        if args.audit is not None:
            sink = args.audit
            parameters["auditIngestionUri"] = logic.WorkflowParameterArgs(
                value=pulumi.Output.all(sink.logs_ingestion_endpoint, sink.dcr_immutable_id).apply(
                    lambda parts: (
                        f"{parts[0].rstrip('/')}/dataCollectionRules/{parts[1]}/streams/{sink.stream_name}"
                        "?api-version=2023-01-01"
                    )
                )
            )

        workflow = logic.Workflow(
            f"{name}-workflow",
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=logic.ManagedServiceIdentityArgs(type="SystemAssigned"),
            state="Enabled",
            definition=definition,
            parameters=parameters,
            access_control=_access_control_args(settings),
            tags=tags,
            opts=child,
        )
        principal_id = workflow.identity.apply(lambda identity: identity.principal_id if identity else None)

        role_id = pulumi.Output.from_input(args.requester_role_definition_id).apply(check_requester_role)
        scopes: dict[str, AllowedVm] = {}
        for vm in args.allowed_vms:
            scopes.setdefault(vm.resource_group.lower(), vm)
        # Replaced assignments are deleted first: Azure allows one assignment per (scope, role, principal), so
        # creating the new one before deleting the old would fail with 409 RoleAssignmentExists.
        assignment_opts = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(delete_before_replace=True))
        for group, vm in scopes.items():
            scope = pulumi.Output.from_input(vm.vm_id).apply(partial(resource_group_scope, vm))
            authorization.RoleAssignment(
                f"{name}-requester-{group}",
                # The same name any other writer of this (scope, role, principal) derives: never a second one.
                role_assignment_name=pulumi.Output.all(scope, role_id, principal_id).apply(
                    lambda values: role_assignment_name(values[0], values[1].rsplit("/", 1)[-1], values[2])
                ),
                principal_id=principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=role_id,
                scope=scope,
                description="JIT approval workflow: may request just-in-time access, nothing else",
                opts=assignment_opts,
            )

        self.workflow_id = workflow.id
        self.workflow_name = workflow.name
        self.principal_id = principal_id
        self.access_endpoint = workflow.access_endpoint
        self.http_trigger_url = (
            pulumi.Output.concat(
                workflow.access_endpoint, f"/triggers/{HTTP_TRIGGER}/paths/invoke?api-version=2016-10-01"
            )
            if args.http
            else None
        )
        self.connection_names = pulumi.Output.all(*[c["connectionName"] for c in connections.values()])
        self.register_outputs(
            {
                "workflow_id": self.workflow_id,
                "workflow_name": self.workflow_name,
                "principal_id": self.principal_id,
                "access_endpoint": self.access_endpoint,
                "http_trigger_url": self.http_trigger_url,
                "connection_names": self.connection_names,
            }
        )
