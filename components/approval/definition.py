"""The approval workflow's definition, built in Python from typed settings (no pasted JSON).

Run order (each step runs only after the previous one succeeded, unless said otherwise):

    trigger (Forms response | HTTP with Entra ID token)
    -> Initialize_request, Initialize_outcome, Initialize_responder   (outcome starts as "Error")
    -> Read_request                                  (normalise into the `request` variable)
    -> Validate_request                              (generated checks -> Rejection_reason, '' when valid;
                                                      public mode: Source_listed_prefix, the policy's prefix)
    -> Request_is_valid ? Send_approval_email -> Approval_answer
                              -> Approval_was_answered ? Resolve_responder -> Check_approver_groups (Graph)
                              -> Approval_outcome -> Approval_decision
                              ? Access_end_time -> Initiate_jit_access -> Record_access_granted
                                                                      | Record_initiate_failure
                              : Record_refusal
                        : Record_invalid_request
    -> Audit_record (after every outcome) -> Notify_requester, Write_audit_record (with an audit sink)

`Initiate_jit_access` exists only inside the valid branch and, within it, only inside the approved
branch; the POST body uses the listed prefix holding the validated address (never `*`), and `endTimeUtc` only
(never `duration`).
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass

from azure_jit_access.approval.approvers import RESPONDER, Approver, initial_responder, validate_approvers
from azure_jit_access.approval.audit import (
    AUDIT_RECORD_ACTION,
    AUDIT_URI_PARAMETER,
    AUDIT_WRITE_ACTION,
    OUTCOME,
    audit_record_action,
    audit_write_action,
    notification_action,
)
from azure_jit_access.approval.decision import (
    ANSWER_ACTION,
    ANSWERED_ACTION,
    APPROVED,
    ERROR,
    INITIATE_FAILED,
    INVALID,
    OUTCOME_ACTION,
    answer_action,
    answered_action,
    approval_email_action,
    outcome_action,
    request_field,
)
from azure_jit_access.approval.language import (
    ACTION_NAME,
    body,
    call,
    lit,
    lookup,
    outputs,
    parameters,
    prop,
    text,
    whole,
)
from azure_jit_access.approval.request import (
    FORMS_TRIGGER,
    HTTP_TRIGGER,
    FormsTrigger,
    HttpTrigger,
    forms_trigger,
    http_trigger,
    read_request_action,
    validate_forms,
)
from azure_jit_access.approval.sources import SOURCE_LISTED_PREFIX
from azure_jit_access.approval.validation import (
    DURATION_MINUTES,
    REJECTION_REASON,
    REQUEST,
    VM_RULES_PARAMETER,
    ValidationSpec,
    validate_spec,
    validation_actions,
    vm_rules_value,
)
from azure_jit_access.rules.durations import whole_minutes
from azure_jit_access.rules.sources import internet_wide_findings, is_wildcard

SCHEMA = "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#"
VM_TARGETS_PARAMETER = "vmTargets"
INITIATE_ACTION = "Initiate_jit_access"
ARM_AUDIENCE = "https://management.azure.com/"


@dataclass(frozen=True)
class WorkflowSettings:
    """Everything the definition is built from."""

    tenant_id: str
    """The Entra ID tenant whose users may call the HTTP trigger."""
    approvers: tuple[Approver, ...]
    """Who may answer (Entra users or groups by object id) and the mailboxes the approval e-mail goes to."""
    validation: ValidationSpec
    """The allowed VMs, their ports and duration caps, and Bastion mode."""
    forms: FormsTrigger | None = None
    """The Microsoft Forms trigger, or None."""
    http: HttpTrigger | None = None
    """The HTTP trigger, or None."""
    approval_timeout: str = "PT8H"
    """How long approvers have to answer (ISO 8601); no answer refuses the request."""
    audit: bool = False
    """Also POST each audit record to Log Analytics (the `auditIngestionUri` parameter)."""


def _timeout_minutes(value: object) -> int | None:
    try:
        return whole_minutes(value)
    except ValueError:
        return None


def validate_settings(settings: WorkflowSettings) -> None:
    """Raise ValueError naming the field and the fix for anything that cannot work or would widen access."""
    try:
        uuid.UUID(settings.tenant_id)
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"tenant_id: give the Entra ID tenant id (a GUID), got {settings.tenant_id!r}") from None
    validate_approvers(settings.approvers)
    if settings.forms is None and settings.http is None:
        raise ValueError("forms/http: enable at least one trigger (a Microsoft Forms form or the HTTP trigger)")
    if settings.forms is not None:
        validate_forms(settings.forms)
    if settings.http is not None:
        _validate_http(settings.http)
    minutes = _timeout_minutes(settings.approval_timeout)
    if minutes is None or not 5 <= minutes <= 30 * 1440:
        raise ValueError(
            "approval_timeout: give an ISO 8601 duration from PT5M to P30D such as 'PT8H', "
            f"got {settings.approval_timeout!r}"
        )
    validate_spec(settings.validation)


def _validate_http(http: HttpTrigger) -> None:
    if not http.audience or http.audience != http.audience.strip() or " " in http.audience:
        raise ValueError(
            "http.audience: give the token audience the callers request, such as "
            f"'api://jit-approvals' or the app's client id, got {http.audience!r}"
        )
    for position, cidr in enumerate(http.allowed_caller_ip_ranges):
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ValueError(
                f"http.allowed_caller_ip_ranges[{position}]: '{cidr}' is not a CIDR such as '198.51.100.0/24'"
            ) from None
        if is_wildcard(str(network)):
            raise ValueError(
                f"http.allowed_caller_ip_ranges[{position}]: '{cidr}' allows every address; "
                "leave the list empty instead, or give your egress ranges"
            )
    findings = internet_wide_findings(list(http.allowed_caller_ip_ranges))
    if findings:
        raise ValueError(
            f"http.allowed_caller_ip_ranges: {'; '.join(findings)}; the policy pack's "
            "workflow-request-trigger-secured refuses an internet-wide allow-list: give your egress ranges"
        )


def access_control(settings: WorkflowSettings) -> dict[str, object] | None:
    """The workflow's `accessControl` (wire form): Entra ID policy for request triggers, optional IP list."""
    if settings.http is None:
        return None
    triggers: dict[str, object] = {
        "openAuthenticationPolicies": {
            "policies": {
                "entra-id-callers": {
                    "type": "AAD",
                    "claims": [
                        {"name": "iss", "value": f"https://sts.windows.net/{settings.tenant_id}/"},
                        {"name": "aud", "value": settings.http.audience},
                    ],
                }
            }
        }
    }
    if settings.http.allowed_caller_ip_ranges:
        triggers["allowedCallerIpAddresses"] = [{"addressRange": r} for r in settings.http.allowed_caller_ip_ranges]
    return {"triggers": triggers}


