"""`BastionAccess`: Azure Bastion as the only way in, with JIT opening ports to the Bastion subnet only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network

from azure_jit_access import type_tokens, validation
from azure_jit_access.aliases import with_alias_pruning

BASTION_SUBNET_NAME = "AzureBastionSubnet"
"""Azure requires exactly this subnet name for Bastion."""
MAX_BASTION_PREFIX_LENGTH = 26
"""Azure requires the Bastion subnet to be a /26 or larger."""
BASTION_SKUS = ("Basic", "Standard", "Premium")


@dataclass
class BastionAccessArgs:
    """Arguments of `BastionAccess`. Give exactly one of `virtual_network_name` and `subnet_id`."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the Bastion host and its public IP (and of the subnet when created)."""
    subnet_address_prefix: str
    """The AzureBastionSubnet prefix (/26 or larger). It is also the JIT source, matched literally by JIT,
    so with `subnet_id` it must be that subnet's exact prefix."""
    virtual_network_name: pulumi.Input[str] | None = None
    """Create the AzureBastionSubnet in this VNet (in `resource_group_name`)."""
    subnet_id: pulumi.Input[str] | None = None
    """Use an existing AzureBastionSubnet instead of creating one."""
    location: pulumi.Input[str] | None = None
    """Region; defaults to the provider's `azure-native:location`."""
    sku: str = "Basic"
    """`Basic`, `Standard` or `Premium` (`Developer` has no subnet of its own and cannot carry JIT traffic)."""
    enable_tunneling: bool = False
    """Native client support (`az network bastion ssh/rdp`); Standard or Premium only."""
    scale_units: int | None = None
    """2 to 50 instances; Standard or Premium only."""
    tags: Mapping[str, str] | None = None
    """Tags for every child resource."""
    subnet_depends_on: Sequence[pulumi.Resource] = ()
    """Other writers of the same VNet (e.g. the workload subnet): Azure refuses concurrent subnet writes on one
    VNet (`AnotherOperationInProgress`), so the Bastion subnet waits for these."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases (only for stacks created with versioned type tokens)."""


def validate_bastion_args(args: BastionAccessArgs) -> str:
    """Validate `args` and return the normalised subnet prefix. Raises `ValueError` naming the field."""
    prefix = validation.validate_cidr(args.subnet_address_prefix, "subnet_address_prefix", MAX_BASTION_PREFIX_LENGTH)
    validation.validate_source_prefix(prefix, "subnet_address_prefix")  # never /0: it becomes the JIT source
    if (args.virtual_network_name is None) == (args.subnet_id is None):
        raise ValueError(
            "virtual_network_name / subnet_id: give exactly one: the VNet to create the "
            f"{BASTION_SUBNET_NAME} in, or the id of an existing {BASTION_SUBNET_NAME}"
        )
    if args.sku not in BASTION_SKUS:
        raise ValueError(
            f"sku: {args.sku!r}; use one of {', '.join(BASTION_SKUS)} (the Developer SKU has no "
            "subnet of its own, so JIT could not name it as a source)"
        )
    if args.enable_tunneling and args.sku == "Basic":
        raise ValueError("enable_tunneling: native client tunneling needs sku 'Standard' or 'Premium'")
    if args.scale_units is not None:
        if args.sku == "Basic":
            raise ValueError("scale_units: the Basic SKU has a fixed 2 instances; use sku 'Standard' to scale")
        if (
            isinstance(args.scale_units, bool)
            or not isinstance(args.scale_units, int)
            or not 2 <= args.scale_units <= 50
        ):
            raise ValueError(f"scale_units: {args.scale_units!r}; use a whole number from 2 to 50")
    validation.validate_tags(args.tags)
    return prefix


class BastionAccess(pulumi.ComponentResource):
    """Azure Bastion for reaching JIT-protected VMs without public IPs.

    Creates the `AzureBastionSubnet` (unless `subnet_id` is given; as a standalone `network.Subnet`, so
    declare the VNet without inline subnets), a Standard static public IP and the Bastion host. Bastion
    connects to VMs from its subnet's private addresses, so in Bastion mode the JIT policy's only allowed
    source is `subnet_address_prefix` (pass it as `JitAccessPolicyArgs.bastion_subnet_prefix`) and VMs have
    no public IP: a JIT request then opens the port to Bastion only, for the approved time.

    Example:
        bastion = BastionAccess("bastion", BastionAccessArgs(
            resource_group_name=rg.name, virtual_network_name=vnet.name, subnet_address_prefix="10.20.255.0/26"))
        JitAccessPolicy("jit", JitAccessPolicyArgs(..., bastion_subnet_prefix=bastion.subnet_address_prefix))
    """

    subnet_address_prefix: str
    """The Bastion subnet prefix, known at construction: the JIT policy's source in Bastion mode."""
    subnet_id: pulumi.Output[str]
    bastion_host_id: pulumi.Output[str]
    public_ip_address: pulumi.Output[str | None]
    """The Bastion public IP (Azure allocates the static address on creation; the SDK types it optional)."""

    def __init__(self, name: str, args: BastionAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        prefix = validate_bastion_args(args)  # before anything is registered
        super().__init__(
            type_tokens.BASTION_ACCESS,
            name,
            None,
            with_alias_pruning(opts, args.keep_api_version_aliases),
        )
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags) if args.tags else None
        if args.subnet_id is not None:
            subnet_id = pulumi.Output.from_input(args.subnet_id)
        else:
            subnet_id = network.Subnet(
                f"{name}-subnet",
                subnet_name=BASTION_SUBNET_NAME,
                resource_group_name=args.resource_group_name,
                virtual_network_name=args.virtual_network_name,
                address_prefix=prefix,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.subnet_depends_on)),
            ).id
        pip = network.PublicIPAddress(
            f"{name}-pip",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            opts=child,
        )
        host = network.BastionHost(
            f"{name}-host",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            sku=network.SkuArgs(name=args.sku),
            enable_tunneling=args.enable_tunneling or None,
            scale_units=args.scale_units,
            ip_configurations=[
                network.BastionHostIPConfigurationArgs(
                    name="bastion-ipconfig",
                    subnet=network.SubResourceArgs(id=subnet_id),
                    public_ip_address=network.SubResourceArgs(id=pip.id),
                )
            ],
            opts=child,
        )
        self.subnet_address_prefix = prefix
        self.subnet_id = subnet_id
        self.bastion_host_id = host.id
        self.public_ip_address = pip.ip_address
        self.register_outputs(
            {
                "subnet_id": self.subnet_id,
                "bastion_host_id": self.bastion_host_id,
                "subnet_address_prefix": prefix,
                "public_ip_address": self.public_ip_address,
            }
        )
