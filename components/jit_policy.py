"""`JitAccessPolicy`: the one JIT network access policy of a resource group and location."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import security

from azure_jit_access import type_tokens, validation
from azure_jit_access.aliases import with_alias_pruning
from azure_jit_access.defender import DefenderForServers
from azure_jit_access.vm import JitProtectedVm


@dataclass
class JitPortRule:
    """One requestable port of a VM; unset fields take the policy's defaults."""

    number: int
    """The port; for a `JitProtectedVm` it must be one of its management ports (which its NSG denies)."""
    protocol: str | None = None
    """`TCP`, `UDP` or `*` (JIT's upper-case spelling)."""
    allowed_source_address_prefixes: Sequence[str] | None = None
    """Addresses or CIDRs a request may open the port to; never a wildcard."""
    max_request_access_duration: str | None = None
    """ISO 8601, PT5M to PT24H."""


@dataclass
class JitVirtualMachine:
    """A VM in the policy. Build it with `JitVirtualMachine.from_vm(vm)` for a `JitProtectedVm`."""

    vm_id: pulumi.Input[str]
    """The VM's ARM id."""
    vm_name: str
    """The VM's Azure name (checked against JIT's 56-character limit with the policy name)."""
    ports: Sequence[int | JitPortRule] | None = None
    """Requestable ports; defaults to every guarded port."""
    guarded_ports: Sequence[int] | None = None
    """Ports the VM's NSG denies; when known, `ports` must be a subset (JIT on an open port guards nothing)."""
    resource_group_name: pulumi.Input[str] | None = None
    """The VM's resource group; must be the policy's (checked when known)."""
    location: pulumi.Input[str] | None = None
    """The VM's region; must be the policy's (checked when known)."""
    has_public_ip: bool | None = None
    """Whether the VM has a public IP (refused in Bastion mode)."""

    @classmethod
    def from_vm(cls, vm: JitProtectedVm, ports: Sequence[int | JitPortRule] | None = None) -> JitVirtualMachine:
        """Entry for a `JitProtectedVm`: all its management ports unless `ports` narrows them."""
        return cls(
            vm_id=vm.vm_id,
            vm_name=vm.settings.vm_name,
            ports=ports,
            guarded_ports=vm.settings.management_ports,
            resource_group_name=vm.resource_group_name,
            location=vm.location,
            has_public_ip=vm.settings.public_ip,
        )


@dataclass
class JitAccessPolicyArgs:
    """Arguments of `JitAccessPolicy`."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the policy and of every VM in it."""
    location: str
    """Region of the VMs, e.g. `westeurope` (JIT policies live under `locations/<region>`)."""
    virtual_machines: Sequence[JitProtectedVm | JitVirtualMachine]
    """Every VM of this resource group and region: a second policy of the same name would overwrite this one."""
    allowed_source_address_prefixes: Sequence[str] = ()
    """Default sources for ports without their own; in Bastion mode leave empty (the Bastion subnet is used)."""
    max_request_access_duration: str = validation.DEFAULT_JIT_DURATION
    """Default cap per request (ISO 8601, PT5M to PT24H)."""
    protocol: str = "TCP"
    """Default protocol."""
    policy_name: str = "default"
    """The policy's name (Microsoft's own examples and the portal use `default`)."""
    defender: DefenderForServers | None = None
    """When Defender is in the same stack, the policy waits for Plan 2 (JIT fails without it)."""
    bastion_subnet_prefix: str | None = None
    """Bastion mode (`BastionAccess.subnet_address_prefix`): the only allowed source, and VMs must have no
    public IP."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases (only for stacks created with versioned type tokens)."""


@dataclass(frozen=True)
class ResolvedPort:
    """A port rule with every default applied and validated."""

    number: int
    protocol: str
    sources: tuple[str, ...]
    max_request_access_duration: str

    def to_caps(self) -> dict:
        """The plain form used in stack outputs."""
        return {
            "port": self.number,
            "protocol": self.protocol,
            "maxRequestAccessDuration": self.max_request_access_duration,
            "allowedSourceAddressPrefixes": list(self.sources),
        }


@dataclass(frozen=True)
class ResolvedVm:
    """A VM entry with resolved ports."""

    entry: JitVirtualMachine
    ports: tuple[ResolvedPort, ...] = field(default_factory=tuple)


def _same(a: object, b: object) -> bool:
    return str(a).replace(" ", "").lower() == str(b).replace(" ", "").lower()


