"""Reading the approval workflow's stack config, and mapping the JIT policy's VMs into `AllowedVm`s.

Kept apart from the component so `__main__.py` stays a few lines and every config mistake is a ValueError
naming the key (`azure-jit-access:approvals.<key>`) before anything is created.

    azure-jit-access:approvals:
      tenantId: <Entra ID tenant GUID>
      approvers:                       # Entra users or groups by object id, and the mailbox to e-mail
        - {objectId: <group object id>, type: Group, mail: secops@contoso.com}
      approvalTimeout: PT8H            # optional
      maxDurationMinutes: 180          # optional cap on every VM's JIT duration cap
      http: {audience: api://jit-approvals, allowedCallerIpRanges: []}
      forms: {formId: <id>, fields: {vm: r.., port: r.., sourceIp: r.., durationMinutes: r.., justification: r..}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from azure_jit_access.approval.approvers import Approver
from azure_jit_access.approval.component import AllowedVm, JitApprovalWorkflowArgs, workflow_settings
from azure_jit_access.approval.request import FormFields, FormsTrigger, HttpTrigger
from azure_jit_access.approval.validation import MAX_DURATION_MINUTES
from azure_jit_access.audit_sink import AuditSink
from azure_jit_access.validation import duration_minutes, validate_mapping

CONFIG_KEYS = {"tenantId", "approvers", "approvalTimeout", "maxDurationMinutes", "http", "forms"}
HTTP_KEYS = {"audience", "allowedCallerIpRanges"}
FORMS_KEYS = {"formId", "fields"}
APPROVER_KEYS = {"objectId", "type", "mail"}
FIELD_KEYS = {
    "vm": "vm",
    "port": "port",
    "sourceIp": "source_ip",
    "durationMinutes": "duration_minutes",
    "justification": "justification",
}


def allowed_vms_from_policy(
    caps: Mapping[str, Sequence[Mapping[str, object]]],
    vm_ids: Mapping[str, pulumi.Input[str]],
    resource_group: str,
    policy_name: str,
    location: str,
) -> list[AllowedVm]:
    """One `AllowedVm` per VM of a `JitAccessPolicy` (its `caps`): its ports, and the shortest port cap."""
    allowed = []
    for vm_name, ports in caps.items():
        if vm_name not in vm_ids:
            raise ValueError(f"vm_ids: no id for '{vm_name}', which the JIT policy protects")
        numbers = [int(p["port"]) for p in ports]  # type: ignore[call-overload]
        # One cap per VM: the shortest of its ports' caps, so no port is opened longer than its policy allows.
        cap = min(duration_minutes(str(p["maxRequestAccessDuration"]), f"caps.{vm_name}") for p in ports)
        allowed.append(
            AllowedVm(
                name=vm_name,
                vm_id=vm_ids[vm_name],
                resource_group=resource_group,
                jit_policy_name=policy_name,
                location=location,
                ports=numbers,
                max_duration_minutes=cap,
            )
        )
    return allowed


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings, got {value!r}")
    return list(value)


def _approvers(value: object, where: str) -> list[Approver]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where}: list the approvers, e.g. [{{objectId: <group object id>, type: Group, mail: ...}}]")
    approvers = []
    for position, raw in enumerate(value):
        if isinstance(raw, str):
            raise ValueError(
                f"{where}[{position}]: '{raw}' is an e-mail address alone; give {{objectId: <Entra user or group "
                f"object id>, type: User or Group, mail: {raw}}} so the workflow can tell who answered"
            )
        item = validate_mapping(raw, f"{where}[{position}]", APPROVER_KEYS)
        approvers.append(
            Approver(object_id=item.get("objectId"), kind=item.get("type", "User"), mail=item.get("mail"))  # type: ignore[arg-type]
        )
    return approvers


@dataclass(frozen=True)
class ApprovalSettings:
    """The `approvals` config, read and type-checked: everything but the wiring (VM ids, role, audit sink)."""

    tenant_id: str
    approvers: tuple[Approver, ...]
    http: HttpTrigger | None
    forms: FormsTrigger | None
    approval_timeout: str
    max_duration_minutes: int


def read_approval_settings(raw: object, where: str = "azure-jit-access:approvals") -> ApprovalSettings:
    """Read the `approvals` config mapping; ValueError names the key."""
    config = validate_mapping(raw, where, CONFIG_KEYS)
    http = forms = None
    if config.get("http") is not None:
        item = validate_mapping(config["http"], f"{where}.http", HTTP_KEYS)
        http = HttpTrigger(
            audience=str(item.get("audience") or ""),
            allowed_caller_ip_ranges=tuple(
                _strings(item.get("allowedCallerIpRanges"), f"{where}.http.allowedCallerIpRanges")
            ),
        )
    if config.get("forms") is not None:
        item = validate_mapping(config["forms"], f"{where}.forms", FORMS_KEYS)
        fields = validate_mapping(item.get("fields"), f"{where}.forms.fields", set(FIELD_KEYS))
        missing = sorted(set(FIELD_KEYS) - set(fields))
        if missing:
            raise ValueError(f"{where}.forms.fields: give the question id of {missing}")
        forms = FormsTrigger(
            form_id=str(item.get("formId") or ""), fields=FormFields(**{FIELD_KEYS[k]: fields[k] for k in FIELD_KEYS})
        )  # type: ignore[arg-type]
    cap = config.get("maxDurationMinutes", MAX_DURATION_MINUTES)
    if isinstance(cap, bool) or not isinstance(cap, int):
        raise ValueError(f"{where}.maxDurationMinutes: give whole minutes such as 180, got {cap!r}")
    return ApprovalSettings(
        tenant_id=str(config.get("tenantId") or ""),
        approvers=tuple(_approvers(config.get("approvers"), f"{where}.approvers")),
        http=http,
        forms=forms,
        approval_timeout=str(config.get("approvalTimeout") or "PT8H"),
        max_duration_minutes=cap,
    )


def approval_args(
    settings: ApprovalSettings,
    *,
    resource_group_name: pulumi.Input[str],
    location: str,
    allowed_vms: Sequence[AllowedVm],
    requester_role_definition_id: pulumi.Input[str],
    bastion_source_prefixes: Sequence[str] = (),
    source_prefixes: Sequence[str] = (),
    audit: AuditSink | None = None,
    tags: Mapping[str, str] | None = None,
    where: str = "azure-jit-access:approvals",
) -> JitApprovalWorkflowArgs:
    """The component's args: the settings plus the wiring; ValueError (prefixed with `where`) if they clash."""
    args = JitApprovalWorkflowArgs(
        resource_group_name=resource_group_name,
        location=location,
        tenant_id=settings.tenant_id,
        approvers=list(settings.approvers),
        allowed_vms=list(allowed_vms),
        requester_role_definition_id=requester_role_definition_id,
        forms=settings.forms,
        http=settings.http,
        approval_timeout=settings.approval_timeout,
        max_duration_minutes=settings.max_duration_minutes,
        bastion_source_prefixes=list(bastion_source_prefixes),
        source_prefixes=[] if bastion_source_prefixes else list(source_prefixes),
        audit=audit,
        tags=dict(tags or {}),
    )
    try:
        workflow_settings(args)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return args


