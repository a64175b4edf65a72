"""`JitProtectedVm`: a Linux or Windows VM whose management ports are closed until JIT opens them.

Why the NSG has no inline rules: an NSG declared with `security_rules` is PUT with exactly that list on
every `pulumi up`, which deletes the rules JIT adds while a request is active (pulumi-azure-native#3359).
Declared without them, the provider keeps the live rules, so every rule here is a standalone
`network.SecurityRule`, including the caller's own.

NSG priority bands (lower number wins):

| priorities | written by | what |
|------------|-----------|------|
| ~100-199   | JIT       | temporary Allow per approved request (JIT picks free numbers, usually 100-110) |
| 200-3899   | caller    | `extra_rules`, e.g. 443 from Internet; never an inbound Allow on a management port |
| >= 1000    | JIT       | JIT's own Deny per policy port (4096 seen); it picks free numbers in the gaps |
| 4000-4095  | this      | one inbound Deny per management port, any source, any protocol |

Our Deny rules make the NSG closed before JIT is configured, and also to traffic from inside the VNet,
which the NSG's default `AllowVnetInBound` (65000) would otherwise let through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_random as random
from pulumi_azure_native import compute, network

from azure_jit_access import type_tokens, validation
from azure_jit_access.aliases import with_alias_pruning
from azure_jit_access.nsg_rules import NsgRule, rule_fields, validate_extra_rules

DENY_PRIORITY_BASE, DENY_PRIORITY_MAX = 4000, 4095
DEFAULT_PORTS = {"linux": (22,), "windows": (3389,)}
WINRM_PORTS = (5985, 5986)
DEFAULT_IMAGES = {
    "linux": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
    "windows": {
        "publisher": "MicrosoftWindowsServer",
        "offer": "WindowsServer",
        "sku": "2022-datacenter-azure-edition",
        "version": "latest",
    },
}


@dataclass
class JitProtectedVmArgs:
    """Arguments of `JitProtectedVm`."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the VM, NIC, NSG and public IP (also the JIT policy's resource group)."""
    subnet_id: pulumi.Input[str]
    """Existing subnet for the NIC; this component never creates networks."""
    os_type: str
    """`linux` (SSH key login only) or `windows` (generated admin password, kept as a Pulumi secret)."""
    ssh_public_key: str | None = None
    """OpenSSH public key; required for linux, refused for windows."""
    admin_username: str = "azureuser"
    """Local admin user name."""
    location: pulumi.Input[str] | None = None
    """Region; defaults to the provider's `azure-native:location`."""
    vm_name: str | None = None
    """Azure VM name; defaults to the component name. Counts towards JIT's 56-character limit."""
    computer_name: str | None = None
    """Guest host name; defaults to the VM name (Windows allows 15 characters)."""
    size: str = "Standard_B2s"
    """VM size."""
    image: Mapping[str, str] | None = None
    """`publisher`, `offer`, `sku`, `version`; defaults to Ubuntu 24.04 LTS or Windows Server 2022 Azure Edition."""
    public_ip: bool = False
    """Give the NIC a Standard static public IP (leave off in Bastion mode)."""
    management_ports: Sequence[int] | None = None
    """Ports JIT guards; defaults to 22 (linux) or 3389 (windows)."""
    winrm: bool = False
    """Windows only: also guard WinRM 5985/5986."""
    extra_rules: Sequence[NsgRule] = ()
    """Caller rules, created standalone (never inline)."""
    trusted_launch: bool = True
    """Secure boot and vTPM; turn off only for images that are not generation 2."""
    tags: Mapping[str, str] | None = None
    """Tags for every child resource."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases (only for stacks created with versioned type tokens)."""


@dataclass(frozen=True)
class VmSettings:
    """The validated, defaulted form of `JitProtectedVmArgs` (what the component builds from)."""

    vm_name: str
    computer_name: str
    os_type: str
    admin_username: str
    ssh_public_key: str | None
    size: str
    image: dict[str, str]
    public_ip: bool
    management_ports: tuple[int, ...]
    extra_rules: tuple[NsgRule, ...]
    tags: dict[str, str] = field(default_factory=dict)