def _vm_target(key: str) -> str:
    return prop(lookup(parameters(VM_TARGETS_PARAMETER), call("toLower", request_field("vm"))), key)


def _set_outcome(value: dict[str, str] | str, run_after: dict[str, list[str]]) -> dict[str, object]:
    return {"type": "SetVariable", "inputs": {"name": OUTCOME, "value": value}, "runAfter": run_after}


def _approved_branch(settings: WorkflowSettings) -> dict[str, dict[str, object]]:
    approver = prop(outputs(OUTCOME_ACTION), "approver")
    approver_id = prop(outputs(OUTCOME_ACTION), "approverObjectId")
    justification = call(
        "concat",
        lit("Requested by "),
        request_field("requester"),
        lit(" ("),
        request_field("requesterObjectId"),
        lit("); approved by "),
        approver,
        lit(" ("),
        approver_id,
        lit("); reason: "),
        request_field("justification"),
    )
    # JIT matches the source literally against the policy's list: initiate with the listed prefix that holds the
    # address (Bastion mode: the request already is the listed Bastion prefix).
    source = request_field("source") if settings.validation.bastion_source_prefixes else outputs(SOURCE_LISTED_PREFIX)
    status = call("string", call("coalesce", prop(outputs(INITIATE_ACTION), "statusCode"), lit("no response")))
    error = call("string", call("coalesce", prop(prop(body(INITIATE_ACTION), "error"), "message"), lit("")))
    return {
        "Access_end_time": {
            "type": "Compose",
            "runAfter": {},
            "inputs": whole(call("addMinutes", call("utcNow"), outputs(DURATION_MINUTES), lit("yyyy-MM-ddTHH:mm:ssZ"))),
        },
        INITIATE_ACTION: {
            "type": "Http",
            "inputs": {
                "method": "POST",
                "uri": whole(_vm_target("initiateUri")),
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "virtualMachines": [
                        {
                            "id": whole(_vm_target("vmId")),
                            "ports": [
                                {
                                    "number": whole(call("int", request_field("port"))),
                                    "endTimeUtc": whole(outputs("Access_end_time")),
                                    "allowedSourceAddressPrefix": whole(source),
                                }
                            ],
                        }
                    ],
                    "justification": whole(justification),
                },
                "authentication": {"type": "ManagedServiceIdentity", "audience": ARM_AUDIENCE},
            },
            "runAfter": {"Access_end_time": ["Succeeded"]},
        },
        "Record_access_granted": _set_outcome(
            {
                "decision": APPROVED,
                "approver": whole(approver),
                "approverObjectId": whole(approver_id),
                "reason": whole(
                    call("concat", lit("approved by "), approver, lit("; open until "), outputs("Access_end_time"))
                ),
            },
            {INITIATE_ACTION: ["Succeeded"]},
        ),
        "Record_initiate_failure": _set_outcome(
            {
                "decision": INITIATE_FAILED,
                "approver": whole(approver),
                "approverObjectId": whole(approver_id),
                "reason": whole(
                    call(
                        "concat",
                        lit("approved by "),
                        approver,
                        lit(", but the JIT initiate call failed ("),
                        status,
                        lit("): "),
                        error,
                    )
                ),
            },
            {INITIATE_ACTION: ["Failed", "TimedOut"]},
        ),
    }