def approval_args_from_config(
    raw: object,
    *,
    resource_group_name: pulumi.Input[str],
    location: str,
    allowed_vms: Sequence[AllowedVm],
    requester_role_definition_id: pulumi.Input[str],
    bastion_source_prefixes: Sequence[str] = (),
    source_prefixes: Sequence[str] = (),
    audit: AuditSink | None = None,
    tags: Mapping[str, str] | None = None,
    where: str = "azure-jit-access:approvals",
) -> JitApprovalWorkflowArgs:
    """`approval_args` straight from the raw `approvals` config mapping; ValueError names the key."""
    return approval_args(
        read_approval_settings(raw, where),
        resource_group_name=resource_group_name,
        location=location,
        allowed_vms=allowed_vms,
        requester_role_definition_id=requester_role_definition_id,
        bastion_source_prefixes=bastion_source_prefixes,
        source_prefixes=source_prefixes,
        audit=audit,
        tags=tags,
        where=where,
    )


def check_approvals_config(
    raw: object | ApprovalSettings,
    *,
    resource_group: str,
    location: str,
    caps: Mapping[str, Sequence[Mapping[str, object]]],
    policy_name: str,
    bastion_source_prefixes: Sequence[str] = (),
    source_prefixes: Sequence[str] = (),
    audit: bool = False,
    where: str = "azure-jit-access:approvals",
) -> ApprovalSettings:
    """Validate the `approvals` config before any resource exists; returns its settings.

    The VM and role ids do not exist yet: they are stand-ins here, used for this check only and never
    deployed (the program passes the real ones to `approval_args`).
    """
    settings = raw if isinstance(raw, ApprovalSettings) else read_approval_settings(raw, where)
    placeholder = "00000000-0000-0000-0000-000000000000"
    vm_ids = {
        name: f"/subscriptions/{placeholder}/resourceGroups/{resource_group}/providers/Microsoft.Compute/"
        f"virtualMachines/{name}"
        for name in caps
    }
    sink = AuditSink(logs_ingestion_endpoint="https://placeholder", dcr_immutable_id="dcr-0") if audit else None
    approval_args(
        settings,
        resource_group_name=resource_group,
        location=location,
        allowed_vms=allowed_vms_from_policy(caps, vm_ids, resource_group, policy_name, location),
        requester_role_definition_id=f"/providers/Microsoft.Authorization/roleDefinitions/{placeholder}",
        bastion_source_prefixes=bastion_source_prefixes,
        source_prefixes=source_prefixes,
        audit=sink,
        where=where,
    )
    return settings
