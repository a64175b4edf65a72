"""Pack scaling: CPU time per resource of the whole guardrail pack at 100 to 2000 VMs, no engine.

Builds a synthetic estate in the props the engine would hand the pack (VMs in resource groups of 50, each
group with a VNet, a subnet, an NSG with standalone deny rules, one NIC per VM and one JIT policy listing the
group's VMs; plus Defender and the requester role), then evaluates every resource policy on every resource
and every stack policy once with `jit_guardrails.testing` (the same validate functions `jit preview` and
`pulumi preview` call). Prints the best of `--repeat` runs per size and whether time per resource stays
within `--tolerance` (15%) from the smallest to the largest size: a quadratic stack policy shows up here
long before a fleet does (issue 18: `vm-has-nsg` once took 86 s at 2000 VMs).

Run: `python benchmarks/pack_scaling.py` (or `--sizes 100,500,1000,2000 --repeat 3`).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "policies"))

from jit_guardrails import all_policies  # noqa: E402 - the pack is not an installed package
from jit_guardrails.testing import SyntheticResource, judge_resource, judge_stack, stack_resources  # noqa: E402

SUBSCRIPTION = "/subscriptions/00000000-0000-4000-8000-000000000001"
PORT = {
    "number": 22,
    "protocol": "TCP",
    "allowedSourceAddressPrefixes": ["203.0.113.10"],
    "maxRequestAccessDuration": "PT3H",
}


def estate(vms: int, per_group: int = 50) -> list[SyntheticResource]:
    """The synthetic estate: `vms` VMs in groups of `per_group`, wired by ARM ids as the engine wires them."""
    resources = [
        SyntheticResource(
            "azure-native:security:Pricing",
            "defender",
            {"pricingName": "VirtualMachines", "pricingTier": "Standard", "subPlan": "P2", "scopeId": SUBSCRIPTION},
            protect=True,
        )
    ]
    for group_index in range((vms + per_group - 1) // per_group):
        group = f"rg-fleet-{group_index}"
        rg = f"{SUBSCRIPTION}/resourceGroups/{group}/providers"
        nsg = f"nsg-{group_index}"
        resources += [
            SyntheticResource(
                "azure-native:network:VirtualNetwork",
                f"vnet-{group_index}",
                {"virtualNetworkName": f"vnet-{group_index}", "resourceGroupName": group},
            ),
            SyntheticResource(
                "azure-native:network:Subnet",
                f"subnet-{group_index}",
                {
                    "subnetName": "workload",
                    "virtualNetworkName": f"vnet-{group_index}",
                    "resourceGroupName": group,
                    "networkSecurityGroup": {"id": f"{rg}/Microsoft.Network/networkSecurityGroups/{nsg}"},
                },
            ),
            SyntheticResource(
                "azure-native:network:NetworkSecurityGroup",
                nsg,
                {"networkSecurityGroupName": nsg, "resourceGroupName": group},
            ),
            *[
                SyntheticResource(
                    "azure-native:network:SecurityRule",
                    f"{nsg}-deny-{port}",
                    {
                        "securityRuleName": f"deny-{port}",
                        "networkSecurityGroupName": nsg,
                        "resourceGroupName": group,
                        "access": "Deny",
                        "direction": "Inbound",
                        "protocol": "*",
                        "sourceAddressPrefix": "*",
                        "destinationPortRange": str(port),
                        "priority": 4000 + index,
                    },
                )
                for index, port in enumerate((22, 3389))
            ],
        ]
        machines = []
        for vm_index in range(group_index * per_group, min(vms, (group_index + 1) * per_group)):
            vm, nic = f"vm-{vm_index}", f"vm-{vm_index}-nic"
            subnet_id = f"{rg}/Microsoft.Network/virtualNetworks/vnet-{group_index}/subnets/workload"
            resources += [
                SyntheticResource(
                    "azure-native:network:NetworkInterface",
                    nic,
                    {
                        "networkInterfaceName": nic,
                        "resourceGroupName": group,
                        "ipConfigurations": [{"name": "ipconfig1", "subnet": {"id": subnet_id}}],
                    },
                ),
                SyntheticResource(
                    "azure-native:compute:VirtualMachine",
                    vm,
                    {
                        "vmName": vm,
                        "resourceGroupName": group,
                        "location": "westeurope",
                        "networkProfile": {
                            "networkInterfaces": [{"id": f"{rg}/Microsoft.Network/networkInterfaces/{nic}"}]
                        },
                    },
                ),
            ]
            machines.append({"id": f"{rg}/Microsoft.Compute/virtualMachines/{vm}", "ports": [PORT]})
        resources.append(
            SyntheticResource(
                "azure-native:security:JitNetworkAccessPolicy",
                f"jit-{group_index}",
                {
                    "jitNetworkAccessPolicyName": "default",
                    "resourceGroupName": group,
                    "ascLocation": "westeurope",
                    "kind": "Basic",
                    "virtualMachines": machines,
                },
            )
        )
    return resources


def measure(vms: int, repeat: int) -> tuple[int, float, int]:
    """(resources, best CPU seconds of the whole pack, violations found) for one size."""
    policies = all_policies()
    resources = estate(vms)
    best, violations = float("inf"), 0
    for _ in range(repeat):
        # As timeit does: the cyclic GC's full passes over the estate itself would be measured otherwise.
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            found = [f for r in resources for f in judge_resource(policies, r)]
            found += judge_stack(policies, stack_resources(resources))
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
        violations = len(found)
    return len(resources), best, violations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000,2000", help="VM counts, comma separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per size; the best (least disturbed) counts")
    parser.add_argument("--tolerance", type=float, default=0.15, help="allowed spread of time per resource")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    print("| VMs | resources | pack CPU time | per resource | violations |")
    print("|---:|---:|---:|---:|---:|")
    per_resource = []
    for vms in sizes:
        count, seconds, violations = measure(vms, args.repeat)
        per_resource.append(seconds / count)
        print(f"| {vms} | {count} | {seconds:.2f} s | {seconds / count * 1000:.3f} ms | {violations} |")
    spread = max(per_resource) / min(per_resource) - 1
    verdict = "flat" if spread <= args.tolerance else "NOT flat"
    print(
        f"\nTime per resource varies by {spread:.0%} from {sizes[0]} to {sizes[-1]} VMs: {verdict} "
        f"(tolerance {args.tolerance:.0%})."
    )
    return 0 if spread <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