def resolve_policy(args: JitAccessPolicyArgs) -> list[ResolvedVm]:
    """Validate the policy arguments and apply defaults. Raises `ValueError` naming the field; creates nothing."""
    policy_name = validation.validate_resource_name(args.policy_name, "policy_name", 50)
    if not isinstance(args.location, str) or not args.location.isalnum():
        raise ValueError(f"location: {args.location!r} is not a region name such as 'westeurope'")
    protocol = validation.validate_jit_protocol(args.protocol, "protocol")
    duration = validation.validate_duration(args.max_request_access_duration, "max_request_access_duration")
    bastion_mode = args.bastion_subnet_prefix is not None
    if bastion_mode:
        if list(args.allowed_source_address_prefixes):
            raise ValueError(
                "allowed_source_address_prefixes: in Bastion mode the only source is the Bastion "
                f"subnet ({args.bastion_subnet_prefix}); remove the other sources"
            )
        default_sources = [validation.validate_source_prefix(args.bastion_subnet_prefix, "bastion_subnet_prefix")]
    elif list(args.allowed_source_address_prefixes):
        default_sources = validation.validate_source_prefixes(
            args.allowed_source_address_prefixes, "allowed_source_address_prefixes"
        )
    else:
        default_sources = []
    if isinstance(args.virtual_machines, (str, bytes)) or not list(args.virtual_machines):
        raise ValueError("virtual_machines: at least one VM is required; a JIT policy without VMs protects nothing")
    resolved: list[ResolvedVm] = []
    for index, item in enumerate(args.virtual_machines):
        entry = JitVirtualMachine.from_vm(item) if isinstance(item, JitProtectedVm) else item
        where = f"virtual_machines[{index}]"
        if not isinstance(entry, JitVirtualMachine):
            raise ValueError(f"{where}: expected a JitProtectedVm or JitVirtualMachine, got {item!r}")
        validation.validate_resource_name(entry.vm_name, f"{where}.vm_name", 64)
        if any(r.entry.vm_name.lower() == entry.vm_name.lower() for r in resolved):
            raise ValueError(f"{where}: VM '{entry.vm_name}' is listed twice; list each VM once")
        validation.validate_policy_vm_name_length(policy_name, entry.vm_name, f"{where}.vm_name")
        for key, mine in (("resource_group_name", args.resource_group_name), ("location", args.location)):
            theirs = getattr(entry, key)
            if isinstance(theirs, str) and isinstance(mine, str) and not _same(theirs, mine):
                raise ValueError(
                    f"{where}.{key}: VM '{entry.vm_name}' is in '{theirs}' but the policy is for "
                    f"'{mine}'; one policy covers one resource group and location"
                )
        if bastion_mode and entry.has_public_ip:
            raise ValueError(
                f"{where}: VM '{entry.vm_name}' has a public IP; in Bastion mode VMs are reached "
                "through Bastion only: set public_ip=False"
            )
        resolved.append(
            ResolvedVm(entry, _resolve_ports(entry, where, protocol, duration, default_sources, bastion_mode))
        )
    return resolved


def _resolve_ports(
    entry: JitVirtualMachine, where: str, protocol: str, duration: str, default_sources: list[str], bastion_mode: bool
) -> tuple[ResolvedPort, ...]:
    if entry.ports is None:
        if entry.guarded_ports is None:
            raise ValueError(f"{where}.ports: give the requestable ports of '{entry.vm_name}'")
        rules = [JitPortRule(p) for p in entry.guarded_ports]
    else:
        if isinstance(entry.ports, (str, bytes)):
            raise ValueError(f"{where}.ports: expected a list of ports, got {entry.ports!r}")
        rules = []
        for position, port in enumerate(entry.ports):
            if isinstance(port, int) and not isinstance(port, bool):
                rules.append(JitPortRule(port))
            elif isinstance(port, JitPortRule):
                rules.append(port)
            else:
                raise ValueError(f"{where}.ports[{position}]: {port!r} is not a port number or JitPortRule")
    if not rules:
        raise ValueError(f"{where}.ports: at least one port is required")
    numbers = validation.validate_ports([getattr(r, "number", r) for r in rules], f"{where}.ports")
    ports: list[ResolvedPort] = []
    for rule, number in zip(rules, numbers, strict=True):
        field_name = f"{where}.ports[{number}]"
        if entry.guarded_ports is not None and number not in entry.guarded_ports:
            raise ValueError(
                f"{field_name}: port {number} is not a management port of '{entry.vm_name}' "
                f"({list(entry.guarded_ports)}); add it to the VM's management_ports so its NSG "
                "denies it outside JIT windows"
            )
        if rule.allowed_source_address_prefixes is not None and bastion_mode:
            raise ValueError(
                f"{field_name}.allowed_source_address_prefixes: in Bastion mode the only source is "
                "the Bastion subnet; remove the per-port sources"
            )
        sources = (
            validation.validate_source_prefixes(
                rule.allowed_source_address_prefixes, f"{field_name}.allowed_source_address_prefixes"
            )
            if rule.allowed_source_address_prefixes is not None
            else default_sources
        )
        if not sources:
            raise ValueError(
                f"{field_name}.allowed_source_address_prefixes: no source given and no policy default; "
                "set allowed_source_address_prefixes (e.g. ['203.0.113.0/28']) or use Bastion mode"
            )
        ports.append(
            ResolvedPort(
                number=number,
                protocol=validation.validate_jit_protocol(rule.protocol, f"{field_name}.protocol")
                if rule.protocol is not None
                else protocol,
                sources=tuple(sources),
                max_request_access_duration=validation.validate_duration(
                    rule.max_request_access_duration, f"{field_name}.max_request_access_duration"
                )
                if rule.max_request_access_duration is not None
                else duration,
            )
        )
    return tuple(ports)


