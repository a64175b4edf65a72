"""The mock engine records what a program registers, deterministically and ARM-shaped."""

from pathlib import Path

import pulumi
import pytest
from pulumi_azure_native import authorization, logic, network, resources

from azure_jit_access.cli.preview.engine import ProgramError, run_inline, run_program

RAW_PROGRAM = Path(__file__).parent.parent / "fixtures" / "raw_program"
SUB = "00000000-0000-4000-8000-000000000001"


class Box(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Box", name, None, opts)
        self.nsg = network.NetworkSecurityGroup(
            f"{name}-nsg", resource_group_name="rg-a", opts=pulumi.ResourceOptions(parent=self)
        )
        network.SecurityRule(
            f"{name}-deny",
            resource_group_name="rg-a",
            network_security_group_name=self.nsg.name,
            access="Deny",
            direction="Inbound",
            protocol="*",
            priority=4000,
            source_address_prefix="*",
            destination_port_range="22",
            opts=pulumi.ResourceOptions(
                parent=self.nsg, depends_on=[self.nsg], protect=True, retain_on_delete=True, ignore_changes=["priority"]
            ),
        )
        self.register_outputs({})


def test_resources_are_recorded_with_parents_inputs_and_options():
    result = run_inline(lambda: Box("web"))
    box = result.one("test:index:Box")
    nsg = result.one("azure-native:network:NetworkSecurityGroup")
    rule = result.one("azure-native:network:SecurityRule")
    stack = result.one("pulumi:pulumi:Stack")
    assert box.parent == stack.urn
    assert nsg.parent == box.urn
    assert rule.parent == nsg.urn
    assert rule.urn == (
        "urn:pulumi:test::azure-jit-access::test:index:Box$azure-native:network:"
        "NetworkSecurityGroup$azure-native:network:SecurityRule::web-deny"
    )
    assert rule.inputs["sourceAddressPrefix"] == "*"
    assert rule.inputs["priority"] == 4000 and isinstance(rule.inputs["priority"], int)
    assert rule.options["protect"] is True
    assert rule.options["retainOnDelete"] is True
    assert rule.options["ignoreChanges"] == ["priority"]
    assert [r.name for r in result.resources] == ["azure-jit-access-test", "web", "web-nsg", "web-deny"]


def test_explicit_depends_on_is_recorded():
    def program():
        rg = resources.ResourceGroup("rg", location="westeurope")
        network.NetworkSecurityGroup("nsg", resource_group_name="fixed", opts=pulumi.ResourceOptions(depends_on=[rg]))

    result = run_inline(program)
    rg = result.one("azure-native:resources:ResourceGroup")
    assert result.one("azure-native:network:NetworkSecurityGroup").options["dependsOn"] == [rg.urn]


def test_ids_are_arm_shaped_and_identical_across_runs():
    first = run_inline(lambda: Box("web"))
    second = run_inline(lambda: Box("web"))
    nsg_id = first.one("azure-native:network:NetworkSecurityGroup").id
    assert nsg_id == (
        f"/subscriptions/{SUB}/resourceGroups/rg-a/providers/Microsoft.Network/networkSecurityGroups/web-nsg"
    )
    assert first.one("azure-native:network:SecurityRule").id == nsg_id + "/securityRules/web-deny"
    assert [r.outputs for r in first.resources] == [r.outputs for r in second.resources]


def test_client_config_invoke_answers_camel_case_and_honours_config_overrides():
    def program():
        client = authorization.get_client_config_output()
        pulumi.export("sub", client.subscription_id)
        pulumi.export("tenant", client.tenant_id)

    assert run_inline(program).outputs == {"sub": SUB, "tenant": "00000000-0000-4000-8000-000000000002"}
    custom = run_inline(program, config={"azure-native:subscriptionId": "sub-x", "azure-native:tenantId": "t-y"})
    assert custom.outputs == {"sub": "sub-x", "tenant": "t-y"}


def test_managed_identity_gets_a_principal_id_downstream_resources_can_use():
    def program():
        flow = logic.Workflow("flow", resource_group_name="rg", identity={"type": "SystemAssigned"})
        pulumi.export("principal", flow.identity.apply(lambda i: i.principal_id))

    result = run_inline(program)
    principal = result.outputs["principal"]
    assert len(principal) == 36 and principal.count("-") == 4
    assert run_inline(program).outputs["principal"] == principal


def test_nic_private_ip_falls_inside_its_subnet():
    def program():
        subnet = network.Subnet(
            "snet", resource_group_name="rg", virtual_network_name="vnet", address_prefix="10.9.8.0/24"
        )
        nic = network.NetworkInterface(
            "nic",
            resource_group_name="rg",
            ip_configurations=[
                network.NetworkInterfaceIPConfigurationArgs(name="ip", subnet=network.SubnetArgs(id=subnet.id))
            ],
        )
        pulumi.export("ip", nic.ip_configurations.apply(lambda c: c[0].private_ip_address))

    assert run_inline(program).outputs["ip"].startswith("10.9.8.")


def test_secret_inputs_are_marked():
    def program():
        network.NetworkSecurityGroup("nsg", resource_group_name=pulumi.Output.secret("hidden-rg"))

    nsg = run_inline(program).one("azure-native:network:NetworkSecurityGroup")
    assert nsg.inputs["resourceGroupName"] == "hidden-rg"
    assert nsg.secret_paths == ["resourceGroupName"]


def test_program_exceptions_propagate_and_logged_errors_fail_the_run():
    def raises():
        raise ValueError("vms: the list is empty")

    with pytest.raises(ValueError, match="vms: the list is empty"):
        run_inline(raises)

    def logs_error():
        pulumi.log.error("something is wrong")

    with pytest.raises(ProgramError, match="something is wrong"):
        run_inline(logs_error)


def test_a_raw_azure_native_program_runs_from_its_folder():
    result = run_program(RAW_PROGRAM, "dev")
    assert result.project == "raw-azure"
    assert len(result.find("azure-native:network:SecurityRule")) == 2
    policy = result.one("azure-native:security:JitNetworkAccessPolicy")
    assert policy.options["ignoreChanges"] == ["requests"]
    assert policy.inputs["virtualMachines"][0]["id"] == (
        f"/subscriptions/{SUB}/resourceGroups/rg-raw/providers/Microsoft.Compute/virtualMachines/web-1"
    )
    assert result.outputs["policyId"].endswith("/locations/westeurope/jitNetworkAccessPolicies/default")
    assert result.secret_outputs == ["adminPassword"]


def test_running_this_project_twice_in_one_process_works():
    # The project's .venv lives inside the program folder: its packages must not be forgotten between runs.
    root = Path(__file__).parent.parent.parent
    first = run_program(root, "dev")
    second = run_program(root, "dev")
    assert [r.urn for r in first.resources] == [r.urn for r in second.resources]


def test_dependencies_through_inputs_are_recorded_apart_from_depends_on():
    def program():
        nsg = network.NetworkSecurityGroup("nsg", resource_group_name="rg")
        network.SecurityRule(
            "rule",
            resource_group_name="rg",
            network_security_group_name=nsg.name,
            access="Deny",
            direction="Inbound",
            protocol="*",
            priority=4000,
        )

    result = run_inline(program)
    rule = result.one("azure-native:network:SecurityRule")
    assert rule.options["dependencies"] == [result.one("azure-native:network:NetworkSecurityGroup").urn]
    assert rule.options["dependsOn"] == []
