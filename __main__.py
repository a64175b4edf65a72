"""azure-jit-access: JIT-protected VMs, Defender for Servers P2 and one JIT policy, from `Pulumi.<stack>.yaml`.

Reads like the architecture: config (validated in full before anything is created), network, optional
Bastion, VMs, Defender, the JIT policy, exports. Each concern is one small function taking the one
`StackConfig`, so later concerns (requester role, guardrail policies, approvals, audit) are a few lines each.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import network, resources

from components import validation
from components.bastion import BastionAccess, BastionAccessArgs, validate_bastion_args
from components.defender import DefenderForServers, DefenderForServersArgs, resolve_extensions
from components.jit_policy import JitAccessPolicy, JitAccessPolicyArgs, JitVirtualMachine, resolve_policy
from components.vm import JitProtectedVm, JitProtectedVmArgs, NsgRule, resolve_vm_settings

NAMESPACE = "azure-jit-access"
ACCESS_MODES = ("public", "bastion")
VM_KEYS = {"name", "os", "size", "publicIp", "ports", "winrm", "image", "extraRules", "computerName"}
RULE_KEYS = {"name", "priority", "ports", "sources", "access", "direction", "protocol", "description"}


@dataclass
class StackConfig:
    """Everything the program needs, validated. Args hold "" where a resource's output goes in later."""

    location: str
    resource_group_name: str
    access_mode: str
    address_space: str
    workload_subnet_prefix: str
    vms: list[JitProtectedVmArgs]
    policy: JitAccessPolicyArgs
    defender: DefenderForServersArgs
    bastion: BastionAccessArgs | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _mapping(value: object, where: str, allowed: set[str]) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected a mapping, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known keys are {sorted(allowed)}")
    return value


def _vm_args(raw: object, index: int, mode: str, cfg: pulumi.Config, tags: dict) -> JitProtectedVmArgs:
    where = f"{NAMESPACE}:vms[{index}]"
    item = _mapping(raw, where, VM_KEYS)
    if "name" not in item or "os" not in item:
        raise ValueError(f"{where}: 'name' and 'os' (linux or windows) are required")
    os_type = validation.validate_os_type(item["os"], f"{where}.os")
    public_ip = item.get("publicIp", mode == "public")
    if mode == "bastion" and public_ip:
        raise ValueError(f"{where}.publicIp: in Bastion mode VMs get no public IP (they are reached through "
                         "Bastion); remove publicIp")
    raw_rules = [_mapping(r, f"{where}.extraRules[{i}]", RULE_KEYS) for i, r in enumerate(item.get("extraRules", []))]
    rules = [NsgRule(name=r.get("name"), priority=r.get("priority"), destination_port_ranges=r.get("ports", []),
                     source_address_prefixes=r.get("sources", []), access=r.get("access", "Allow"),
                     direction=r.get("direction", "Inbound"), protocol=r.get("protocol", "Tcp"),
                     description=r.get("description"))
             for r in raw_rules]
    args = JitProtectedVmArgs(
        resource_group_name="", subnet_id="", os_type=os_type, vm_name=item["name"],
        computer_name=item.get("computerName"), size=item.get("size", "Standard_B2s"), image=item.get("image"),
        public_ip=bool(public_ip), management_ports=item.get("ports"), winrm=bool(item.get("winrm", False)),
        ssh_public_key=cfg.get("sshPublicKey") if os_type == "linux" else None,
        admin_username=cfg.get("adminUsername") or "azureuser", extra_rules=rules, tags=tags)
    try:
        resolve_vm_settings(item["name"], args)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return args


def _check_subnet(prefix: str, space: str, where: str) -> str:
    checked = validation.validate_cidr(prefix, where)
    if not ipaddress.ip_network(checked).subnet_of(ipaddress.ip_network(space)):
        raise ValueError(f"{where}: '{prefix}' is not inside the VNet address space '{space}'")
    return checked


