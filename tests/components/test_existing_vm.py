"""ExistingVmGuard: JIT for VMs that already exist, without a VM, NIC or NSG resource."""

import pytest

from azure_jit_access.existing_vm import (
    ExistingVm,
    ExistingVmGuard,
    ExistingVmGuardArgs,
    deny_ports_by_nsg,
    resolve_existing_vm,
)
from azure_jit_access.testing import run

SUB = "22222222-2222-4222-8222-222222222222"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-app"
VM1, VM2 = (f"{RG}/providers/Microsoft.Compute/virtualMachines/vm-{n}" for n in (1, 2))
NIC_NSG = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/vm-1-nsg"
SUBNET_NSG = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/snet-nsg"


def test_defaults_guard_the_os_port_on_every_listed_nsg():
    vm = resolve_existing_vm(ExistingVm(VM1, "West Europe", "windows", nsg_ids=[NIC_NSG]))
    assert (vm.name, vm.resource_group, vm.subscription, vm.ports) == ("vm-1", "rg-app", SUB, (3389,))
    assert vm.location == "westeurope"


def test_a_shared_subnet_nsg_gets_the_union_of_its_vms_ports_once():
    vms = [
        resolve_existing_vm(ExistingVm(VM1, "westeurope", "linux", nsg_ids=[NIC_NSG, SUBNET_NSG])),
        resolve_existing_vm(ExistingVm(VM2, "westeurope", "windows", [3389, 22], nsg_ids=[SUBNET_NSG.upper()])),
    ]
    assert deny_ports_by_nsg(vms) == {NIC_NSG.lower(): (NIC_NSG, [22]), SUBNET_NSG.lower(): (SUBNET_NSG, [22, 3389])}


def test_the_component_adds_standalone_denies_and_jit_entries_and_never_touches_the_vm():
    result = run(
        lambda: ExistingVmGuard(
            "legacy",
            ExistingVmGuardArgs(
                vms=[
                    ExistingVm(VM1, "westeurope", "linux", nsg_ids=[NIC_NSG]),
                    ExistingVm(VM2, "westeurope", "windows", nsg_ids=[SUBNET_NSG]),
                ]
            ),
        ),
        config={"azure-native:subscriptionId": SUB},
    )
    types = {r.type for r in result.resources if r.custom}
    assert types == {"azure-native:network:SecurityRule"}
    rules = result.find("azure-native:network:SecurityRule")
    # The same rule shape as JitProtectedVm's own NSGs: inbound Deny from any source, priority 4000+.
    assert sorted((r.inputs["networkSecurityGroupName"], r.inputs["destinationPortRange"]) for r in rules) == [
        ("snet-nsg", "3389"),
        ("vm-1-nsg", "22"),
    ]
    for rule in rules:
        assert rule.inputs["access"] == "Deny" and rule.inputs["direction"] == "Inbound"
        assert rule.inputs["sourceAddressPrefix"] == "*" and rule.inputs["priority"] == 4000
        assert rule.id.startswith(f"/subscriptions/{SUB}/resourceGroups/rg-")


def test_jit_entries_name_the_existing_vms():
    holder = {}

    def program():
        holder["guard"] = ExistingVmGuard(
            "legacy", ExistingVmGuardArgs(vms=[ExistingVm(VM1, "westeurope", "linux", [22, 2222], nsg_ids=[NIC_NSG])])
        )

    run(program)
    (entry,) = holder["guard"].jit_entries
    assert (entry.vm_id, entry.vm_name, list(entry.guarded_ports)) == (VM1, "vm-1", [22, 2222])


@pytest.mark.parametrize(
    "vm, message",
    [
        (ExistingVm("vm-1", "westeurope", nsg_ids=[NIC_NSG]), "vm.id: 'vm-1' is not an ARM id"),
        (ExistingVm(NIC_NSG, "westeurope", nsg_ids=[NIC_NSG]), "vm.id: '" + NIC_NSG + "' is not a virtualMachines id"),
        (ExistingVm(VM1, "westeurope"), "vm.nsgIds: list the NSG in front of the VM"),
        (ExistingVm(VM1, "westeurope", nsg_ids=[VM1]), "vm.nsgIds[0]: '" + VM1 + "' is not a networkSecurityGroups id"),
        (ExistingVm(VM1, "westeurope", nsg_ids=[NIC_NSG, NIC_NSG.upper()]), "vm.nsgIds[1]: "),
        (ExistingVm(VM1, "", nsg_ids=[NIC_NSG]), "vm.location: required, the VM's region"),
        (ExistingVm(VM1, "westeurope", "beos", nsg_ids=[NIC_NSG]), "vm.os: unknown OS 'beos'"),
        (
            ExistingVm(VM1, "westeurope", nsg_ids=[NIC_NSG.replace(SUB, "33333333-3333-4333-8333-333333333333")]),
            "vm.nsgIds[0]: /subscriptions/33333333",
        ),
    ],
)
def test_bad_existing_vms_are_refused_with_the_field(vm, message):
    with pytest.raises(ValueError) as err:
        resolve_existing_vm(vm, "vm")
    assert str(err.value).startswith(message)


def test_an_nsg_the_stack_manages_itself_is_refused_before_anything_is_created():
    with pytest.raises(ValueError, match=r"vms\[0\].nsgIds: .*vm-1-nsg is managed by this stack \(vm-1 component\)"):
        run(
            lambda: ExistingVmGuard(
                "legacy",
                ExistingVmGuardArgs(
                    vms=[ExistingVm(VM1, "westeurope", nsg_ids=[NIC_NSG])],
                    managed_nsg_ids={NIC_NSG.upper(): "vm-1 component"},
                ),
            )
        )


def test_a_vm_listed_twice_is_refused():
    with pytest.raises(ValueError, match=r"vms\[1\]: .*vm-1 is listed twice"):
        ExistingVmGuard(
            "legacy",
            ExistingVmGuardArgs(vms=[ExistingVm(VM1, "westeurope", nsg_ids=[NIC_NSG])] * 2),
        )