def resolve_vm_settings(name: str, args: JitProtectedVmArgs) -> VmSettings:
    """Validate `args` and fill in defaults; raises `ValueError` naming the field. Creates nothing."""
    os_type = validation.validate_os_type(args.os_type, "os_type")
    vm_name = validation.validate_resource_name(args.vm_name or name, "vm_name", 64)
    computer_name = validation.validate_computer_name(args.computer_name or vm_name, os_type, "computer_name")
    admin = validation.validate_admin_username(args.admin_username, os_type, "admin_username")
    key = None
    if os_type == "linux":
        key = validation.validate_ssh_public_key(args.ssh_public_key, "ssh_public_key")
    elif args.ssh_public_key:
        raise ValueError("ssh_public_key: windows VMs use a generated admin password; remove the key")
    if args.winrm and os_type != "windows":
        raise ValueError("winrm: WinRM ports 5985/5986 apply to windows VMs only; set winrm=False")
    if args.management_ports is None:
        ports = list(DEFAULT_PORTS[os_type])
    else:
        ports = validation.validate_ports(args.management_ports, "management_ports")
    if args.winrm:
        ports += [p for p in WINRM_PORTS if p not in ports]
    if len(ports) > DENY_PRIORITY_MAX - DENY_PRIORITY_BASE + 1:
        raise ValueError(
            f"management_ports: at most {DENY_PRIORITY_MAX - DENY_PRIORITY_BASE + 1} ports fit the "
            f"deny band {DENY_PRIORITY_BASE}-{DENY_PRIORITY_MAX}"
        )
    image = dict(args.image or DEFAULT_IMAGES[os_type])
    missing = [k for k in ("publisher", "offer", "sku", "version") if not image.get(k)]
    if missing:
        raise ValueError(f"image: missing {missing}; give publisher, offer, sku and version (e.g. 'latest')")
    extra = sorted(set(image) - {"publisher", "offer", "sku", "version"})
    if extra:
        raise ValueError(f"image: unknown key(s) {extra}; give only publisher, offer, sku and version")
    if not isinstance(args.size, str) or not args.size.startswith(("Standard_", "Basic_")):
        raise ValueError(f"size: {args.size!r} is not a VM size such as 'Standard_B2s'")
    rules = validate_extra_rules(list(args.extra_rules), ports)
    return VmSettings(
        vm_name=vm_name,
        computer_name=computer_name,
        os_type=os_type,
        admin_username=admin,
        ssh_public_key=key,
        size=args.size,
        image=image,
        public_ip=bool(args.public_ip),
        management_ports=tuple(ports),
        extra_rules=rules,
        tags=validation.validate_tags(args.tags),
    )


