"""Pulumi components for just-in-time VM access on Azure.

    from azure_jit_access import JitProtectedVm, JitProtectedVmArgs, JitAccessPolicy, JitAccessPolicyArgs

Names are resolved on first use (PEP 562), so a program that uses only the VM component never imports the
Logic Apps or Monitor modules of azure-native: each of those costs import time on every `pulumi up`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "azure_jit_access.vm": ["JitProtectedVm", "JitProtectedVmArgs", "resolve_vm_settings"],
    "azure_jit_access.nsg_rules": ["NsgRule"],
    "azure_jit_access.defender": ["DefenderForServers", "DefenderForServersArgs", "DefenderExtension"],
    "azure_jit_access.jit_policy": [
        "JitAccessPolicy",
        "JitAccessPolicyArgs",
        "JitVirtualMachine",
        "JitPortRule",
        "resolve_policy",
    ],
    "azure_jit_access.bastion": ["BastionAccess", "BastionAccessArgs"],
    "azure_jit_access.requester_role": [
        "JitRequesterRole",
        "JitRequesterRoleArgs",
        "RoleAssignee",
        "requester_actions",
        "role_definition_guid",
    ],
    "azure_jit_access.wildcard_policy": [
        "DenyWildcardSourcePolicy",
        "DenyWildcardSourcePolicyArgs",
        "MANAGEMENT_PORTS",
        "WILDCARD_SOURCES",
    ],
    "azure_jit_access.approval.component": ["JitApprovalWorkflow", "JitApprovalWorkflowArgs", "AllowedVm"],
    "azure_jit_access.approval.request": ["FormsTrigger", "FormFields", "HttpTrigger"],
    "azure_jit_access.approval.validation": ["ValidationSpec", "VmRule", "rejection_reason"],
    "azure_jit_access.audit": ["JitAuditTrail", "JitAuditTrailArgs", "resolve_audit_settings"],
    "azure_jit_access.audit_sink": ["AuditSink"],
    "azure_jit_access.aliases": ["with_alias_pruning"],
    "azure_jit_access.existing_vm": ["ExistingVmGuard", "ExistingVmGuardArgs", "ExistingVm"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF) + ["kql", "validation"]


def __getattr__(name: str) -> Any:
    if name in ("kql", "validation"):
        return importlib.import_module(f"azure_jit_access.{name}")
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'azure_jit_access' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
