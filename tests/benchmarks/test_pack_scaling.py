"""The pack-scaling benchmark measures a clean estate: a violation would measure the reporting path instead."""

from benchmarks.pack_scaling import estate, main
from jit_guardrails import all_policies
from jit_guardrails.testing import judge_all


def test_the_synthetic_estate_is_clean_and_wired():
    resources = estate(120, per_group=50)
    types = [r.type for r in resources]
    assert types.count("azure-native:compute:VirtualMachine") == 120
    assert types.count("azure-native:security:JitNetworkAccessPolicy") == 3
    assert judge_all(all_policies(), resources) == []


def test_a_vm_without_its_nic_is_caught_so_the_estate_really_exercises_vm_has_nsg():
    resources = [r for r in estate(2) if r.name != "vm-1-nic"]
    assert [f.policy for f in judge_all(all_policies(), resources)] == ["vm-has-nsg"]


def test_the_table_prints_and_the_verdict_is_the_exit_status(capsys):
    assert main(["--sizes", "10,20", "--repeat", "1", "--tolerance", "100"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| VMs | resources | pack CPU time | per resource | violations |")
    assert (
        "| 10 | 27 |" in out
    )  # Defender, VNet, subnet, NSG, 2 rules, 10 NICs, 10 VMs, 1 JIT policy and "flat (tolerance 10000%)" in out
