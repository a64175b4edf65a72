"""Role actions: the requester set, privileged built-ins, and RBAC matching with notActions.

References: MS Learn "permissions needed to configure and use JIT" (requester actions), "Azure built-in roles"
(role ids), and "Understand Azure role definitions" (wildcards, case-insensitive, notActions per block).
"""

import pytest

from azure_jit_access.rules.roles import (
    DEFAULT_REQUESTER_ACTIONS,
    INITIATE_ACTION,
    PORTAL_ACTIONS,
    PRIVILEGED_ROLES,
    REQUESTER_ACTIONS,
    action_matches,
    effective_actions,
    grants,
    requester_action_problem,
)


def test_the_role_grants_only_what_the_pack_allows():
    assert set(REQUESTER_ACTIONS + PORTAL_ACTIONS) <= set(DEFAULT_REQUESTER_ACTIONS)
    assert all(requester_action_problem(a) is None for a in DEFAULT_REQUESTER_ACTIONS)


def test_privileged_roles_are_the_built_in_ids():
    assert PRIVILEGED_ROLES["8e3af657-a8ff-443c-a75c-2fe8c4bcb635"] == "Owner"
    assert PRIVILEGED_ROLES["b24988ac-6180-42a0-ab88-20f7382dd24c"] == "Contributor"
    assert len(PRIVILEGED_ROLES) == 6


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ("*", True),
        ("Microsoft.Security/*", True),
        ("microsoft.security/locations/jitnetworkaccesspolicies/*", True),
        ("Microsoft.Security/locations/*/initiate/action", True),
        ("Microsoft.Security/locations/jitNetworkAccessPolicies/*/read", False),
        ("Microsoft.Compute/*", False),
    ],
)
def test_action_matching(pattern, matches):
    assert action_matches(pattern, INITIATE_ACTION) is matches


def test_not_actions_subtract_within_their_block_only():
    assert not grants([{"actions": ["*"], "notActions": ["Microsoft.Security/*"]}], INITIATE_ACTION)
    assert grants(
        [{"actions": ["*"], "notActions": ["Microsoft.Security/*"]}, {"actions": [INITIATE_ACTION]}], INITIATE_ACTION
    )
    assert effective_actions(
        [{"actions": ["Microsoft.Compute/*"], "notActions": ["*/delete"]}],
        [
            "Microsoft.Compute/virtualMachines/read",
            "Microsoft.Compute/virtualMachines/delete",
        ],
    ) == ["Microsoft.Compute/virtualMachines/read"]
    assert not grants([{"actions": "not-a-list"}], INITIATE_ACTION)


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ("*", "is a wildcard"),
        ("Microsoft.Network/networkSecurityGroups/*", "is a wildcard"),
        ("Microsoft.Network/networkSecurityGroups/securityRules/write", "is a write/delete action"),
        ("Microsoft.Compute/virtualMachines/delete", "is a write/delete action"),
        ("Microsoft.Compute/virtualMachines/start/action", "is not one of the allowed requester actions"),
        ("Microsoft.Storage/storageAccounts/read", "is not one of the allowed requester actions"),
    ],
)
def test_requester_action_problems(action, problem):
    assert problem in requester_action_problem(action)
