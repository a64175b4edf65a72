"""Deterministic names: one role naming scheme, pinned to the names the shipped dev stack already uses.

Azure allows one role assignment per (scope, role definition, principal) and answers 409 RoleAssignmentExists
to a second name for the same triple (MS Learn, "Troubleshoot Azure RBAC"), so the name is derived from exactly
that triple. The expected GUIDs are the dev stack's (`jit preview --stack dev`): changing them would replace live
role assignments.
"""

import re

from azure_jit_access.rules.names import owned_name, owner_label, role_assignment_name, role_definition_name

SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
RG = f"{SUB}/resourceGroups/rg-jit-dev"
ROLE = "e0a945bc-dbb7-518c-b920-c131817b36e9"
GROUP = "6f2c9a1e-3b7d-4e55-9c0a-1d2e3f4a5b6c"


def test_the_dev_stacks_names_do_not_change():
    assert role_definition_name(SUB, "JIT VM Access Requester (azure-jit-access-dev)") == ROLE
    assert role_assignment_name(RG, ROLE, GROUP) == "05b4d1db-8906-5326-8b8a-ad6cb9b25745"


def test_names_ignore_the_case_of_ids_but_not_what_they_name():
    assert role_assignment_name(RG.upper(), ROLE, GROUP.upper()) == role_assignment_name(RG, ROLE, GROUP)
    assert role_definition_name(SUB, "Role") == role_definition_name(SUB.upper(), "ROLE")
    others = {
        role_assignment_name(f"{SUB}/resourceGroups/other", ROLE, GROUP),
        role_assignment_name(RG, "11111111-1111-1111-1111-111111111111", GROUP),
        role_assignment_name(RG, ROLE, "22222222-2222-2222-2222-222222222222"),
    }
    assert role_assignment_name(RG, ROLE, GROUP) not in others and len(others) == 3


# Policy assignment names: at most 24 characters at management-group scope (InvalidPolicyAssignmentName, "must not
# exceed '24' characters", Azure/azure-cli#10176) and the REST pattern ^[^<>*%&:\?.+/]*[^<>*%&:\?.+/ ]+$
# (Policy Assignments - Create, api-version 2023-04-01).
ASSIGNMENT_NAME = re.compile(r"^[^<>*%&:\\?.+/]*[^<>*%&:\\?.+/ ]+$")


def test_owned_names_differ_per_owning_stack_and_are_stable():
    a = owned_name("deny-wildcard-nsg", owner_label("azure-jit-access", "platform"))
    b = owned_name("deny-wildcard-nsg", owner_label("azure-jit-access", "platform-eu"))
    assert a != b and a == owned_name("deny-wildcard-nsg", "AZURE-JIT-ACCESS-PLATFORM")
    assert a.startswith("deny-wildcard-nsg-") and len(a) == 24


def test_owned_names_fit_a_management_group_assignment():
    for base in ("deny-wildcard-nsg", "deny-wildcard-jit", "audit-jit-mgmt-ports", "x" * 60):
        name = owned_name(base, "azure-jit-access-platform")
        assert len(name) <= 24 and ASSIGNMENT_NAME.fullmatch(name), name
    assert len(owned_name("jit-audit", "p-s", 64)) == len("jit-audit") + 7