def read_config() -> StackConfig:
    """Read and validate the whole stack config; raises `ValueError` naming the key before anything is created."""
    cfg = pulumi.Config(NAMESPACE)
    location = pulumi.Config("azure-native").require("location")
    mode = (cfg.get("accessMode") or "public").lower()
    if mode not in ACCESS_MODES:
        raise ValueError(f"{NAMESPACE}:accessMode: {mode!r}; use 'public' (VM public IPs, JIT from your "
                         "allowed sources) or 'bastion' (no public IPs, JIT from the Bastion subnet)")
    tags = validation.validate_tags(cfg.get_object("tags"), f"{NAMESPACE}:tags")
    net = _mapping(cfg.require_object("network"), f"{NAMESPACE}:network",
                   {"addressSpace", "workloadSubnetPrefix", "bastionSubnetPrefix"})
    space = validation.validate_cidr(net.get("addressSpace"), f"{NAMESPACE}:network.addressSpace")
    workload = _check_subnet(net.get("workloadSubnetPrefix"), space, f"{NAMESPACE}:network.workloadSubnetPrefix")
    raw_vms = cfg.get_object("vms") or []
    if not isinstance(raw_vms, list) or not raw_vms:
        raise ValueError(f"{NAMESPACE}:vms: at least one VM is required, e.g. [{{name: vm-web-01, os: linux}}]")
    vms = [_vm_args(raw, index, mode, cfg, tags) for index, raw in enumerate(raw_vms)]

    bastion = None
    sources = cfg.get_object("allowedSourcePrefixes") or []
    if mode == "bastion":
        prefix = net.get("bastionSubnetPrefix")
        if not prefix:
            raise ValueError(f"{NAMESPACE}:network.bastionSubnetPrefix: required in Bastion mode, e.g. 10.20.255.0/26")
        prefix = _check_subnet(prefix, space, f"{NAMESPACE}:network.bastionSubnetPrefix")
        if ipaddress.ip_network(prefix).overlaps(ipaddress.ip_network(workload)):
            raise ValueError(f"{NAMESPACE}:network.bastionSubnetPrefix: '{prefix}' overlaps the workload subnet")
        raw = _mapping(cfg.get_object("bastion") or {}, f"{NAMESPACE}:bastion", {"sku", "enableTunneling"})
        bastion = BastionAccessArgs(resource_group_name="", virtual_network_name="", subnet_address_prefix=prefix,
                                    sku=raw.get("sku", "Basic"), enable_tunneling=bool(raw.get("enableTunneling")),
                                    location=location, tags=tags)
        validate_bastion_args(bastion)
    elif not sources:
        raise ValueError(f"{NAMESPACE}:allowedSourcePrefixes: required in public mode: the public IPs or CIDRs "
                         "JIT may open ports to (e.g. your office egress '203.0.113.0/28'), never '*'")
    policy = JitAccessPolicyArgs(
        resource_group_name="", location=location, virtual_machines=[], allowed_source_address_prefixes=sources,
        max_request_access_duration=cfg.get("maxRequestAccessDuration") or validation.DEFAULT_JIT_DURATION,
        policy_name=cfg.get("jitPolicyName") or "default",
        bastion_subnet_prefix=bastion.subnet_address_prefix if bastion else None)
    dry_vms = []
    for args in vms:
        settings = resolve_vm_settings(args.vm_name, args)
        dry_vms.append(JitVirtualMachine(vm_id="", vm_name=settings.vm_name, guarded_ports=settings.management_ports,
                                         has_public_ip=settings.public_ip))
    try:
        resolve_policy(dataclasses.replace(policy, virtual_machines=dry_vms))
    except ValueError as err:
        raise ValueError(f"{NAMESPACE} (JIT policy): {err}") from None

    raw_defender = _mapping(cfg.get_object("defender") or {}, f"{NAMESPACE}:defender",
                            {"subscriptionId", "extensions", "retainOnDelete", "protect"})
    defender = DefenderForServersArgs(subscription_id=raw_defender.get("subscriptionId"),
                                      extensions=raw_defender.get("extensions", []),
                                      retain_on_delete=bool(raw_defender.get("retainOnDelete", True)),
                                      protect=bool(raw_defender.get("protect", True)))
    resolve_extensions(defender.extensions)
    if defender.subscription_id:
        validation.validate_subscription_id(defender.subscription_id, f"{NAMESPACE}:defender.subscriptionId")
    group = cfg.get("resourceGroupName") or f"rg-jit-{pulumi.get_stack()}"
    return StackConfig(location=location, resource_group_name=group, access_mode=mode, address_space=space,
                       workload_subnet_prefix=workload, vms=vms, policy=policy, defender=defender,
                       bastion=bastion, tags=tags)


