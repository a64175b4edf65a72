"""The "how do I connect now" line printed after `jit request --wait`: `ssh user@ip` or `mstsc /v:ip`.

The address comes from the policy (the Azure Firewall's public IP, when JIT fronts the VM with one), else
from the VM's primary NIC: its public IP, or its private IP (reachable over VPN or peering). Reads that fail
(no permission, no public IP) degrade to a hint that names the VM, never to an error: access is already open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COMPUTE_API_VERSION = "2024-07-01"
NETWORK_API_VERSION = "2024-05-01"


@dataclass(frozen=True)
class VmAddress:
    """Where and how to reach the VM."""

    address: str | None
    """The IP to connect to, None when unknown."""
    public: bool
    """Whether `address` is public (False: private, needs VPN/peering/Bastion)."""
    admin_user: str | None
    """The VM's admin user name (osProfile.adminUsername), the ssh default."""


def _primary(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: not (item.get("properties") or {}).get("primary", False))


def read_vm_address(reader: Any, vm_id: str) -> VmAddress:
    """Read the VM, its primary NIC and public IP with `reader.get(id, api_version)`; unknowns become None."""
    from azure.core.exceptions import AzureError

    admin_user = None
    try:
        vm = reader.get(vm_id, COMPUTE_API_VERSION).get("properties") or {}
        admin_user = (vm.get("osProfile") or {}).get("adminUsername")
        nics = _primary((vm.get("networkProfile") or {}).get("networkInterfaces") or [])
        private = None
        for nic_ref in nics:
            nic = reader.get(nic_ref["id"], NETWORK_API_VERSION).get("properties") or {}
            for config in _primary(nic.get("ipConfigurations") or []):
                props = config.get("properties") or {}
                private = private or props.get("privateIPAddress")
                public_ref = props.get("publicIPAddress") or {}
                if public_ref.get("id"):
                    public_ip = reader.get(public_ref["id"], NETWORK_API_VERSION).get("properties") or {}
                    if public_ip.get("ipAddress"):
                        return VmAddress(public_ip["ipAddress"], True, admin_user)
        return VmAddress(private, False, admin_user)
    except (AzureError, KeyError, TypeError, ValueError, AttributeError):
        return VmAddress(None, False, admin_user)


def connection_hint(
    vm_name: str, port: int, address: VmAddress, user: str | None, connect_port: int | None = None
) -> str:
    """The command to connect, for people: ssh for 22, mstsc for 3389, host:port otherwise.

    Args:
        vm_name: the VM, named when the address is unknown.
        port: the port that was opened on the VM (it decides ssh or mstsc).
        address: what `read_vm_address` (or the policy's firewall IP) found.
        user: `--user`, else the VM's admin user is suggested.
        connect_port: the port to dial when it differs (an Azure Firewall's mapped port).
    """
    login = user or address.admin_user or "<user>"
    host = address.address or f"<address of {vm_name}>"
    dial = connect_port or port
    if port == 3389:
        command = f"mstsc /v:{host}" if dial == 3389 else f"mstsc /v:{host}:{dial}"
    elif port == 22:
        command = f"ssh {login}@{host}" if dial == 22 else f"ssh -p {dial} {login}@{host}"
    else:
        command = f"connect to {host}:{dial}"
    if address.address is None:
        return (
            f"connect with: {command}  (no address readable for {vm_name}; "
            f"`az vm show -d -n {vm_name} -g <group> --query publicIps -o tsv` shows it)"
        )
    if not address.public:
        return f"connect with: {command}  (private address: over VPN, peering or Bastion)"
    return f"connect with: {command}"
