"""The two ways a request arrives, and how each becomes the one normalised `request` variable.

Whatever the channel, the request variable holds text only (vm, port, source, durationMinutes,
justification), the requester's identity as the platform reported it (never a field the requester typed),
and every alias of that identity for the self-approval check. Validation then sees one shape.

- Microsoft Forms: the form must require sign-in; the requester is the response's `responder`.
- HTTP: the trigger accepts only Entra ID bearer tokens of this tenant and audience (the SAS URL is refused
  by a trigger condition); the requester is read from the token the platform already verified. The
  trigger's outputs (which contain that token) are hidden from run history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from azure_jit_access.approval.approvers import resolve_user_action
from azure_jit_access.approval.language import (
    body,
    call,
    interpolated,
    lit,
    outputs,
    prop,
    text,
    whole,
)
from azure_jit_access.approval.validation import REQUEST

FORMS_TRIGGER = "Form_response_submitted"
HTTP_TRIGGER = "Http_request_received"
FORM_RESPONSE_ACTION = "Get_response_details"
RESOLVE_FORM_RESPONDER = "Resolve_form_responder"
TOKEN_PAYLOAD_ACTION = "Caller_token_payload"
CLAIMS_ACTION = "Caller_claims"
REQUEST_FIELDS = ("vm", "port", "source", "durationMinutes", "justification")
HTTP_BODY_FIELDS = {
    "vm": "vm",
    "port": "port",
    "source": "sourceIp",
    "durationMinutes": "durationMinutes",
    "justification": "justification",
}
"""Request field -> property of the HTTP request body."""
IDENTITY_CLAIMS = ("upn", "preferred_username", "unique_name", "email")
"""Token claims that may name the caller, most authoritative first."""

_QUESTION_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_FORM_ID = re.compile(r"^[A-Za-z0-9_-]{10,200}$")


@dataclass(frozen=True)
class FormFields:
    """The Microsoft Forms question ids (`r0123...`, from the form's response JSON) of each request field."""

    vm: str
    """The VM name question."""
    port: str
    """The port question (a choice of the VM's JIT ports)."""
    source_ip: str
    """The public IPv4 address question."""
    duration_minutes: str
    """The duration question, in whole minutes."""
    justification: str
    """The justification question."""


@dataclass(frozen=True)
class FormsTrigger:
    """Start a request from a Microsoft Forms response (the form must require sign-in)."""

    form_id: str
    """The form id from the form's share URL (`...ResponsePage.aspx?id=<form id>`)."""
    fields: FormFields
    """Which question holds which field."""


@dataclass(frozen=True)
class HttpTrigger:
    """Start a request from an HTTP POST carrying a user's Entra ID access token."""

    audience: str
    """The token audience (`aud`) the workflow accepts, e.g. the app id URI `api://jit-approvals`."""
    allowed_caller_ip_ranges: tuple[str, ...] = ()
    """Optional CIDRs allowed to call the workflow's request triggers (also applies to Forms callbacks)."""


def validate_forms(forms: FormsTrigger) -> None:
    """Raise ValueError naming the field when the form settings are unusable."""
    if not _FORM_ID.match(forms.form_id or ""):
        raise ValueError(
            "forms.form_id: give the id from the form's share URL (letters, digits, '-' and '_'), "
            f"got {forms.form_id!r}"
        )
    ids = {name: getattr(forms.fields, name) for name in FormFields.__dataclass_fields__}
    for name, question in ids.items():
        if not isinstance(question, str) or not _QUESTION_ID.match(question):
            raise ValueError(f"forms.fields.{name}: give the question id (such as 'r5b0d...'), got {question!r}")
    if len(set(ids.values())) != len(ids):
        raise ValueError("forms.fields: each request field needs its own question; two share an id")


def forms_trigger(forms: FormsTrigger) -> dict[str, object]:
    """The Forms "new response" webhook trigger, one run per response."""
    return {
        "type": "ApiConnectionWebhook",
        "inputs": {
            "host": {
                "connection": {
                    "name": whole(prop(prop(call("parameters", lit("$connections")), "microsoftforms"), "connectionId"))
                }
            },
            "body": {
                "eventType": "responseAdded",
                "notificationUrl": interpolated(call("listCallbackUrl")),
                "source": "ms-connector",
            },
            "path": f"/formapi/api/forms/{interpolated(call('encodeURIComponent', lit(forms.form_id)))}/webhooks",
        },
        "splitOn": whole(prop(call("triggerBody"), "value")),
        # The inputs hold the trigger's callback URL (listCallbackUrl): keep it out of run history.
        "runtimeConfiguration": {"secureData": {"properties": ["inputs"]}},
    }


def http_trigger() -> dict[str, object]:
    """The Request trigger: bearer tokens only, token kept out of run history."""
    authorization = prop(prop(call("triggerOutputs"), "headers"), "Authorization")
    schema_fields = {
        "vm": "string",
        "port": "integer",
        "sourceIp": "string",
        "durationMinutes": "integer",
        "justification": "string",
    }
    return {
        "type": "Request",
        "kind": "Http",
        "inputs": {
            "method": "POST",
            "schema": {
                "type": "object",
                "required": list(schema_fields),
                "properties": {name: {"type": kind} for name, kind in schema_fields.items()},
            },
        },
        # Without this the header (and so the caller's identity) is not in the trigger outputs.
        "operationOptions": "IncludeAuthorizationHeadersInOutputs",
        # A SAS-signed URL would bypass the Entra ID policy; only bearer calls may start a run.
        "conditions": [
            {"expression": whole(call("startsWith", call("coalesce", authorization, lit("")), lit("Bearer ")))}
        ],
        # The outputs hold a replayable bearer token: keep them out of run history.
        "runtimeConfiguration": {"secureData": {"properties": ["outputs"]}},
    }


def _text_of(expression: str) -> str:
    return call("string", call("coalesce", expression, lit("")))


def _set_request(value: dict[str, str], run_after: dict[str, list[str]]) -> dict[str, object]:
    return {"type": "SetVariable", "inputs": {"name": REQUEST, "value": value}, "runAfter": run_after}


def forms_actions(forms: FormsTrigger) -> dict[str, dict[str, object]]:
    """Fetch the response's answers and responder, then set the request variable."""
    questions = {
        "vm": forms.fields.vm,
        "port": forms.fields.port,
        "source": forms.fields.source_ip,
        "durationMinutes": forms.fields.duration_minutes,
        "justification": forms.fields.justification,
    }
    responder = call("toLower", _text_of(prop(body(FORM_RESPONSE_ACTION), "responder")))
    value = {"channel": text("forms")}
    value.update({name: whole(_text_of(prop(body(FORM_RESPONSE_ACTION), questions[name]))) for name in REQUEST_FIELDS})
    value.update(
        {
            "requester": whole(responder),
            "requesterAliases": whole(call("createArray", responder)),
            "requesterObjectId": whole(call("toLower", _text_of(prop(body(RESOLVE_FORM_RESPONDER), "id")))),
        }
    )
    return {
        FORM_RESPONSE_ACTION: {
            "type": "ApiConnection",
            "inputs": {
                "host": {
                    "connection": {
                        "name": whole(
                            prop(prop(call("parameters", lit("$connections")), "microsoftforms"), "connectionId")
                        )
                    }
                },
                "method": "get",
                "path": f"/formapi/api/forms('{interpolated(call('encodeURIComponent', lit(forms.form_id)))}')"
                "/responses",
                "queries": {"response_id": whole(prop(prop(call("triggerBody"), "resourceData"), "responseId"))},
            },
            "runAfter": {},
        },
        # The responder's object id, for the self-approval check (Graph, with the workflow identity).
        RESOLVE_FORM_RESPONDER: resolve_user_action(responder, {FORM_RESPONSE_ACTION: ["Succeeded"]}),
        "Read_form_response": _set_request(value, {RESOLVE_FORM_RESPONDER: ["Succeeded"]}),
    }


def http_actions() -> dict[str, dict[str, object]]:
    """Decode the (already verified) token's claims, then set the request variable from body and claims."""
    header = prop(prop(call("triggerOutputs"), "headers"), "Authorization")
    token = f"{call('split', call('coalesce', header, lit('')), lit(' '))}[1]"
    payload = f"{call('split', token, lit('.'))}[1]"
    # JWT segments are base64url without padding; base64ToString needs standard, padded base64.
    standard = call("replace", call("replace", payload, lit("-"), lit("+")), lit("_"), lit("/"))
    length = call("length", outputs(TOKEN_PAYLOAD_ACTION))
    padded = call(
        "concat",
        outputs(TOKEN_PAYLOAD_ACTION),
        call("substring", lit("=="), lit(0), call("mod", call("sub", lit(4), call("mod", length, lit(4))), lit(4))),
    )
    claims = outputs(CLAIMS_ACTION)

    def claim(name: str) -> str:
        return call("toLower", _text_of(prop(claims, name)))

    value = {"channel": text("http")}
    value.update({name: whole(_text_of(prop(call("triggerBody"), HTTP_BODY_FIELDS[name]))) for name in REQUEST_FIELDS})
    first_name = call("coalesce", *[prop(claims, c) for c in IDENTITY_CLAIMS[:3]])
    value.update(
        {
            "requester": whole(call("toLower", _text_of(first_name))),
            "requesterAliases": whole(call("createArray", *[claim(c) for c in IDENTITY_CLAIMS])),
            "requesterObjectId": whole(call("toLower", _text_of(prop(claims, "oid")))),
        }
    )
    return {
        # Derived from the bearer token: hidden from run history like the trigger's outputs.
        TOKEN_PAYLOAD_ACTION: {
            "type": "Compose",
            "inputs": whole(standard),
            "runAfter": {},
            "runtimeConfiguration": {"secureData": {"properties": ["inputs", "outputs"]}},
        },
        CLAIMS_ACTION: {
            "type": "Compose",
            "inputs": whole(call("json", call("base64ToString", padded))),
            "runAfter": {TOKEN_PAYLOAD_ACTION: ["Succeeded"]},
        },
        "Read_http_request": _set_request(value, {CLAIMS_ACTION: ["Succeeded"]}),
    }


def read_request_action(forms: FormsTrigger | None, http: bool) -> dict[str, object]:
    """`Read_request`: a Scope for one channel, or an If on the trigger that fired when both are enabled."""
    if forms and http:
        fired = call("equals", _text_of(prop(call("trigger"), "name")), lit(FORMS_TRIGGER))
        return {
            "type": "If",
            "expression": whole(fired),
            "actions": forms_actions(forms),
            "else": {"actions": http_actions()},
            "runAfter": {},
        }
    return {"type": "Scope", "actions": forms_actions(forms) if forms else http_actions(), "runAfter": {}}
