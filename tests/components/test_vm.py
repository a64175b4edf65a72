"""JitProtectedVm: the NSG stays free of inline rules and every management port is denied until JIT opens it."""

import base64

import pulumi
import pytest
from pulumi_azure_native import network

from azure_jit_access.cli.preview.engine import run_inline
from azure_jit_access.vm import (
    DENY_PRIORITY_BASE,
    JitProtectedVm,
    JitProtectedVmArgs,
    NsgRule,
    _private_ip_address,
    resolve_vm_settings,
)

KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
SUBNET = (
    "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network/"
    "virtualNetworks/vnet/subnets/workload"
)
NSG_TYPE = "azure-native:network:NetworkSecurityGroup"
RULE_TYPE = "azure-native:network:SecurityRule"
VM_TYPE = "azure-native:compute:VirtualMachine"
NIC_TYPE = "azure-native:network:NetworkInterface"
PIP_TYPE = "azure-native:network:PublicIPAddress"


def linux(**overrides) -> JitProtectedVmArgs:
    return JitProtectedVmArgs(
        **{"resource_group_name": "rg", "subnet_id": SUBNET, "os_type": "linux", "ssh_public_key": KEY, **overrides}
    )


def build(name: str, args: JitProtectedVmArgs):
    return run_inline(lambda: JitProtectedVm(name, args))


def deny_rules(result):
    return [r for r in result.find(RULE_TYPE) if r.inputs["access"] == "Deny"]


def test_defaults_linux_nsg_has_no_inline_rules_and_port_22_is_denied():
    result = build("web", linux())
    component = result.one("azure-jit-access:vm:JitProtectedVm")
    nsg = result.one(NSG_TYPE)
    assert "securityRules" not in nsg.inputs
    assert nsg.inputs["networkSecurityGroupName"] == "web-nsg"
    assert [r.inputs for r in deny_rules(result)] == [
        {
            "resourceGroupName": "rg",
            "networkSecurityGroupName": "web-nsg",
            "securityRuleName": "deny-management-22",
            "priority": DENY_PRIORITY_BASE,
            "direction": "Inbound",
            "access": "Deny",
            "protocol": "*",
            "sourceAddressPrefix": "*",
            "sourcePortRange": "*",
            "destinationAddressPrefix": "*",
            "destinationPortRange": "22",
            "description": "Closed until a JIT request opens port 22 (JIT allows sit at 100-199).",
        }
    ]
    assert result.find(PIP_TYPE) == []
    nic = result.one(NIC_TYPE)
    assert nic.inputs["networkSecurityGroup"] == {"id": nsg.id}
    assert nic.inputs["ipConfigurations"][0]["subnet"]["id"] == SUBNET
    assert "publicIPAddress" not in nic.inputs["ipConfigurations"][0]
    vm = result.one(VM_TYPE)
    profile = vm.inputs["osProfile"]
    assert "adminPassword" not in profile
    assert profile["linuxConfiguration"]["disablePasswordAuthentication"] is True
    assert profile["linuxConfiguration"]["ssh"]["publicKeys"] == [
        {"path": "/home/azureuser/.ssh/authorized_keys", "keyData": KEY}
    ]
    assert vm.inputs["storageProfile"]["imageReference"] == {
        "publisher": "Canonical",
        "offer": "ubuntu-24_04-lts",
        "sku": "server",
        "version": "latest",
    }
    assert vm.inputs["hardwareProfile"] == {"vmSize": "Standard_B2s"}
    assert vm.inputs["networkProfile"]["networkInterfaces"][0]["id"] == nic.id
    # The VM never boots before its management ports are closed.
    assert vm.options["dependsOn"] == [deny_rules(result)[0].urn]
    assert {r.parent for r in result.resources if r.type.startswith("azure-native")} == {component.urn}
    assert result.find("random:index/randomPassword:RandomPassword") == []


