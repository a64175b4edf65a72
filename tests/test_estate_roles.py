"""estate.py: which config keys each role accepts, checked before anything is created."""

import pytest

from estate import ALL_IN_ONE, ESTATE_ONLY, PLATFORM, ROLE_KEYS, WORKLOAD, check_platform_stack, resolve_role
from stack_schema import TOP_LEVEL


def test_every_role_key_is_a_key_of_the_schema():
    for role, keys in ROLE_KEYS.items():
        assert keys <= set(TOP_LEVEL), (role, keys - set(TOP_LEVEL))
    assert ESTATE_ONLY <= set(TOP_LEVEL)


def test_the_default_role_is_all_in_one_and_accepts_every_key_but_the_estate_ones():
    assert resolve_role({}) == ALL_IN_ONE
    assert resolve_role({key: None for key in set(TOP_LEVEL) - ESTATE_ONLY - {"role"}}) == ALL_IN_ONE


@pytest.mark.parametrize("key", sorted(ESTATE_ONLY))
def test_all_in_one_refuses_the_estate_keys_naming_their_role(key):
    with pytest.raises(ValueError, match=rf"azure-jit-access:{key}: not used by the all-in-one role \(it belongs to"):
        resolve_role({key: "x"})


@pytest.mark.parametrize(
    "role, key, owner",
    [
        (PLATFORM, "vms", "all-in-one"),
        (PLATFORM, "existingVms", "workload"),
        (PLATFORM, "approvals", "all-in-one"),
        (WORKLOAD, "defender", "platform"),
        (WORKLOAD, "accessMode", "all-in-one"),
        (WORKLOAD, "subscriptions", "platform"),
    ],
)
def test_split_roles_refuse_keys_they_do_not_use(role, key, owner):
    with pytest.raises(ValueError) as err:
        resolve_role({"role": role, key: "x"})
    assert str(err.value) == (
        f"azure-jit-access:{key}: not used by the {role} role (it belongs to {owner}); remove it, or set "
        f"azure-jit-access:role to {owner} (docs/estate.md)"
    )


def test_an_unknown_role_suggests_the_closest():
    with pytest.raises(ValueError, match="'worklaod' is not a role; did you mean 'workload'?"):
        resolve_role({"role": "worklaod"})


@pytest.mark.parametrize("name", ["organization/azure-jit-access/platform", " acme/proj/platform-eu "])
def test_platform_stack_is_a_fully_qualified_name(name):
    assert check_platform_stack(name) == name.strip()


@pytest.mark.parametrize("name", [None, "platform", "acme/platform", "a/b/c/d", "a b/c/d"])
def test_a_platform_stack_that_is_not_org_project_stack_is_refused(name):
    with pytest.raises(ValueError, match="platformStack: required in the workload role, the platform stack as"):
        check_platform_stack(name)
