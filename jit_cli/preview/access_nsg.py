"""Standing NSG allow rules on a VM's JIT ports: access that needs no request at all.

JIT opens a port by adding a temporary allow rule to the NSG in front of the VM; an inbound Allow rule the
program declares itself on the same port is open all the time and bypasses JIT. A VM's NSGs are found from
its recorded resources: VM -> network interfaces -> the NIC's NSG and each IP configuration's subnet's NSG.
Rules are read in both forms (an NSG's inline `securityRules` and standalone `SecurityRule` resources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure_jit_access.rules.ports import covered_ports

NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:network:SecurityRule"
NIC = "azure-native:network:NetworkInterface"
SUBNET = "azure-native:network:Subnet"
VM = "azure-native:compute:VirtualMachine"


@dataclass(frozen=True)
class StandingRule:
    """An inbound Allow rule that opens a JIT port without a request."""

    nsg: str
    name: str
    priority: int
    sources: tuple[str, ...]

    def describe(self) -> str:
        return f"NSG rule {self.nsg}/{self.name} (priority {self.priority}) from {', '.join(self.sources)}"


def port_in(ranges: list[str], port: int) -> bool:
    """Whether an NSG port spec (`*`, `22`, `20-25`) covers the port; specs that are not port specs are skipped."""
    return bool(covered_ports(ranges, [port]))


def _protocols_meet(rule_protocol: str, jit_protocol: str) -> bool:
    a, b = rule_protocol.lower(), jit_protocol.lower()
    return "*" in (a, b) or a == b


def _id(value: Any) -> str | None:
    target = value.get("id") if isinstance(value, dict) else None
    return target.lower() if isinstance(target, str) else None


def _nsg_rules(resources: list[dict]) -> dict[str, list[tuple[str, dict]]]:
    """NSG id (lower case) -> (nsg name, rule properties) for both rule forms."""
    rules: dict[str, list[tuple[str, dict]]] = {}
    nsgs = {r["id"].lower(): r for r in resources if r["type"] == NSG and isinstance(r.get("id"), str)}
    for nsg_id, nsg in nsgs.items():
        for rule in nsg.get("inputs", {}).get("securityRules") or []:
            rules.setdefault(nsg_id, []).append((nsg["name"], {**rule, **(rule.get("properties") or {})}))
    for r in resources:
        rule_id = r.get("id")
        if r["type"] != RULE or not isinstance(rule_id, str) or "/securityrules/" not in rule_id.lower():
            continue
        nsg_id = rule_id.lower().split("/securityrules/", 1)[0]
        name = nsgs[nsg_id]["name"] if nsg_id in nsgs else nsg_id.rsplit("/", 1)[-1]
        rules.setdefault(nsg_id, []).append(
            (name, {"name": r["inputs"].get("securityRuleName") or r["name"], **r["inputs"]})
        )
    return rules


def nsgs_of_vms(resources: list[dict]) -> dict[str, set[str]]:
    """VM id (lower case) -> the ids of NSGs in front of it (NIC and subnet), as far as the program says."""
    by_id = {r["id"].lower(): r for r in resources if isinstance(r.get("id"), str)}
    found: dict[str, set[str]] = {}
    for vm in (r for r in resources if r["type"] == VM and isinstance(r.get("id"), str)):
        nsgs: set[str] = set()
        profile = vm.get("inputs", {}).get("networkProfile") or {}
        for ref in profile.get("networkInterfaces") or []:
            nic = by_id.get(_id(ref) or "")
            if nic is None:
                continue
            nsgs.add(_id(nic["inputs"].get("networkSecurityGroup")) or "")
            for config in nic["inputs"].get("ipConfigurations") or []:
                subnet = by_id.get(_id(config.get("subnet")) or "")
                if subnet is not None:
                    nsgs.add(_id(subnet["inputs"].get("networkSecurityGroup")) or "")
        found[vm["id"].lower()] = nsgs - {""}
    return found


def standing_rules(resources: list[dict]) -> dict[str, list[tuple[StandingRule, list[str], str]]]:
    """VM id (lower case) -> every inbound Allow rule in front of it, with its port specs and protocol."""
    rules = _nsg_rules(resources)
    table: dict[str, list[tuple[StandingRule, list[str], str]]] = {}
    for vm_id, nsg_ids in nsgs_of_vms(resources).items():
        for nsg_id in sorted(nsg_ids):
            for nsg_name, rule in rules.get(nsg_id, []):
                if (
                    str(rule.get("access", "")).lower() != "allow"
                    or str(rule.get("direction", "")).lower() != "inbound"
                ):
                    continue
                ports = rule.get("destinationPortRanges") or [rule.get("destinationPortRange") or ""]
                sources = rule.get("sourceAddressPrefixes") or [rule.get("sourceAddressPrefix") or "*"]
                standing = StandingRule(nsg_name, str(rule.get("name")), int(rule.get("priority") or 0), tuple(sources))
                table.setdefault(vm_id, []).append(
                    (standing, [str(p) for p in ports], str(rule.get("protocol") or "*"))
                )
    return table


def standing_for(table: dict, vm_id: str, port: int, protocol: str) -> list[StandingRule]:
    """The standing allow rules that open `port`/`protocol` on the VM."""
    found = {
        standing
        for standing, ports, rule_protocol in table.get(vm_id.lower(), [])
        if port_in(ports, port) and _protocols_meet(rule_protocol, protocol)
    }
    return sorted(found, key=lambda s: (s.priority, s.nsg, s.name))
