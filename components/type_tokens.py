"""Component type tokens, frozen.

A type token is part of every URN of the component and its children, so it is Pulumi state: changing one
(a file move, a rename) makes `pulumi up` delete and recreate everything under it. They are literals here,
never derived from module or class names; `tests/components/test_type_tokens.py` pins them.
"""

from __future__ import annotations

from typing import Final

JIT_PROTECTED_VM: Final = "azure-jit-access:vm:JitProtectedVm"
DEFENDER_FOR_SERVERS: Final = "azure-jit-access:defender:DefenderForServers"
JIT_ACCESS_POLICY: Final = "azure-jit-access:jit_policy:JitAccessPolicy"
BASTION_ACCESS: Final = "azure-jit-access:bastion:BastionAccess"
JIT_REQUESTER_ROLE: Final = "azure-jit-access:requester_role:JitRequesterRole"
DENY_WILDCARD_SOURCE_POLICY: Final = "azure-jit-access:wildcard_policy:DenyWildcardSourcePolicy"
JIT_APPROVAL_WORKFLOW: Final = "azure-jit-access:approval_workflow:JitApprovalWorkflow"
JIT_AUDIT_TRAIL: Final = "azure-jit-access:audit:JitAuditTrail"
EXISTING_VM_GUARD: Final = "azure-jit-access:existing_vm:ExistingVmGuard"
