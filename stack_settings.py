"""Resolved settings of the program's components: what the stack config decides, without the wiring.

`stack_config.read_config` validates the config once into these; `__main__.py` hands each one its wiring
(resource group, subnet id, VNet, the VMs, ...) through `args(...)` when it creates the component. So no
Args object ever holds a placeholder waiting to be filled in, and the component library never sees the
config namespace: it only receives complete Args.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from azure_jit_access.audit import JitAuditTrailArgs
from azure_jit_access.bastion import BastionAccessArgs
from azure_jit_access.defender import DefenderForServers
from azure_jit_access.jit_policy import JitAccessPolicyArgs, JitVirtualMachine
from azure_jit_access.vm import JitProtectedVm, JitProtectedVmArgs, NsgRule


@dataclass(frozen=True)
class Placement:
    """Where the resources will be, known from the config before any exists: settings are validated against it.

    `__main__.py` names the VNet and subnet from it too, so these are the ids Azure will give the resources,
    not stand-ins.
    """

    subscription: str
    group: str
    location: str

    @property
    def vnet_name(self) -> str:
        """The VNet's name."""
        return f"vnet-{self.group}"

    @property
    def subnet_name(self) -> str:
        """The workload subnet's name."""
        return "workload"

    @property
    def subnet_id(self) -> str:
        """The workload subnet's ARM id."""
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.group}/providers/Microsoft.Network/"
            f"virtualNetworks/{self.vnet_name}/subnets/{self.subnet_name}"
        )

    @property
    def group_id(self) -> str:
        """The resource group's ARM id."""
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.group}"

    def vm_id(self, name: str) -> str:
        """A VM's ARM id."""
        return f"{self.group_id}/providers/Microsoft.Compute/virtualMachines/{name}"


@dataclass(frozen=True)
class VmConfig:
    """One VM of `azure-jit-access:vms`."""

    vm_name: str
    os_type: str
    computer_name: str | None
    size: str
    image: Mapping[str, str] | None
    public_ip: bool
    management_ports: Sequence[int] | None
    winrm: bool
    ssh_public_key: str | None
    admin_username: str
    extra_rules: Sequence[NsgRule]
    tags: Mapping[str, str] = field(default_factory=dict)

    def args(
        self, *, resource_group_name: pulumi.Input[str], subnet_id: pulumi.Input[str], location: pulumi.Input[str]
    ) -> JitProtectedVmArgs:
        """The component's args: these settings in the given resource group and subnet."""
        return JitProtectedVmArgs(
            resource_group_name=resource_group_name,
            subnet_id=subnet_id,
            location=location,
            os_type=self.os_type,
            vm_name=self.vm_name,
            computer_name=self.computer_name,
            size=self.size,
            image=self.image,
            public_ip=self.public_ip,
            management_ports=self.management_ports,
            winrm=self.winrm,
            ssh_public_key=self.ssh_public_key,
            admin_username=self.admin_username,
            extra_rules=self.extra_rules,
            tags=self.tags,
        )


@dataclass(frozen=True)
class BastionConfig:
    """`azure-jit-access:bastion` and the Bastion subnet prefix (Bastion mode only)."""

    subnet_address_prefix: str
    sku: str
    enable_tunneling: bool
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)

    def args(
        self,
        *,
        resource_group_name: pulumi.Input[str],
        virtual_network_name: pulumi.Input[str],
        subnet_depends_on: Sequence[pulumi.Resource] = (),
    ) -> BastionAccessArgs:
        """The component's args: these settings in the given VNet."""
        return BastionAccessArgs(
            resource_group_name=resource_group_name,
            virtual_network_name=virtual_network_name,
            subnet_address_prefix=self.subnet_address_prefix,
            sku=self.sku,
            enable_tunneling=self.enable_tunneling,
            location=self.location,
            tags=self.tags,
            subnet_depends_on=subnet_depends_on,
        )


@dataclass(frozen=True)
class PolicyConfig:
    """The JIT policy's settings: sources, duration cap, name, and the Bastion prefix in Bastion mode."""

    location: str
    allowed_source_address_prefixes: Sequence[str]
    max_request_access_duration: str
    policy_name: str
    bastion_subnet_prefix: str | None = None

    def args(
        self,
        *,
        resource_group_name: pulumi.Input[str],
        virtual_machines: Sequence[JitProtectedVm | JitVirtualMachine],
        defender: DefenderForServers | None = None,
    ) -> JitAccessPolicyArgs:
        """The component's args: these settings for the given VMs, after Defender."""
        return JitAccessPolicyArgs(
            resource_group_name=resource_group_name,
            location=self.location,
            virtual_machines=virtual_machines,
            allowed_source_address_prefixes=self.allowed_source_address_prefixes,
            max_request_access_duration=self.max_request_access_duration,
            policy_name=self.policy_name,
            bastion_subnet_prefix=self.bastion_subnet_prefix,
            defender=defender,
        )


@dataclass(frozen=True)
class AuditConfig:
    """`azure-jit-access:audit` when `enabled: true`."""

    location: str
    alert_emails: Sequence[str]
    existing_workspace_id: str | None
    retention_in_days: int | None
    export_activity_log: bool
    alert_frequency: str
    alert_window: str
    retain_audit_data: bool
    tags: Mapping[str, str] = field(default_factory=dict)

    def args(self, *, resource_group_name: pulumi.Input[str], requester_role: str | None = None) -> JitAuditTrailArgs:
        """The component's args: these settings in the given resource group, watching the requester role."""
        return JitAuditTrailArgs(
            resource_group_name=resource_group_name,
            location=self.location,
            alert_emails=self.alert_emails,
            existing_workspace_id=self.existing_workspace_id,
            retention_in_days=self.retention_in_days,
            export_activity_log=self.export_activity_log,
            alert_frequency=self.alert_frequency,
            alert_window=self.alert_window,
            retain_audit_data=self.retain_audit_data,
            requester_role=requester_role,
            tags=self.tags,
        )