def test_defaults_windows_gets_3389_denied_and_a_secret_generated_password():
    result = build("win", JitProtectedVmArgs(resource_group_name="rg", subnet_id=SUBNET, os_type="windows"))
    assert [r.inputs["destinationPortRange"] for r in deny_rules(result)] == ["3389"]
    password = result.one("random:index/randomPassword:RandomPassword")
    assert password.inputs["length"] == 24 and password.inputs["special"] is True
    vm = result.one(VM_TYPE)
    assert vm.inputs["osProfile"]["adminPassword"] == password.outputs["result"]
    assert vm.secret_paths == ["osProfile.adminPassword"]
    assert "linuxConfiguration" not in vm.inputs["osProfile"]
    assert vm.inputs["storageProfile"]["imageReference"]["sku"] == "2022-datacenter-azure-edition"
    assert "securityRules" not in result.one(NSG_TYPE).inputs


def test_recommended_secure_configuration_no_public_ip_and_only_a_web_rule():
    https = NsgRule("allow-https", 200, [443], ["Internet"], description="Public HTTPS")
    result = build("web", linux(extra_rules=[https], tags={"env": "prod"}))
    assert result.find(PIP_TYPE) == []
    assert "securityRules" not in result.one(NSG_TYPE).inputs
    deny, allow = deny_rules(result)[0], result.one(RULE_TYPE, "web-rule-allow-https")
    assert allow.inputs == {
        "resourceGroupName": "rg",
        "networkSecurityGroupName": "web-nsg",
        "securityRuleName": "allow-https",
        "priority": 200,
        "direction": "Inbound",
        "access": "Allow",
        "protocol": "Tcp",
        "sourceAddressPrefix": "Internet",
        "sourcePortRange": "*",
        "destinationAddressPrefix": "*",
        "destinationPortRange": "443",
        "description": "Public HTTPS",
    }
    # Rules on one NSG are written one at a time (concurrent writes conflict).
    assert allow.options["dependsOn"] == [deny.urn]
    vm = result.one(VM_TYPE)
    assert vm.inputs["securityProfile"] == {
        "securityType": "TrustedLaunch",
        "uefiSettings": {"secureBootEnabled": True, "vTpmEnabled": True},
    }
    assert vm.inputs["tags"] == {"env": "prod"}


def test_every_option_set():
    rules = [
        NsgRule("web", 300, [443, "8000-8080"], ["203.0.113.0/28", "198.51.100.0/24"], protocol="*"),
        NsgRule("block-smb", 310, [445], ["VirtualNetwork"], access="Deny"),
        NsgRule("egress", 320, ["*"], ["*"], direction="Outbound"),
    ]
    args = JitProtectedVmArgs(
        resource_group_name="rg-app",
        subnet_id=SUBNET,
        os_type="Windows",
        admin_username="opsadmin",
        location="northeurope",
        vm_name="vm-ops-001",
        computer_name="opshost01",
        size="Standard_D2s_v5",
        image={
            "publisher": "MicrosoftWindowsServer",
            "offer": "WindowsServer",
            "sku": "2025-datacenter-azure-edition",
            "version": "latest",
        },
        public_ip=True,
        management_ports=[3389, 2222],
        winrm=True,
        extra_rules=rules,
        trusted_launch=False,
        tags={"env": "test", "owner": "ops"},
        keep_api_version_aliases=True,
    )
    result = build("ops", args)
    component = result.one("azure-jit-access:vm:JitProtectedVm")
    denies = deny_rules(result)
    assert sorted(
        (r.inputs["destinationPortRange"], r.inputs["priority"])
        for r in denies
        if r.inputs["securityRuleName"].startswith("deny-management-")
    ) == [("2222", 4001), ("3389", 4000), ("5985", 4002), ("5986", 4003)]
    web = result.one(RULE_TYPE, "ops-rule-web")
    assert web.inputs["sourceAddressPrefixes"] == ["203.0.113.0/28", "198.51.100.0/24"]
    assert web.inputs["destinationPortRanges"] == ["443", "8000-8080"]
    assert "sourceAddressPrefix" not in web.inputs and "destinationPortRange" not in web.inputs
    assert result.one(RULE_TYPE, "ops-rule-egress").inputs["direction"] == "Outbound"
    pip = result.one(PIP_TYPE)
    assert pip.inputs["sku"] == {"name": "Standard", "tier": "Regional"}
    assert pip.inputs["publicIPAllocationMethod"] == "Static"
    assert result.one(NIC_TYPE).inputs["ipConfigurations"][0]["publicIPAddress"] == {"id": pip.id}
    vm = result.one(VM_TYPE)
    assert vm.inputs["vmName"] == "vm-ops-001" and vm.inputs["location"] == "northeurope"
    assert vm.inputs["osProfile"]["computerName"] == "opshost01"
    assert vm.inputs["osProfile"]["adminUsername"] == "opsadmin"
    assert vm.inputs["hardwareProfile"] == {"vmSize": "Standard_D2s_v5"}
    assert vm.inputs["storageProfile"]["imageReference"]["sku"] == "2025-datacenter-azure-edition"
    assert "securityProfile" not in vm.inputs
    for resource in result.resources:
        if resource.type in (NSG_TYPE, PIP_TYPE, NIC_TYPE, VM_TYPE):
            assert resource.inputs["tags"] == {"env": "test", "owner": "ops"}
    assert len(vm.options["aliases"]) > 0  # kept on request
    assert "securityRules" not in result.one(NSG_TYPE).inputs
    assert {r.parent for r in result.resources if r.type.startswith(("azure-native", "random"))} == {component.urn}