def _decision_action(settings: WorkflowSettings) -> dict[str, object]:
    approval = {
        "Send_approval_email": approval_email_action(settings.approvers, settings.approval_timeout),
        ANSWER_ACTION: answer_action(),
        ANSWERED_ACTION: answered_action(settings.approvers),
        OUTCOME_ACTION: outcome_action(settings.approvers, settings.approval_timeout),
        "Approval_decision": {
            "type": "If",
            "runAfter": {OUTCOME_ACTION: ["Succeeded"]},
            "expression": whole(call("equals", prop(outputs(OUTCOME_ACTION), "decision"), lit(APPROVED))),
            "actions": _approved_branch(settings),
            "else": {"actions": {"Record_refusal": _set_outcome(whole(outputs(OUTCOME_ACTION)), {})}},
        },
    }
    invalid = _set_outcome(
        {"decision": INVALID, "reason": whole(outputs(REJECTION_REASON)), "approver": "", "approverObjectId": ""}, {}
    )
    return {
        "type": "If",
        "runAfter": {"Validate_request": ["Succeeded"]},
        "expression": whole(call("empty", outputs(REJECTION_REASON))),
        "actions": approval,
        "else": {"actions": {"Record_invalid_request": invalid}},
    }


def _initial(name: str, kind: str, value: object, run_after: dict[str, list[str]]) -> dict[str, object]:
    return {
        "type": "InitializeVariable",
        "inputs": {"variables": [{"name": name, "type": kind, "value": value}]},
        "runAfter": run_after,
    }


def build_definition(settings: WorkflowSettings) -> dict[str, object]:
    """The complete workflow definition (validated settings in, JSON-ready dict out)."""
    validate_settings(settings)
    triggers: dict[str, object] = {}
    if settings.forms is not None:
        triggers[FORMS_TRIGGER] = forms_trigger(settings.forms)
    if settings.http is not None:
        triggers[HTTP_TRIGGER] = http_trigger()
    read = read_request_action(settings.forms, settings.http is not None)
    read["runAfter"] = {"Initialize_responder": ["Succeeded"]}
    actions: dict[str, object] = {
        "Initialize_request": _initial(REQUEST, "object", {}, {}),
        "Initialize_outcome": _initial(
            OUTCOME,
            "object",
            {
                "decision": ERROR,
                "approver": "",
                "approverObjectId": "",
                "reason": text("the request could not be processed; see the workflow run history"),
            },
            {"Initialize_request": ["Succeeded"]},
        ),
        "Initialize_responder": _initial(
            RESPONDER, "object", initial_responder(), {"Initialize_outcome": ["Succeeded"]}
        ),
        "Read_request": read,
        "Validate_request": {
            "type": "Scope",
            "actions": validation_actions(settings.validation),
            "runAfter": {"Read_request": ["Succeeded"]},
        },
        "Request_is_valid": _decision_action(settings),
        # After every outcome, including a failure or skip anywhere above.
        AUDIT_RECORD_ACTION: audit_record_action("Request_is_valid"),
        "Notify_requester": notification_action(),
    }
    parameters_: dict[str, object] = {
        "$connections": {"type": "Object", "defaultValue": {}},
        VM_RULES_PARAMETER: {"type": "Object", "defaultValue": vm_rules_value(settings.validation)},
        VM_TARGETS_PARAMETER: {"type": "Object", "defaultValue": {}},
    }
    if settings.audit:
        parameters_[AUDIT_URI_PARAMETER] = {"type": "String", "defaultValue": ""}
        actions[AUDIT_WRITE_ACTION] = audit_write_action()
    _check_names({**triggers, **actions})
    return {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": parameters_,
        "triggers": triggers,
        "actions": actions,
        "outputs": {},
    }


def _check_names(entries: dict[str, object]) -> None:
    for name, entry in entries.items():
        if not ACTION_NAME.match(name):
            raise AssertionError(f"invalid action name {name!r}")
        if isinstance(entry, dict):
            _check_names(entry.get("actions", {}))
            _check_names(entry.get("else", {}).get("actions", {}))
