"""Pulumi components for just-in-time VM access on Azure.

    from components import JitProtectedVm, JitProtectedVmArgs, JitAccessPolicy, JitAccessPolicyArgs

Names are resolved on first use (PEP 562), so a program that uses only the VM component never imports the
Logic Apps or Monitor modules of azure-native: each of those costs import time on every `pulumi up`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "components.vm": ["JitProtectedVm", "JitProtectedVmArgs", "resolve_vm_settings"],
    "components.nsg_rules": ["NsgRule"],
    "components.defender": ["DefenderForServers", "DefenderForServersArgs", "DefenderExtension"],
    "components.jit_policy": ["JitAccessPolicy", "JitAccessPolicyArgs", "JitVirtualMachine", "JitPortRule",
                              "resolve_policy"],
    "components.bastion": ["BastionAccess", "BastionAccessArgs"],
    "components.requester_role": ["JitRequesterRole", "JitRequesterRoleArgs", "RoleAssignee", "requester_actions",
                                  "role_definition_guid"],
    "components.wildcard_policy": ["DenyWildcardSourcePolicy", "DenyWildcardSourcePolicyArgs", "MANAGEMENT_PORTS",
                                   "WILDCARD_SOURCES"],
    "components.approval_workflow": ["JitApprovalWorkflow", "JitApprovalWorkflowArgs", "AllowedVm"],
    "components.workflow_request": ["FormsTrigger", "FormFields", "HttpTrigger"],
    "components.workflow_validation": ["ValidationSpec", "VmRule", "rejection_reason"],
    "components.audit": ["JitAuditTrail", "JitAuditTrailArgs", "resolve_audit_settings"],
    "components.audit_sink": ["AuditSink"],
    "components.aliases": ["with_alias_pruning"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF) + ["kql", "validation"]


def __getattr__(name: str) -> Any:
    if name in ("kql", "validation"):
        return importlib.import_module(f"components.{name}")
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