@dataclass
class Network:
    """The resource group and VNet the VMs go in (subnets standalone, so Bastion's can be added)."""

    resource_group: resources.ResourceGroup
    vnet: network.VirtualNetwork
    workload_subnet: network.Subnet


def build_network(config: StackConfig) -> Network:
    """Resource group, VNet (no inline subnets: standalone ones would be deleted by its updates), workload subnet."""
    group = resources.ResourceGroup("rg", resource_group_name=config.resource_group_name, location=config.location,
                                    tags=config.tags or None)
    vnet = network.VirtualNetwork("vnet", resource_group_name=group.name, location=config.location,
                                  virtual_network_name=f"vnet-{config.resource_group_name}", tags=config.tags or None,
                                  address_space=network.AddressSpaceArgs(address_prefixes=[config.address_space]))
    subnet = network.Subnet("workload-subnet", resource_group_name=group.name, virtual_network_name=vnet.name,
                            subnet_name="workload", address_prefix=config.workload_subnet_prefix)
    return Network(group, vnet, subnet)


def build_bastion(config: StackConfig, net: Network) -> BastionAccess | None:
    """Bastion mode only: AzureBastionSubnet, public IP and host."""
    if config.bastion is None:
        return None
    return BastionAccess("bastion", dataclasses.replace(
        config.bastion, resource_group_name=net.resource_group.name, virtual_network_name=net.vnet.name))


def build_vms(config: StackConfig, net: Network) -> list[JitProtectedVm]:
    """One `JitProtectedVm` per configured VM, in the workload subnet."""
    return [JitProtectedVm(args.vm_name, dataclasses.replace(
        args, resource_group_name=net.resource_group.name, subnet_id=net.workload_subnet.id, location=config.location))
        for args in config.vms]


def build_defender(config: StackConfig) -> DefenderForServers:
    """Defender for Servers Plan 2 on the subscription (JIT needs it)."""
    return DefenderForServers("defender", config.defender)


def build_jit_policy(config: StackConfig, net: Network, vms: list[JitProtectedVm],
                     defender: DefenderForServers) -> JitAccessPolicy:
    """The one JIT policy of the resource group and location, holding every VM."""
    return JitAccessPolicy("jit", dataclasses.replace(
        config.policy, resource_group_name=net.resource_group.name, virtual_machines=vms, defender=defender))


def export_outputs(vms: list[JitProtectedVm], policy: JitAccessPolicy, defender: DefenderForServers,
                   bastion: BastionAccess | None, config: StackConfig) -> None:
    """Stack outputs: VM ids and addresses, the policy, and each VM's ports and duration caps."""
    names = [vm.settings.vm_name for vm in vms]
    pulumi.export("accessMode", config.access_mode)
    pulumi.export("vmIds", dict(zip(names, [vm.vm_id for vm in vms], strict=True)))
    pulumi.export("vmPrivateIps", dict(zip(names, [vm.private_ip_address for vm in vms], strict=True)))
    pulumi.export("vmPublicIps", {vm.settings.vm_name: vm.public_ip_address for vm in vms if vm.public_ip_address})
    pulumi.export("managementPorts", {vm.settings.vm_name: list(vm.settings.management_ports) for vm in vms})
    pulumi.export("jitPolicyId", policy.policy_id)
    pulumi.export("jitPolicyName", policy.policy_name)
    pulumi.export("jitCaps", policy.caps)
    pulumi.export("defenderPricingId", defender.pricing_id)
    pulumi.export("adminPasswords", pulumi.Output.secret(
        {vm.settings.vm_name: vm.admin_password for vm in vms if vm.admin_password is not None}))
    if bastion is not None:
        pulumi.export("bastionHostId", bastion.bastion_host_id)
        pulumi.export("bastionSubnetPrefix", bastion.subnet_address_prefix)


config = read_config()
net = build_network(config)
bastion = build_bastion(config, net)
vms = build_vms(config, net)
defender = build_defender(config)
policy = build_jit_policy(config, net, vms, defender)
export_outputs(vms, policy, defender, bastion, config)
