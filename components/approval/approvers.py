"""Approvers by Entra object id: who may answer, and how the workflow knows who answered.

The Office 365 connector's "Send approval email" (`/approvalmail/$subscriptions`) returns `SelectedOption` and
`UserEmailAddress`: an e-mail address (or, for members of a distribution list or mail-enabled group, the user
id), never a verified object id. So the workflow resolves the responder through Microsoft Graph with its own
managed identity (`GET /v1.0/users/{UserEmailAddress}?$select=id`, which accepts a user principal name or an
id: MS Learn, "Get user"), then:

- compares that object id with the requester's token `oid` (the Forms channel resolves the form responder the
  same way): the same person is `SelfApprovalBlocked`, whatever group lets them approve;
- accepts the answer only from a configured user approver's id, or from a member of a configured group
  approver (`POST /v1.0/users/{id}/checkMemberGroups`, transitive, at most 20 groups per call: MS Learn,
  "user: checkMemberGroups"); anyone else is `NotAnApprover`;
- refuses when the responder cannot be resolved (`ApproverUnverified`): fail closed.

Graph permissions (application, granted once by an admin to the workflow's identity): `User.Read.All` and, with
group approvers, `GroupMember.Read.All` (the least privileged pair "user: checkMemberGroups" lists).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from azure_jit_access.approval.language import (
    body,
    call,
    interpolated,
    lit,
    prop,
    variables,
    whole,
)
from azure_jit_access.rules.arm_ids import GUID_PATTERN
from azure_jit_access.rules.emails import is_email

GRAPH_AUDIENCE = "https://graph.microsoft.com"
"""The managed-identity audience of Microsoft Graph (MS Learn, "Authenticate access with managed identities")."""
GRAPH_USERS = "https://graph.microsoft.com/v1.0/users/"
MAX_GROUP_APPROVERS = 20
"""checkMemberGroups checks at most 20 groups per request."""
APPROVER_KINDS = ("User", "Group")

RESPONDER = "responder"
"""The workflow variable holding {objectId, resolved, groups}: what Graph said about the responder."""
RESOLVE_ACTION = "Resolve_responder"
GROUPS_ACTION = "Check_approver_groups"
RECORD_ACTION = "Record_responder"

_GUID = re.compile(f"^{GUID_PATTERN}$")


@dataclass(frozen=True)
class Approver:
    """One approver: an Entra user or group by object id, and the mailbox the approval e-mail goes to."""

    object_id: str
    """The user's or group's Entra object id (`az ad user show --id <upn> --query id`)."""
    kind: str
    """`User` or `Group` (members of a group may approve; membership is checked through Microsoft Graph)."""
    mail: str
    """Where the approval e-mail is sent (the user's mailbox, or the group's / a distribution list's address)."""


def validate_approvers(approvers: Sequence[object]) -> tuple[Approver, ...]:
    """The approvers, or ValueError naming the field and the fix."""
    if isinstance(approvers, str) or not approvers:
        raise ValueError("approvers: list at least one approver (object_id, kind User or Group, mail)")
    checked: list[Approver] = []
    for position, approver in enumerate(approvers):
        where = f"approvers[{position}]"
        if not isinstance(approver, Approver):
            raise ValueError(
                f"{where}: give Approver(object_id=<Entra object id>, kind='User' or 'Group', mail=<mailbox>), "
                f"got {approver!r}; an e-mail address alone cannot be checked against who answered"
            )
        if not isinstance(approver.object_id, str) or not _GUID.match(approver.object_id):
            raise ValueError(
                f"{where}.object_id: give the user's or group's Entra object id (a GUID, e.g. from "
                f"`az ad group show --group <name> --query id -o tsv`), got {approver.object_id!r}"
            )
        if approver.kind not in APPROVER_KINDS:
            raise ValueError(f"{where}.kind: give 'User' or 'Group', got {approver.kind!r}")
        if not isinstance(approver.mail, str) or not is_email(approver.mail):
            raise ValueError(
                f"{where}.mail: give one e-mail address such as 'secops@contoso.com', got {approver.mail!r}"
            )
        if approver.object_id.lower() in {a.object_id.lower() for a in checked}:
            raise ValueError(f"{where}.object_id: {approver.object_id} is listed twice")
        checked.append(approver)
    if sum(a.kind == "Group" for a in checked) > MAX_GROUP_APPROVERS:
        raise ValueError(
            f"approvers: at most {MAX_GROUP_APPROVERS} groups (Microsoft Graph checkMemberGroups checks 20 per call)"
        )
    return tuple(checked)


def mailboxes(approvers: Sequence[Approver]) -> list[str]:
    """Each distinct mailbox, in order (two approvers may share one)."""
    return list(dict.fromkeys(a.mail for a in approvers))


def _ids(approvers: Sequence[Approver], kind: str) -> list[str]:
    return [a.object_id.lower() for a in approvers if a.kind == kind]


def responder_mail_expression(approval_action: str) -> str:
    """The responder as the connector reported it, lower case ('' when absent)."""
    return call("toLower", call("string", call("coalesce", prop(body(approval_action), "UserEmailAddress"), lit(""))))


def _graph(method: str, uri: str, request_body: object = None) -> dict[str, object]:
    inputs: dict[str, object] = {
        "method": method,
        "uri": uri,
        "authentication": {"type": "ManagedServiceIdentity", "audience": GRAPH_AUDIENCE},
    }
    if request_body is not None:
        inputs["headers"] = {"Content-Type": "application/json"}
        inputs["body"] = request_body
    return {"type": "Http", "inputs": inputs}


def resolve_user_action(mail_expression: str, run_after: dict[str, list[str]]) -> dict[str, object]:
    """GET the user's object id from Microsoft Graph with the workflow identity."""
    action = _graph("GET", f"{GRAPH_USERS}{interpolated(call('encodeURIComponent', mail_expression))}?$select=id")
    action["runAfter"] = run_after
    return action


def resolution_actions(approvers: Sequence[Approver], mail_expression: str) -> dict[str, dict[str, object]]:
    """Resolve the responder, check group membership, and record both in the `responder` variable.

    Nothing is recorded unless every Graph call succeeded, so the variable keeps `resolved: false`.
    """
    resolved_id = call("string", call("coalesce", prop(body(RESOLVE_ACTION), "id"), lit("")))
    groups = _ids(approvers, "Group")
    inner: dict[str, dict[str, object]] = {}
    record: dict[str, object] = {"objectId": whole(call("toLower", resolved_id)), "resolved": True, "groups": []}
    record_after: dict[str, list[str]] = {}
    if groups:
        check = _graph(
            "POST",
            f"{GRAPH_USERS}{interpolated(call('encodeURIComponent', resolved_id))}/checkMemberGroups",
            {"groupIds": groups},
        )
        check["runAfter"] = {}
        inner[GROUPS_ACTION] = check
        record["groups"] = whole(call("coalesce", prop(body(GROUPS_ACTION), "value"), call("json", lit("[]"))))
        record_after = {GROUPS_ACTION: ["Succeeded"]}
    inner[RECORD_ACTION] = {
        "type": "SetVariable",
        "inputs": {"name": RESPONDER, "value": record},
        "runAfter": record_after,
    }
    return {
        RESOLVE_ACTION: resolve_user_action(mail_expression, {}),
        "Responder_resolved": {
            "type": "If",
            "expression": whole(call("not", call("empty", resolved_id))),
            "actions": inner,
            "else": {"actions": {"Responder_not_found": unresolved_action()}},
            "runAfter": {RESOLVE_ACTION: ["Succeeded", "Failed", "TimedOut"]},
        },
    }


def _literal_array(values: list[str]) -> str:
    return call("json", lit(json.dumps(values)))


def responder_checks(approvers: Sequence[Approver], requester_object_id: str) -> dict[str, str]:
    """Boolean expressions over the `responder` variable: resolved, is_requester, is_approver."""
    responder = variables(RESPONDER)
    responder_id = call("toLower", call("string", call("coalesce", prop(responder, "objectId"), lit(""))))
    requester_id = call("toLower", call("string", call("coalesce", requester_object_id, lit(""))))
    groups = call("coalesce", prop(responder, "groups"), call("json", lit("[]")))
    member = call("greater", call("length", groups), lit(0))
    is_user = call("contains", _literal_array(_ids(approvers, "User")), responder_id)
    return {
        "resolved": call("equals", call("coalesce", prop(responder, "resolved"), lit(False)), lit(True)),
        # An unknown requester id is treated as the responder's own: fail closed.
        "is_requester": call("or", call("empty", requester_id), call("equals", responder_id, requester_id)),
        "is_approver": call("or", is_user, member) if _ids(approvers, "Group") else is_user,
        "responder_id": responder_id,
    }


def responder_verdict(
    approvers: Sequence[Approver], responder_id: str | None, groups: Sequence[str], requester_object_id: str
) -> dict[str, bool]:
    """The Python twin of `responder_checks`, from what Graph returned (`None`: not resolved)."""
    who = (responder_id or "").lower()
    requester = (requester_object_id or "").lower()
    group_ids = set(_ids(approvers, "Group"))
    return {
        "resolved": responder_id is not None,
        "is_requester": not requester or who == requester,
        "is_approver": who in _ids(approvers, "User") or any(g.lower() in group_ids for g in groups),
    }


def initial_responder() -> dict[str, object]:
    """The `responder` variable before Graph answered: unresolved."""
    return {"objectId": "", "resolved": False, "groups": []}


def unresolved_action() -> dict[str, object]:
    """Set the `responder` variable to unresolved (explicitly, so the run history shows why)."""
    return {"type": "SetVariable", "inputs": {"name": RESPONDER, "value": initial_responder()}, "runAfter": {}}


__all__ = [
    "Approver",
    "GRAPH_AUDIENCE",
    "RESPONDER",
    "initial_responder",
    "mailboxes",
    "resolution_actions",
    "responder_checks",
    "responder_verdict",
    "validate_approvers",
]