class JitProtectedVm(pulumi.ComponentResource):
    """A VM behind its own NSG whose management ports are denied until a JIT request opens them.

    Creates: an NSG without inline rules; one standalone inbound Deny per management port (priority 4000+,
    any source and protocol, so UDP 3389 is closed too); the caller's `extra_rules`; an optional Standard
    public IP; a NIC in the given subnet with the NSG; for Windows a `random.RandomPassword` admin password
    (a secret); the VM (Linux: SSH key only, password login disabled). The VM waits for the Deny rules so
    it never boots with open management ports. Pair it with `JitAccessPolicy` to make the ports requestable.

    Example:
        vm = JitProtectedVm("web", JitProtectedVmArgs(
            resource_group_name=rg.name, subnet_id=subnet.id, os_type="linux",
            ssh_public_key=key, extra_rules=[NsgRule("https", 200, [443], ["Internet"])]))
    """

    vm_id: pulumi.Output[str]
    vm_name: pulumi.Output[str]
    resource_group_name: pulumi.Output[str]
    location: pulumi.Output[str]
    management_ports: pulumi.Output[list[int]]
    nsg_id: pulumi.Output[str]
    nsg_name: pulumi.Output[str]
    private_ip_address: pulumi.Output[str]
    public_ip_address: pulumi.Output[str | None] | None
    """None without a public IP (Bastion mode); the SDK types the allocated address optional."""
    admin_password: pulumi.Output[str] | None

    def __init__(self, name: str, args: JitProtectedVmArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = resolve_vm_settings(name, args)  # before anything is registered
        super().__init__(
            type_tokens.JIT_PROTECTED_VM, name, None, with_alias_pruning(opts, args.keep_api_version_aliases)
        )
        self.settings = settings
        child = pulumi.ResourceOptions(parent=self)
        # Passed by name to every child, never splatted: a `**dict` switches off the SDK's typed arguments.
        group, location, tags = args.resource_group_name, args.location, settings.tags or None
        vm_name = settings.vm_name

        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg",
            network_security_group_name=f"{vm_name}-nsg",
            resource_group_name=group,
            location=location,
            tags=tags,
            opts=child,
        )
        denies = deny_management_ports(
            f"{name}-deny", args.resource_group_name, nsg.name, settings.management_ports, parent=self
        )
        previous: list[pulumi.Resource] = list(denies[-1:])
        for rule_spec in settings.extra_rules:
            ports, sources = rule_fields(rule_spec)
            rule = network.SecurityRule(
                f"{name}-rule-{rule_spec.name}",
                resource_group_name=args.resource_group_name,
                network_security_group_name=nsg.name,
                security_rule_name=rule_spec.name,
                priority=rule_spec.priority,
                direction=rule_spec.direction,
                access=rule_spec.access,
                protocol=rule_spec.protocol,
                source_port_range="*",
                destination_address_prefix="*",
                description=rule_spec.description,
                destination_port_range=ports.single,
                destination_port_ranges=ports.many,
                source_address_prefix=sources.single,
                source_address_prefixes=sources.many,
                opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
            )
            previous = [rule]

        pip = None
        if settings.public_ip:
            pip = network.PublicIPAddress(
                f"{name}-pip",
                public_ip_address_name=f"{vm_name}-pip",
                resource_group_name=group,
                location=location,
                tags=tags,
                sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
                public_ip_allocation_method="Static",
                public_ip_address_version="IPv4",
                opts=child,
            )
        nic = network.NetworkInterface(
            f"{name}-nic",
            network_interface_name=f"{vm_name}-nic",
            resource_group_name=group,
            location=location,
            tags=tags,
            network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
            ip_configurations=[
                network.NetworkInterfaceIPConfigurationArgs(
                    name="ipconfig1",
                    primary=True,
                    private_ip_allocation_method="Dynamic",
                    subnet=network.SubnetArgs(id=args.subnet_id),
                    public_ip_address=network.PublicIPAddressArgs(id=pip.id) if pip else None,
                )
            ],
            opts=child,
        )

        password = None
        if settings.os_type == "windows":
            password = random.RandomPassword(
                f"{name}-admin-password",
                length=24,
                special=True,
                min_lower=2,
                min_upper=2,
                min_numeric=2,
                min_special=2,
                override_special="!#%*()-_=+[]{}:?",
                opts=child,
            )
        vm = compute.VirtualMachine(
            f"{name}-vm",
            vm_name=vm_name,
            resource_group_name=group,
            location=location,
            tags=tags,
            hardware_profile=compute.HardwareProfileArgs(vm_size=settings.size),
            os_profile=self._os_profile(settings, password),
            storage_profile=compute.StorageProfileArgs(
                image_reference=compute.ImageReferenceArgs(
                    publisher=settings.image["publisher"],
                    offer=settings.image["offer"],
                    sku=settings.image["sku"],
                    version=settings.image["version"],
                ),
                os_disk=compute.OSDiskArgs(
                    name=f"{vm_name}-osdisk",
                    create_option="FromImage",
                    delete_option="Delete",
                    managed_disk=compute.ManagedDiskParametersArgs(storage_account_type="StandardSSD_LRS"),
                ),
            ),
            network_profile=compute.NetworkProfileArgs(
                network_interfaces=[
                    compute.NetworkInterfaceReferenceArgs(id=nic.id, primary=True, delete_option="Delete")
                ]
            ),
            security_profile=compute.SecurityProfileArgs(
                security_type="TrustedLaunch",
                uefi_settings=compute.UefiSettingsArgs(secure_boot_enabled=True, v_tpm_enabled=True),
            )
            if args.trusted_launch
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=denies),
        )

        self.vm_id = vm.id
        self.vm_name = vm.name
        self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)
        self.location = vm.location
        self.management_ports = pulumi.Output.from_input(list(settings.management_ports))
        self.nsg_id = nsg.id
        self.nsg_name = nsg.name
        self.private_ip_address = nic.ip_configurations.apply(_private_ip_address)
        self.public_ip_address = pip.ip_address if pip else None
        self.admin_password = pulumi.Output.secret(password.result) if password else None
        self.register_outputs(
            {
                "vm_id": self.vm_id,
                "vm_name": self.vm_name,
                "management_ports": self.management_ports,
                "nsg_id": self.nsg_id,
                "private_ip_address": self.private_ip_address,
                "public_ip_address": self.public_ip_address,
            }
        )

    @staticmethod
    def _os_profile(settings: VmSettings, password: random.RandomPassword | None) -> compute.OSProfileArgs:
        if settings.os_type == "windows":
            if password is None:
                raise ValueError("os_type 'windows': a windows VM logs in with a generated password; none was given")
            return compute.OSProfileArgs(
                computer_name=settings.computer_name,
                admin_username=settings.admin_username,
                admin_password=password.result,
                windows_configuration=compute.WindowsConfigurationArgs(
                    enable_automatic_updates=True, provision_vm_agent=True
                ),
            )
        return compute.OSProfileArgs(
            computer_name=settings.computer_name,
            admin_username=settings.admin_username,
            linux_configuration=compute.LinuxConfigurationArgs(
                disable_password_authentication=True,
                provision_vm_agent=True,
                ssh=compute.SshConfigurationArgs(
                    public_keys=[
                        compute.SshPublicKeyArgs(
                            path=f"/home/{settings.admin_username}/.ssh/authorized_keys",
                            key_data=settings.ssh_public_key,
                        )
                    ]
                ),
            ),
        )


