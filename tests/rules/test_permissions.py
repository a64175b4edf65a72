"""The effective-permissions model: every role of a principal (and of its groups) added up, per Azure RBAC.

Azure's rule (Microsoft Learn, "Understand Azure role definitions", NotActions): notActions subtract from the
actions of the same role definition block; they are not deny assignments, so another role can grant the action
again. Built-in role contents: Microsoft Learn, "Azure built-in roles" (BUILT_IN_ROLES_SOURCE).
"""

import pytest

from azure_jit_access.rules.permissions import (
    ACCESS_WIDENING_ACTIONS,
    BUILT_IN_ROLES,
    BUILT_IN_ROLES_SOURCE,
    PermissionBlock,
    PermissionModel,
    Role,
    blocks_from_permissions,
    role,
)
from azure_jit_access.rules.roles import INITIATE_ACTION, PRIVILEGED_ROLES

RULE_WRITE = "Microsoft.Network/networkSecurityGroups/securityRules/write"
NSG_WRITE = "Microsoft.Network/networkSecurityGroups/write"
JIT_WRITE = "Microsoft.Security/locations/jitNetworkAccessPolicies/write"
NIC_WRITE = "Microsoft.Network/networkInterfaces/write"
ASSIGN = "Microsoft.Authorization/roleAssignments/write"

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
VM_CONTRIBUTOR = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
SECURITY_ADMIN = "fb1c8493-542b-48eb-b624-b4c8fea62acd"
USER_ACCESS_ADMIN = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMIN = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"

REQUESTER = role("JIT requester", [INITIATE_ACTION, "Microsoft.Compute/virtualMachines/read"])


def model_with(*assignments, roles=None, members=()):
    model = PermissionModel()
    for key, definition in (roles or {}).items():
        model.add_role(key, definition)
    for principal, key in assignments:
        model.assign(principal, key)
    for group, member in members:
        model.add_member(group, member)
    return model


# (built-in role, action, granted?) straight from the built-in roles reference.
BUILT_IN_TABLE = [
    (OWNER, RULE_WRITE, True),
    (OWNER, ASSIGN, True),
    (CONTRIBUTOR, RULE_WRITE, True),
    (CONTRIBUTOR, JIT_WRITE, True),
    (CONTRIBUTOR, ASSIGN, False),  # notActions Microsoft.Authorization/*/Write
    (READER, RULE_WRITE, False),
    (READER, "Microsoft.Network/networkSecurityGroups/read", True),
    (NETWORK_CONTRIBUTOR, RULE_WRITE, True),
    (NETWORK_CONTRIBUTOR, NSG_WRITE, True),
    (NETWORK_CONTRIBUTOR, JIT_WRITE, False),
    (VM_CONTRIBUTOR, NIC_WRITE, True),  # Microsoft.Network/networkInterfaces/*
    (VM_CONTRIBUTOR, RULE_WRITE, False),
    (VM_CONTRIBUTOR, "Microsoft.Network/networkSecurityGroups/join/action", True),
    (SECURITY_ADMIN, JIT_WRITE, True),  # Microsoft.Security/*
    (SECURITY_ADMIN, RULE_WRITE, False),
    (USER_ACCESS_ADMIN, ASSIGN, True),
    (USER_ACCESS_ADMIN, RULE_WRITE, False),
    (RBAC_ADMIN, ASSIGN, True),
    (RBAC_ADMIN, "Microsoft.Authorization/roleDefinitions/write", False),
]


@pytest.mark.parametrize(("guid", "action", "granted"), BUILT_IN_TABLE)
def test_built_in_roles_grant_what_microsoft_documents(guid, action, granted):
    assert model_with(("p", guid)).can("p", action) is granted


def test_every_privileged_role_of_the_rules_core_is_modelled():
    assert set(PRIVILEGED_ROLES) <= set(BUILT_IN_ROLES)
    assert BUILT_IN_ROLES_SOURCE.startswith("https://learn.microsoft.com/")


# (role blocks, action, granted?): wildcards and notActions inside one role.
BLOCK_TABLE = [
    ([(["*"], [])], RULE_WRITE, True),
    ([(["Microsoft.Network/*"], [])], RULE_WRITE, True),
    ([(["microsoft.network/NETWORKSECURITYGROUPS/*"], [])], RULE_WRITE, True),  # case-insensitive
    ([(["Microsoft.Network/*/write"], [])], RULE_WRITE, True),  # a wildcard in the middle
    ([(["Microsoft.Network/*/read"], [])], RULE_WRITE, False),
    ([(["Microsoft.Network/*"], ["Microsoft.Network/*/write"])], RULE_WRITE, False),
    (
        [(["Microsoft.Network/networkSecurityGroups/*"], ["Microsoft.Network/networkSecurityGroups/securityRules/*"])],
        NSG_WRITE,
        True,
    ),  # the notActions trick: rule writes removed, whole-NSG writes kept
    ([(["Microsoft.Network/*"], [RULE_WRITE]), ([RULE_WRITE], [])], RULE_WRITE, True),  # another block grants it
    ([(["Microsoft.Security/*"], ["Microsoft.Security/locations/*"])], JIT_WRITE, False),
]


