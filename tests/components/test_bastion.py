"""BastionAccess: the AzureBastionSubnet, its public IP and host; in Bastion mode VMs have no public IP and JIT's
only source is the Bastion subnet prefix."""

import base64

import pytest

from azure_jit_access.bastion import BastionAccess, BastionAccessArgs, validate_bastion_args
from azure_jit_access.jit_policy import JitAccessPolicy, JitAccessPolicyArgs
from azure_jit_access.testing import run
from azure_jit_access.vm import JitProtectedVm, JitProtectedVmArgs

KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
HOST = "azure-native:network:BastionHost"
SUBNET = "azure-native:network:Subnet"
PIP = "azure-native:network:PublicIPAddress"
EXISTING = (
    "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/hub/providers/Microsoft.Network/"
    "virtualNetworks/hub/subnets/AzureBastionSubnet"
)


def args(**overrides) -> BastionAccessArgs:
    return BastionAccessArgs(
        **{
            "resource_group_name": "rg",
            "virtual_network_name": "vnet",
            "subnet_address_prefix": "10.20.255.0/26",
            **overrides,
        }
    )


def test_defaults_create_the_azurebastionsubnet_a_standard_public_ip_and_a_basic_host():
    result = run(lambda: BastionAccess("bastion", args()))
    component = result.one("azure-jit-access:bastion:BastionAccess")
    subnet = result.one(SUBNET)
    assert {
        k: subnet.inputs[k] for k in ("subnetName", "resourceGroupName", "virtualNetworkName", "addressPrefix")
    } == {
        "subnetName": "AzureBastionSubnet",
        "resourceGroupName": "rg",
        "virtualNetworkName": "vnet",
        "addressPrefix": "10.20.255.0/26",
    }
    pip = result.one(PIP)
    assert pip.inputs["sku"] == {"name": "Standard", "tier": "Regional"}
    assert pip.inputs["publicIPAllocationMethod"] == "Static"
    host = result.one(HOST)
    assert host.inputs["sku"] == {"name": "Basic"}
    assert host.inputs["ipConfigurations"] == [
        {"name": "bastion-ipconfig", "subnet": {"id": subnet.id}, "publicIPAddress": {"id": pip.id}}
    ]
    assert host.inputs["enableTunneling"] is False  # the SDK's default, not ours
    assert "scaleUnits" not in host.inputs
    assert {r.parent for r in (subnet, pip, host)} == {component.urn}


def test_recommended_bastion_mode_vms_have_no_public_ip_and_jit_source_is_the_bastion_prefix():
    def program():
        bastion = BastionAccess("bastion", args())
        vm = JitProtectedVm(
            "app",
            JitProtectedVmArgs(
                resource_group_name="rg",
                location="westeurope",
                subnet_id="workload",
                os_type="linux",
                ssh_public_key=KEY,
            ),
        )
        JitAccessPolicy(
            "jit",
            JitAccessPolicyArgs(
                resource_group_name="rg",
                location="westeurope",
                virtual_machines=[vm],
                bastion_subnet_prefix=bastion.subnet_address_prefix,
            ),
        )

    result = run(program)
    assert [p.name for p in result.find(PIP)] == ["bastion-pip"]
    nic = result.one("azure-native:network:NetworkInterface")
    assert "publicIPAddress" not in nic.inputs["ipConfigurations"][0]
    ports = result.one("azure-native:security:JitNetworkAccessPolicy").inputs["virtualMachines"][0]["ports"]
    assert ports == [
        {
            "number": 22,
            "protocol": "TCP",
            "maxRequestAccessDuration": "PT3H",
            "allowedSourceAddressPrefix": "10.20.255.0/26",
        }
    ]


def test_every_option_set_existing_subnet_standard_sku_with_tunneling_and_scale_units():
    result = run(
        lambda: BastionAccess(
            "bastion",
            BastionAccessArgs(
                resource_group_name="rg",
                subnet_id=EXISTING,
                subnet_address_prefix="10.0.0.0/24",
                location="westeurope",
                sku="Standard",
                enable_tunneling=True,
                scale_units=4,
                tags={"env": "hub"},
                keep_api_version_aliases=True,
            ),
        )
    )
    assert result.find(SUBNET) == []
    host = result.one(HOST)
    assert host.inputs["ipConfigurations"][0]["subnet"] == {"id": EXISTING}
    assert host.inputs["sku"] == {"name": "Standard"}
    assert host.inputs["enableTunneling"] is True and host.inputs["scaleUnits"] == 4
    assert host.inputs["location"] == "westeurope" and host.inputs["tags"] == {"env": "hub"}
    assert result.one(PIP).inputs["tags"] == {"env": "hub"}
    assert len(host.options["aliases"]) > 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"subnet_address_prefix": "10.20.255.0/27"},
            "subnet_address_prefix: '10.20.255.0/27' is a /27; it must be /26 or larger",
        ),
        (
            {"subnet_address_prefix": "10.20.255.5/26"},
            "subnet_address_prefix: '10.20.255.5/26' is not a valid CIDR network",
        ),
        ({"subnet_address_prefix": "0.0.0.0/0"}, "subnet_address_prefix: '0.0.0.0/0' means any source on the Internet"),
        ({"subnet_id": EXISTING}, "virtual_network_name / subnet_id: give exactly one"),
        ({"virtual_network_name": None}, "virtual_network_name / subnet_id: give exactly one"),
        (
            {"sku": "Developer"},
            "sku: 'Developer'; use one of Basic, Standard, Premium (the Developer SKU has no subnet",
        ),
        ({"enable_tunneling": True}, "enable_tunneling: native client tunneling needs sku 'Standard' or 'Premium'"),
        ({"scale_units": 3}, "scale_units: the Basic SKU has a fixed 2 instances; use sku 'Standard' to scale"),
        ({"sku": "Standard", "scale_units": 51}, "scale_units: 51; use a whole number from 2 to 50"),
    ],
)
def test_invalid_arguments_are_refused_naming_the_field(overrides, message):
    with pytest.raises(ValueError) as err:
        validate_bastion_args(args(**overrides))
    assert str(err.value).startswith(message)


def test_invalid_arguments_create_nothing():
    registered = []
    with pytest.raises(ValueError, match="must be /26 or larger"):
        run(lambda: BastionAccess("bastion", args(subnet_address_prefix="10.0.0.0/28")), on_register=registered.append)
    assert registered == [1]


def test_docstring_explains_bastion_mode_and_shows_an_example():
    doc = BastionAccess.__doc__
    assert "no public IP" in doc and "subnet_address_prefix" in doc and "Example:" in doc