def _private_ip_address(configs: Sequence[network.outputs.NetworkInterfaceIPConfigurationResponse] | None) -> str:
    """The NIC's private IP: Azure allocates one to its only IP configuration when it creates the NIC."""
    if not configs or not configs[0].private_ip_address:
        raise ValueError("the network interface returned no private IP address in ipConfigurations[0]")
    return configs[0].private_ip_address


def deny_management_ports(
    resource_prefix: str,
    resource_group_name: pulumi.Input[str],
    nsg_name: pulumi.Input[str],
    ports: Sequence[int],
    parent: pulumi.Resource,
) -> list[network.SecurityRule]:
    """A standalone Deny rule per management port (`<resource_prefix>-<port>`), in the 4000-4095 band.

    JIT's own allow rules sit at 100-199, so these close each port until a request opens it.
    """
    # One PUT at a time: concurrent rule writes to one NSG fail with AnotherOperationInProgress
    # (Azure/azure-sdk-for-python#556), so each rule waits for the previous one.
    rules: list[network.SecurityRule] = []
    for index, port in enumerate(ports):
        rules.append(
            network.SecurityRule(
                f"{resource_prefix}-{port}",
                resource_group_name=resource_group_name,
                network_security_group_name=nsg_name,
                security_rule_name=f"deny-management-{port}",
                priority=DENY_PRIORITY_BASE + index,
                direction="Inbound",
                access="Deny",
                protocol="*",
                source_address_prefix="*",
                source_port_range="*",
                destination_address_prefix="*",
                destination_port_range=str(port),
                description=f"Closed until a JIT request opens port {port} (JIT allows sit at 100-199).",
                opts=pulumi.ResourceOptions(parent=parent, depends_on=rules[-1:]),
            )
        )
    return rules
