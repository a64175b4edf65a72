"""Pulumi components for just-in-time VM access on Azure.

    from azure_jit_access import JitProtectedVm, JitProtectedVmArgs, JitAccessPolicy, JitAccessPolicyArgs

`__all__` lists the components, their args and the nested arg types; everything else is imported from its
module, and the security rules from `azure_jit_access.rules`.

Names are resolved on first use (PEP 562), so a program that uses only the VM component never imports the
Logic Apps or Monitor modules of azure-native: each of those costs import time on every `pulumi up`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "azure_jit_access.vm": ["JitProtectedVm", "JitProtectedVmArgs"],
    "azure_jit_access.nsg_rules": ["NsgRule"],
    "azure_jit_access.defender": ["DefenderForServers", "DefenderForServersArgs", "DefenderExtension"],
    "azure_jit_access.jit_policy": [
        "JitAccessPolicy",
        "JitAccessPolicyArgs",
        "JitVirtualMachine",
        "JitPortRule",
    ],
    "azure_jit_access.bastion": ["BastionAccess", "BastionAccessArgs"],
    "azure_jit_access.requester_role": [
        "JitRequesterRole",
        "JitRequesterRoleArgs",
        "RoleAssignee",
    ],
    "azure_jit_access.wildcard_policy": [
        "DenyWildcardSourcePolicy",
        "DenyWildcardSourcePolicyArgs",
    ],
    "azure_jit_access.approval.component": ["JitApprovalWorkflow", "JitApprovalWorkflowArgs", "AllowedVm"],
    "azure_jit_access.approval.request": ["FormsTrigger", "FormFields", "HttpTrigger"],
    "azure_jit_access.audit": ["JitAuditTrail", "JitAuditTrailArgs"],
    "azure_jit_access.audit_sink": ["AuditSink"],
    "azure_jit_access.existing_vm": ["ExistingVmGuard", "ExistingVmGuardArgs", "ExistingVm"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

# The public API: components, their args and the nested arg types, nothing else. Rules live in
# `azure_jit_access.rules`, helpers in their modules (`azure_jit_access.vm.resolve_vm_settings`, ...).
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'azure_jit_access' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
