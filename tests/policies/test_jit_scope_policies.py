"""jit-policy-vm-in-scope: a JIT policy only protects VMs of its own subscription, resource group and region.

The policy's id shape is the Microsoft.Security 2020-01-01 REST spec's (jitNetworkAccessPolicies.json):
/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Security/locations/{ascLocation}/...
"""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

from jit_guardrails.jit_scope import entry_problems

from .test_stack_policies import JIT, jit, nic_id, vm, vm_id

SCOPE = "jit-policy-vm-in-scope"
HOME = "/subscriptions/s"


def test_entries_in_the_policys_scope_pass(judge, make):
    assert judge(vm(make, "web-1", location="westeurope"), jit(make, vm_id("web-1")), policy=SCOPE) == []


def test_another_resource_group_is_refused(judge, make):
    found = judge(jit(make, vm_id("web-1", group="rg-other")), policy=SCOPE)
    assert found == [
        (
            SCOPE,
            "mandatory",
            "JIT policy 'jit' virtualMachines[0].id: the VM is in resource group 'rg-other', the policy in 'rg-app'. "
            "A JIT policy only protects VMs of its own subscription, resource group and region, so this VM's "
            "management ports are not under JIT.",
        )
    ]


def test_another_subscription_than_the_stacks_vm_is_refused(judge, make):
    elsewhere = vm_id("web-1").replace("/subscriptions/s/", "/subscriptions/t/")
    found = judge(vm(make, "web-1"), jit(make, elsewhere), policy=SCOPE)
    assert (
        len(found) == 1
        and "the id names subscription 't', but this stack's VM 'web-1' is in subscription s" in (found[0][2])
    )


def test_another_subscription_than_the_policys_own_id_is_refused():
    scope = ("s", "rg-app", "westeurope")
    elsewhere = vm_id("web-1").replace("/subscriptions/s/", "/subscriptions/t/")
    assert entry_problems(elsewhere, scope, {}) == ["the VM is in subscription 't', the policy in 's'"]
    assert entry_problems(vm_id("web-1"), scope, {}) == []


def test_another_region_is_refused_where_the_vm_location_is_known(judge, make):
    found = judge(vm(make, "web-1", location="East US"), jit(make, vm_id("web-1")), policy=SCOPE)
    assert len(found) == 1 and "the VM is in region eastus, the policy at 'westeurope'" in found[0][2]
    assert judge(vm(make, "web-1"), jit(make, vm_id("web-1")), policy=SCOPE) == []


@pytest.mark.parametrize("bad", ["web-1", f"{HOME}/resourceGroups/rg-app", nic_id("web-nic")])
def test_an_id_that_is_not_a_vm_id_is_refused(judge, make, bad):
    found = judge(jit(make, bad), policy=SCOPE)
    assert len(found) == 1 and f"'{bad}' is not a virtual machine id" in found[0][2]


def test_an_entry_built_from_unknown_values_is_reported_not_accepted(judge, make):
    found = judge(jit(make, UNKNOWN), policy=SCOPE)
    assert [(level, detail.split(" during preview: ")[1]) for _, level, detail in found] == [
        (
            "advisory",
            "JIT policy 'jit' virtualMachines[0].id is built from values not known yet, so its subscription, "
            "resource group and region cannot be checked (checked again with real values on `pulumi up`)",
        )
    ]
    machines = make(JIT, "later", {"resourceGroupName": "rg-app", "virtualMachines": UNKNOWN})
    assert [level for _, level, _ in judge(machines, policy=SCOPE)] == ["advisory"]