@pytest.mark.parametrize(
    "rule, message",
    [
        (
            NsgRule("ssh", 200, [22], ["203.0.113.7"]),
            "extra_rules[0] 'ssh': an inbound Allow on management port(s) [22] would bypass JIT; "
            "leave these ports closed "
            "and request time-limited access through the JIT policy (`jit request`)",
        ),
        (
            NsgRule("range", 200, ["20-25"], ["10.0.0.0/8"]),
            "extra_rules[0] 'range': an inbound Allow on management port(s) [22] would bypass JIT",
        ),
        (
            NsgRule("all", 200, ["*"], ["Internet"], protocol="Udp"),
            "extra_rules[0] 'all': an inbound Allow on management port(s) [22] would bypass JIT",
        ),
        (
            NsgRule("low", 150, [443], ["Internet"]),
            "extra_rules[0] 'low'.priority: 150 is outside the caller band "
            "200-3899 (JIT uses 100-199, management denies 4000+)",
        ),
        (NsgRule("high", 4000, [443], ["Internet"]), "extra_rules[0] 'high'.priority: 4000 is outside the caller band"),
        (
            NsgRule("deny-management-22", 200, [443], ["Internet"]),
            "extra_rules[0] 'deny-management-22'.name: duplicate or reserved name",
        ),
        (
            NsgRule("web", 200, [443], ["Internet"], protocol="TCP"),
            "extra_rules[0] 'web'.protocol: 'TCP'; use one of Tcp, Udp, Icmp, Esp, Ah, *",
        ),
        (
            NsgRule("web", 200, [443], ["10.0.0.1/8"]),
            "extra_rules[0] 'web'.source_address_prefixes[0]: '10.0.0.1/8' is "
            "neither a CIDR without host bits, an address, nor a service tag",
        ),
        (NsgRule("web", 200, [], ["Internet"]), "extra_rules[0] 'web'.destination_port_ranges: give a non-empty list"),
    ],
)
def test_caller_rules_that_bypass_jit_or_leave_their_band_are_refused(rule, message):
    with pytest.raises(ValueError) as err:
        resolve_vm_settings("web", linux(extra_rules=[rule]))
    assert str(err.value).startswith(message)


