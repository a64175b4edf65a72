"""Type tokens are state: they are in every URN, so no file move or rename may change them."""

from pathlib import Path

import pytest

from azure_jit_access import type_tokens

# Pinned literals, as deployed stacks carry them. Changing one needs a Pulumi alias and a CHANGELOG entry.
FROZEN = {
    "JIT_PROTECTED_VM": "azure-jit-access:vm:JitProtectedVm",
    "DEFENDER_FOR_SERVERS": "azure-jit-access:defender:DefenderForServers",
    "JIT_ACCESS_POLICY": "azure-jit-access:jit_policy:JitAccessPolicy",
    "BASTION_ACCESS": "azure-jit-access:bastion:BastionAccess",
    "JIT_REQUESTER_ROLE": "azure-jit-access:requester_role:JitRequesterRole",
    "DENY_WILDCARD_SOURCE_POLICY": "azure-jit-access:wildcard_policy:DenyWildcardSourcePolicy",
    "JIT_APPROVAL_WORKFLOW": "azure-jit-access:approval_workflow:JitApprovalWorkflow",
    "JIT_AUDIT_TRAIL": "azure-jit-access:audit:JitAuditTrail",
    "EXISTING_VM_GUARD": "azure-jit-access:existing_vm:ExistingVmGuard",
}


def test_every_type_token_keeps_its_deployed_value():
    declared = {name: value for name, value in vars(type_tokens).items() if name.isupper()}
    assert declared == FROZEN


@pytest.mark.parametrize("constant", sorted(FROZEN))
def test_each_token_is_registered_by_exactly_one_component_module(constant):
    # Read as text: the token must be referenced by name, never rebuilt from module or class names.
    modules = Path(type_tokens.__file__).parent.rglob("*.py")
    users = [module.name for module in modules if f"type_tokens.{constant}," in module.read_text()]
    assert len(users) == 1, users