@pytest.mark.parametrize(("blocks", "action", "granted"), BLOCK_TABLE)
def test_wildcards_and_not_actions_within_a_role(blocks, action, granted):
    custom = Role("custom", tuple(PermissionBlock(tuple(a), tuple(n)) for a, n in blocks))
    assert model_with(("p", "custom"), roles={"custom": custom}).can("p", action) is granted


def test_not_actions_of_one_role_do_not_remove_what_another_role_grants():
    narrowed = role("narrowed", ["Microsoft.Network/*"], [RULE_WRITE])
    model = model_with(
        ("p", "narrowed"), ("p", "rules"), roles={"narrowed": narrowed, "rules": role("r", [RULE_WRITE])}
    )
    assert model.granted_by("p", RULE_WRITE) == ["r"]
    assert model_with(("p", "narrowed"), roles={"narrowed": narrowed}).can("p", RULE_WRITE) is False


def test_permissions_split_across_roles_add_up():
    model = model_with(
        ("alice", "requester"), ("alice", VM_CONTRIBUTOR), ("alice", SECURITY_ADMIN), roles={"requester": REQUESTER}
    )
    assert model.can_initiate("alice")
    assert set(model.widening_actions("alice")) == {NIC_WRITE, JIT_WRITE}
    assert model.widening_actions("alice")[JIT_WRITE] == ["Security Admin"]


def test_a_user_inherits_the_roles_of_its_groups_transitively():
    model = model_with(
        ("requesters", "requester"),
        ("admins", NETWORK_CONTRIBUTOR),
        roles={"requester": REQUESTER},
        members=[("requesters", "bob"), ("admins", "requesters")],  # admins contains requesters contains bob
    )
    assert model.can_initiate("bob")
    assert model.granted_by("bob", RULE_WRITE) == ["Network Contributor (via group admins)"]
    assert model.can("carol", RULE_WRITE) is False


def test_group_cycles_terminate():
    model = model_with(("a", OWNER), members=[("a", "b"), ("b", "a")])
    assert model.principals_of("b") == ["b", "a"]
    assert model.can("b", RULE_WRITE)


def test_principal_ids_and_role_keys_are_case_insensitive():
    model = model_with(("ABC", NETWORK_CONTRIBUTOR.upper()))
    assert model.can("abc", RULE_WRITE)


def test_unknown_roles_are_reported_not_guessed():
    model = model_with(("p", "11111111-2222-4333-8444-555555555555"), ("p", READER))
    assert model.unknown_roles("p") == ["11111111-2222-4333-8444-555555555555"]
    assert model.widening_actions("p") == {}


def test_requester_role_alone_widens_nothing():
    model = model_with(("p", "requester"), ("p", READER), roles={"requester": REQUESTER})
    assert model.can_initiate("p") and model.widening_actions("p") == {}


def test_blocks_are_read_from_camel_case_permissions():
    blocks = blocks_from_permissions(
        [{"actions": ["Microsoft.Network/*"], "notActions": [RULE_WRITE]}, "junk", {"actions": None}]
    )
    assert blocks == (PermissionBlock(("Microsoft.Network/*",), (RULE_WRITE,)), PermissionBlock((), ()))


def test_the_issue_actions_are_access_widening():
    assert {RULE_WRITE, NSG_WRITE, JIT_WRITE} <= set(ACCESS_WIDENING_ACTIONS)


def test_a_requester_is_whoever_holds_a_role_that_initiates_and_widens_nothing():
    split = Role("split", (PermissionBlock((INITIATE_ACTION,)), PermissionBlock((RULE_WRITE,))))
    model = model_with(
        ("req", "requester"),
        ("req", OWNER),
        ("admin", OWNER),
        ("split", "split"),
        roles={"requester": REQUESTER, "split": split},
    )
    assert model.holds_requester_role("req") is True
    assert model.holds_requester_role("admin") is False  # Owner can initiate, but it is an admin role
    assert model.holds_requester_role("split") is False  # judged by jit-requester-role-least-privilege


def test_the_roles_this_project_assigns_are_modelled():
    from azure_jit_access.audit_table import MONITORING_METRICS_PUBLISHER

    assert BUILT_IN_ROLES[MONITORING_METRICS_PUBLISHER].name == "Monitoring Metrics Publisher"
    assert model_with(("p", MONITORING_METRICS_PUBLISHER)).widening_actions("p") == {}