def test_a_deny_on_a_management_port_and_two_rules_on_one_priority():
    assert resolve_vm_settings("web", linux(extra_rules=[NsgRule("no-ssh", 200, [22], ["10.0.0.0/8"], access="Deny")]))
    with pytest.raises(ValueError, match=r"^extra_rules\[1\] 'b'.priority: 200 is already used by 'a' \(Inbound\)$"):
        resolve_vm_settings(
            "web", linux(extra_rules=[NsgRule("a", 200, [443], ["Internet"]), NsgRule("b", 200, [80], ["Internet"])])
        )


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"os_type": "solaris"},
            "os_type: unknown OS 'solaris'; use 'linux' (SSH key login) or 'windows' (generated admin password)",
        ),
        (
            {"ssh_public_key": None},
            "ssh_public_key: an OpenSSH public key ('ssh-ed25519 AAAA...') is required for a "
            "linux VM; password login is disabled",
        ),
        ({"os_type": "windows"}, "ssh_public_key: windows VMs use a generated admin password; remove the key"),
        ({"winrm": True}, "winrm: WinRM ports 5985/5986 apply to windows VMs only; set winrm=False"),
        (
            {"management_ports": [22, 70000]},
            "management_ports[1]: port 70000 is out of range; use a number from 1 to 65535",
        ),
        ({"management_ports": [22, 22]}, "management_ports: duplicate ports [22]; list each port once"),
        ({"management_ports": []}, "management_ports: at least one port is required"),
        ({"image": {"publisher": "Canonical", "offer": "x"}}, "image: missing ['sku', 'version']"),
        ({"size": "B2s"}, "size: 'B2s' is not a VM size such as 'Standard_B2s'"),
        ({"admin_username": "root"}, "admin_username: 'root' is reserved by Azure"),
        ({"vm_name": "web_01!"}, "vm_name: 'web_01!' contains ['!']"),
    ],
)
def test_invalid_vm_arguments_are_refused_naming_the_field(overrides, message):
    with pytest.raises(ValueError) as err:
        resolve_vm_settings("web", linux(**overrides))
    assert str(err.value).startswith(message)


def test_invalid_arguments_create_nothing():
    registered = []
    with pytest.raises(ValueError, match="would bypass JIT"):
        run_inline(
            lambda: JitProtectedVm("web", linux(extra_rules=[NsgRule("rdp", 300, [22], ["10.0.0.0/8"])])),
            on_register=registered.append,
        )
    assert registered == [1]  # only the stack itself


def test_settings_expose_the_management_ports_and_name():
    settings = resolve_vm_settings(
        "vm-ops", JitProtectedVmArgs(resource_group_name="rg", subnet_id=SUBNET, os_type="windows", winrm=True)
    )
    assert settings.management_ports == (3389, 5985, 5986)
    assert settings.vm_name == "vm-ops" and settings.computer_name == "vm-ops"
    assert settings.public_ip is False


def test_outputs_other_components_need():
    def program():
        vm = JitProtectedVm(
            "win",
            JitProtectedVmArgs(
                resource_group_name="rg", subnet_id=SUBNET, os_type="windows", public_ip=True, location="westeurope"
            ),
        )
        for key in (
            "vm_id",
            "vm_name",
            "management_ports",
            "resource_group_name",
            "location",
            "nsg_id",
            "private_ip_address",
            "public_ip_address",
            "admin_password",
        ):
            pulumi.export(key, getattr(vm, key))

    result = run_inline(program)
    vm = result.one(VM_TYPE)
    assert result.outputs["vm_id"] == vm.id
    assert result.outputs["vm_name"] == "win"
    assert result.outputs["management_ports"] == [3389]
    assert result.outputs["resource_group_name"] == "rg"
    assert result.outputs["location"] == "westeurope"
    assert result.outputs["nsg_id"] == result.one(NSG_TYPE).id
    assert (
        result.outputs["private_ip_address"] == result.one(NIC_TYPE).outputs["ipConfigurations"][0]["privateIPAddress"]
    )
    assert result.outputs["public_ip_address"] == result.one(PIP_TYPE).outputs["ipAddress"]
    assert result.outputs["admin_password"] == vm.inputs["osProfile"]["adminPassword"]
    assert "admin_password" in result.secret_outputs


def test_an_image_with_unknown_keys_is_refused_not_silently_dropped():
    image = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest", "id": "x"}
    with pytest.raises(ValueError, match=r"image: unknown key\(s\) \['id'\]; give only publisher, offer, sku"):
        resolve_vm_settings("web", linux(image=image))


def test_the_private_ip_output_is_the_nic_address_and_its_absence_a_clear_error():
    # Azure allocates a private IP to a NIC's IP configuration when it creates the NIC; without one the
    # output would be a wrong value, so it fails with a message saying what is missing.
    def config(address):
        return network.outputs.NetworkInterfaceIPConfigurationResponse(
            etag="W/1",
            provisioning_state="Succeeded",
            private_link_connection_properties=None,
            private_ip_address=address,
        )

    assert _private_ip_address([config("10.20.1.4")]) == "10.20.1.4"
    for configs in (None, [], [config(None)]):
        with pytest.raises(ValueError, match=r"no private IP address in ipConfigurations\[0\]"):
            _private_ip_address(configs)
