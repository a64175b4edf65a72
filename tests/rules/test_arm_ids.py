"""ARM ids: alternating collection/name segments, keys compared case-insensitively (MS Learn, ARM resource ids)."""

import pytest

from azure_jit_access.rules.arm_ids import (
    arm_id_parts,
    parse_arm_id,
    resource_group_scope,
    subscription_of,
)

SUB = "00000000-0000-4000-8000-000000000001"
VM = f"/subscriptions/{SUB}/resourceGroups/RG-Jit/providers/Microsoft.Compute/virtualMachines/vm1"


def test_a_vm_id_parses_into_its_parts():
    parsed = parse_arm_id(VM)
    assert (parsed.subscription, parsed.resource_group, parsed.provider, parsed.type, parsed.name) == (
        SUB,
        "RG-Jit",
        "Microsoft.Compute",
        "virtualMachines",
        "vm1",
    )


def test_keys_are_case_insensitive():
    assert parse_arm_id(VM.replace("resourceGroups", "RESOURCEGROUPS")).resource_group == "RG-Jit"
    assert arm_id_parts(VM) == {
        "subscriptions": SUB,
        "resourcegroups": "rg-jit",
        "provider": "microsoft.compute",
        "virtualmachines": "vm1",
    }


def test_child_resources_and_scopes():
    jit = (
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Security/locations/westeurope/"
        "jitNetworkAccessPolicies/default"
    )
    parsed = parse_arm_id(jit)
    assert (parsed.type, parsed.name) == ("locations/jitNetworkAccessPolicies", "default")
    assert parse_arm_id(f"/subscriptions/{SUB}").subscription == SUB
    assert subscription_of(VM) == SUB and resource_group_scope(VM) == f"/subscriptions/{SUB}/resourceGroups/RG-Jit"
    assert resource_group_scope(f"/subscriptions/{SUB}") is None


@pytest.mark.parametrize(
    "value", ["", "vm1", "subscriptions/x", f"/subscriptions/{SUB}/resourceGroups", "/foo/bar", None]
)
def test_non_ids_are_a_value_error(value):
    with pytest.raises(ValueError, match="is not an ARM id"):
        parse_arm_id(value)
    assert arm_id_parts(None) == {}