def _port_args(port: ResolvedPort) -> security.JitNetworkAccessPortRuleArgs:
    # The singular and plural source fields are mutually exclusive in the API.
    many = len(port.sources) > 1
    return security.JitNetworkAccessPortRuleArgs(
        number=port.number,
        protocol=port.protocol,
        max_request_access_duration=port.max_request_access_duration,
        allowed_source_address_prefix=None if many else port.sources[0],
        allowed_source_address_prefixes=list(port.sources) if many else None,
    )


def _vm_args(vm: ResolvedVm, resource_group: pulumi.Input[str], location: str) -> pulumi.Output:
    entry = vm.entry

    def check(values: list) -> security.JitNetworkAccessPolicyVirtualMachineArgs:
        vm_id, vm_rg, vm_location, policy_rg = values
        # Second line of defence for values only known at deployment: never register a cross-scope VM.
        for label, theirs, mine in (("resource group", vm_rg, policy_rg), ("location", vm_location, location)):
            if theirs and mine and not _same(theirs, mine):
                raise ValueError(
                    f"virtual_machines: VM '{entry.vm_name}' is in {label} '{theirs}', the policy in "
                    f"'{mine}'; one policy covers one resource group and location"
                )
        return security.JitNetworkAccessPolicyVirtualMachineArgs(id=vm_id, ports=[_port_args(p) for p in vm.ports])

    return pulumi.Output.all(entry.vm_id, entry.resource_group_name, entry.location, resource_group).apply(check)


class JitAccessPolicy(pulumi.ComponentResource):
    """The JIT network access policy of one resource group and location, holding every protected VM.

    Creates one `security.JitNetworkAccessPolicy` (kind `Basic`). A PUT replaces the policy's whole VM list,
    so two writers of one policy name overwrite each other (MicrosoftDocs/azure-docs#36343): give this
    component every VM of the resource group and region. Each port has an explicit source list (never `*`:
    the portal's "All configured IPs" and a blank source both mean anywhere) and a duration cap (PT5M to
    PT24H, default PT3H). `requests` is ignored as drift, because JIT records every request there. With
    `defender`, the policy waits for Defender for Servers Plan 2; with `bastion_subnet_prefix` (Bastion mode)
    the only source is the Bastion subnet prefix and VMs with public IPs are refused.

    Example:
        JitAccessPolicy("jit", JitAccessPolicyArgs(
            resource_group_name=rg.name, location="westeurope", virtual_machines=[web, jump],
            allowed_source_address_prefixes=["203.0.113.0/28"], defender=defender))
    """

    policy: security.JitNetworkAccessPolicy
    policy_id: pulumi.Output[str]
    policy_name: pulumi.Output[str]
    location: pulumi.Output[str]
    caps: dict[str, list[dict]]
    """Per VM name, its requestable ports with protocol, duration cap and sources (plain, for stack outputs)."""

    def __init__(self, name: str, args: JitAccessPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        vms = resolve_policy(args)  # before anything is registered
        super().__init__(
            type_tokens.JIT_ACCESS_POLICY,
            name,
            None,
            with_alias_pruning(opts, args.keep_api_version_aliases),
        )
        depends_on: list[pulumi.Resource] = [args.defender.pricing] if args.defender else []
        self.policy = security.JitNetworkAccessPolicy(
            f"{name}-policy",
            jit_network_access_policy_name=args.policy_name,
            resource_group_name=args.resource_group_name,
            asc_location=args.location,
            kind="Basic",
            virtual_machines=[_vm_args(vm, args.resource_group_name, args.location) for vm in vms],
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on, ignore_changes=["requests"]),
        )
        self.caps = {vm.entry.vm_name: [p.to_caps() for p in vm.ports] for vm in vms}
        self.policy_id = self.policy.id
        self.policy_name = self.policy.name
        self.location = pulumi.Output.from_input(args.location)
        self.register_outputs(
            {"policy_id": self.policy_id, "policy_name": self.policy_name, "location": self.location, "caps": self.caps}
        )
