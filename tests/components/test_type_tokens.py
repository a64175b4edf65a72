"""Type tokens are state: they are in every URN, so no file move or rename may change them."""

import inspect

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
}


def test_every_type_token_keeps_its_deployed_value():
    declared = {name: value for name, value in vars(type_tokens).items() if name.isupper()}
    assert declared == FROZEN


@pytest.mark.parametrize("constant", sorted(FROZEN))
def test_each_token_is_used_by_exactly_one_component_module(constant):
    import azure_jit_access

    users = []
    for name in azure_jit_access.__all__:
        obj = getattr(azure_jit_access, name)
        if inspect.isclass(obj) and f"type_tokens.{constant}" in inspect.getsource(obj):
            users.append(name)
    assert len(users) == 1, users
