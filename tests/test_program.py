"""The root program, run through the offline engine for the dev and bastion stacks as `jit preview` does."""

import json
from pathlib import Path

import pytest

from azure_jit_access.cli.preview.engine import run_program
from azure_jit_access.rules.roles import INITIATE_ACTION, INITIATE_BUILTIN_ROLES, grants

ROOT = Path(__file__).resolve().parents[1]
NS = "azure-jit-access"


@pytest.fixture(scope="module")
def dev():
    return run_program(ROOT, "dev")


@pytest.fixture(scope="module")
def bastion():
    return run_program(ROOT, "bastion")


def _vm_children(result, vm_name, type_):
    component = result.one("azure-jit-access:vm:JitProtectedVm", vm_name)
    return [r for r in result.children_of(component.urn) if r.type == type_]


def test_dev_stack_builds_the_network_without_inline_subnets(dev):
    group = dev.one("azure-native:resources:ResourceGroup")
    assert group.inputs["resourceGroupName"] == "rg-jit-dev" and group.inputs["location"] == "westeurope"
    vnet = dev.one("azure-native:network:VirtualNetwork")
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.20.0.0/16"]}
    assert "subnets" not in vnet.inputs
    assert dev.one("azure-native:network:Subnet").inputs["addressPrefix"] == "10.20.1.0/24"


@pytest.mark.parametrize(
    "vm_name, os_key, ports",
    [("vm-web-01", "linuxConfiguration", ["22"]), ("vm-win-01", "windowsConfiguration", ["3389", "5985", "5986"])],
)
def test_dev_stack_vms_are_closed_by_standalone_deny_rules(dev, vm_name, os_key, ports):
    (nsg,) = _vm_children(dev, vm_name, "azure-native:network:NetworkSecurityGroup")
    assert "securityRules" not in nsg.inputs
    rules = _vm_children(dev, vm_name, "azure-native:network:SecurityRule")
    denies = [r for r in rules if r.inputs["access"] == "Deny"]
    assert [r.inputs["destinationPortRange"] for r in denies] == ports
    assert all(r.inputs["sourceAddressPrefix"] == "*" and r.inputs["priority"] >= 4000 for r in denies)
    (vm,) = _vm_children(dev, vm_name, "azure-native:compute:VirtualMachine")
    assert os_key in vm.inputs["osProfile"]
    assert len(_vm_children(dev, vm_name, "azure-native:network:PublicIPAddress")) == 1
    assert vm.inputs["tags"] == {"environment": "dev", "workload": "azure-jit-access"}


def test_dev_stack_has_defender_p2_retained_and_one_policy_after_it(dev):
    pricing = dev.one("azure-native:security:Pricing")
    assert (pricing.inputs["pricingTier"], pricing.inputs["subPlan"], pricing.inputs["enforce"]) == (
        "Standard",
        "P2",
        "True",
    )
    assert pricing.options["retainOnDelete"] is True and pricing.options["protect"] is True
    assert pricing.inputs["extensions"] == [{"name": "AgentlessVmScanning", "isEnabled": "True"}]
    policy = dev.one("azure-native:security:JitNetworkAccessPolicy")
    assert policy.options["dependsOn"] == [pricing.urn]
    assert policy.options["ignoreChanges"] == ["requests"]
    vm_ids = [dev.one("azure-native:compute:VirtualMachine", f"{n}-vm").id for n in ("vm-web-01", "vm-win-01")]
    assert [vm["id"] for vm in policy.inputs["virtualMachines"]] == vm_ids
    sources = ["20.50.1.0/29", "203.0.113.0/28"]
    for vm in policy.inputs["virtualMachines"]:
        for port in vm["ports"]:
            assert port["allowedSourceAddressPrefixes"] == sources
            assert port["maxRequestAccessDuration"] == "PT3H" and port["protocol"] == "TCP"


def test_dev_stack_caller_rule_opens_https_only(dev):
    https = dev.one("azure-native:network:SecurityRule", "vm-web-01-rule-allow-https")
    assert (
        https.inputs["access"],
        https.inputs["destinationPortRange"],
        https.inputs["sourceAddressPrefix"],
        https.inputs["priority"],
    ) == ("Allow", "443", "Internet", 200)


def test_dev_stack_outputs(dev):
    out = dev.outputs
    assert out["vmIds"] == {
        n: dev.one("azure-native:compute:VirtualMachine", f"{n}-vm").id for n in ("vm-web-01", "vm-win-01")
    }
    assert out["jitPolicyId"] == dev.one("azure-native:security:JitNetworkAccessPolicy").id
    assert out["managementPorts"] == {"vm-web-01": [22], "vm-win-01": [3389, 5985, 5986]}
    assert out["jitCaps"]["vm-web-01"] == [
        {
            "port": 22,
            "protocol": "TCP",
            "maxRequestAccessDuration": "PT3H",
            "allowedSourceAddressPrefixes": ["20.50.1.0/29", "203.0.113.0/28"],
        }
    ]
    assert [c["port"] for c in out["jitCaps"]["vm-win-01"]] == [3389, 5985, 5986]
    assert set(out["vmPublicIps"]) == {"vm-web-01", "vm-win-01"}
    assert "adminPasswords" in dev.secret_outputs and set(out["adminPasswords"]) == {"vm-win-01"}
    assert out["accessMode"] == "public"
    assert out["requestMode"] == "approval"


def test_bastion_stack_has_no_vm_public_ip_and_the_bastion_prefix_as_only_source(bastion):
    assert [p.name for p in bastion.find("azure-native:network:PublicIPAddress")] == ["bastion-pip"]
    subnet = bastion.one("azure-native:network:Subnet", "bastion-subnet")
    assert (subnet.inputs["subnetName"], subnet.inputs["addressPrefix"]) == ("AzureBastionSubnet", "10.30.255.0/26")
    host = bastion.one("azure-native:network:BastionHost")
    assert host.inputs["sku"] == {"name": "Standard"} and host.inputs["enableTunneling"] is True
    policy = bastion.one("azure-native:security:JitNetworkAccessPolicy")
    ports = [p for vm in policy.inputs["virtualMachines"] for p in vm["ports"]]
    assert [p["number"] for p in ports] == [22, 3389]
    assert all(
        p["allowedSourceAddressPrefix"] == "10.30.255.0/26"
        and "allowedSourceAddressPrefixes" not in p
        and p["maxRequestAccessDuration"] == "PT1H"
        for p in ports
    )
    assert bastion.outputs["bastionHostId"] == host.id
    assert bastion.outputs["vmPublicIps"] == {}
    assert bastion.outputs["accessMode"] == "bastion"


def test_runs_are_deterministic(dev):
    again = run_program(ROOT, "dev")
    assert json.dumps(again.outputs, sort_keys=True) == json.dumps(dev.outputs, sort_keys=True)


@pytest.mark.parametrize(
    "stack, override, message",
    [
        (
            "dev",
            f'{NS}:allowedSourcePrefixes=["203.0.113.7", "Any"]',
            "azure-jit-access (JIT policy): allowed_source_address_prefixes[1]: 'Any' means any source on the Internet",
        ),
        (
            "dev",
            f"{NS}:maxRequestAccessDuration=PT48H",
            "azure-jit-access (JIT policy): max_request_access_duration: 'PT48H' is 2d, outside what JIT allows"
            "; accepted range is PT5M (5 minutes) to PT24H (24 hours), e.g. 'PT3H'",
        ),
        ("dev", f"{NS}:allowedSourcePrefixes=[]", "azure-jit-access:allowedSourcePrefixes: required in public mode"),
        (
            "dev",
            f'{NS}:vms=[{{"name": "vm1", "os": "linux", "publicIP": true}}]',
            "azure-jit-access:vms[0]: unknown key 'publicIP'; did you mean 'publicIp'?",
        ),
        ("dev", f'{NS}:vms=[{{"name": "vm1", "os": "beos"}}]', "azure-jit-access:vms[0].os: unknown OS 'beos'"),
        (
            "dev",
            f'{NS}:vms=[{{"name": "vm1", "os": "linux", "ports": [22, 22]}}]',
            "azure-jit-access:vms[0]: management_ports: duplicate ports [22]; list each port once",
        ),
        ("dev", f"{NS}:vms=[]", "azure-jit-access:vms: at least one VM is required"),
        ("dev", f"{NS}:accessMode=vpn", "azure-jit-access:accessMode: 'vpn'; use 'public'"),
        ("dev", f"{NS}:requestMode=manual", "azure-jit-access:requestMode: 'manual'; use 'approval'"),
        (
            "dev",
            f'{NS}:approvals={{"tenantId": "00000000-0000-4000-8000-000000000002", '
            '"approvers": ["secops@example.com"], "http": {"audience": "api://jit-approvals"}}',
            "azure-jit-access:approvals.approvers[0]: 'secops@example.com' is an e-mail address alone",
        ),
        (
            "bastion",
            f'{NS}:vms=[{{"name": "vm1", "os": "linux", "publicIp": true}}]',
            "azure-jit-access:vms[0].publicIp: in Bastion mode VMs get no public IP",
        ),
        (
            "bastion",
            f'{NS}:network={{"addressSpace": "10.30.0.0/16", "workloadSubnetPrefix": "10.30.1.0/24", '
            '"bastionSubnetPrefix": "10.31.0.0/26"}',
            "azure-jit-access:network.bastionSubnetPrefix: '10.31.0.0/26' is not inside the VNet address space",
        ),
    ],
)
def test_bad_stack_config_is_refused_before_any_resource(stack, override, message):
    registered = []
    with pytest.raises(ValueError) as err:
        run_program(ROOT, stack, [override], on_register=registered.append)
    assert str(err.value).startswith(f"Pulumi.{stack}.yaml: {message}")
    assert registered == [1]


def test_bastion_subnet_waits_for_the_workload_subnet_on_the_same_vnet():
    # Azure refuses two concurrent subnet writes on one VNet (AnotherOperationInProgress).
    result = run_program(ROOT, "bastion")
    workload = result.one("azure-native:network:Subnet", "workload-subnet")
    bastion_subnet = result.one("azure-native:network:Subnet", "bastion-subnet")
    assert bastion_subnet.options["dependsOn"] == [workload.urn]


def test_dev_stack_composes_every_concern_once(dev):
    components = sorted(r.type.rsplit(":", 1)[-1] for r in dev.resources if r.type.startswith("azure-jit-access:"))
    assert components == [
        "DefenderForServers",
        "DenyWildcardSourcePolicy",
        "JitAccessPolicy",
        "JitApprovalWorkflow",
        "JitAuditTrail",
        "JitProtectedVm",
        "JitProtectedVm",
        "JitRequesterRole",
        "JitViewerRole",
    ]


def test_workflow_identity_gets_the_custom_requester_role_and_writes_the_audit_table(dev):
    role = dev.one("azure-native:authorization:RoleDefinition", "requester-definition")
    workflow = dev.one("azure-native:logic:Workflow")
    principal = workflow.outputs["identity"]["principalId"]
    grants = {r.name: r.inputs for r in dev.find("azure-native:authorization:RoleAssignment")}
    approvals = grants["approvals-requester-rg-jit-dev"]
    assert approvals["roleDefinitionId"] == role.id
    assert (approvals["principalId"], approvals["principalType"]) == (principal, "ServicePrincipal")
    ingestion = grants["audit-approvals-ingestion"]
    assert ingestion["principalId"] == principal
    assert ingestion["roleDefinitionId"].endswith("/roleDefinitions/3913510d-42f4-4e42-8a64-420c390055eb")
    assert ingestion["scope"] == dev.one("azure-native:monitor:DataCollectionRule").id
    assert dev.outputs["approvalWorkflowPrincipalId"] == principal


@pytest.mark.parametrize("stack", ["dev", "bastion"])
def test_in_approval_mode_only_the_workflow_identity_holds_initiate(stack):
    """Every role assignment of the shipped stack, judged with the rules core: initiate is the workflow's alone."""
    result = run_program(ROOT, stack)
    assert result.outputs["requestMode"] == "approval"
    principal = result.one("azure-native:logic:Workflow").outputs["identity"]["principalId"]
    definitions = {d.id: d.inputs["permissions"] for d in result.find("azure-native:authorization:RoleDefinition")}
    holders = set()
    for assignment in result.find("azure-native:authorization:RoleAssignment"):
        role_id = assignment.inputs["roleDefinitionId"]
        guid = role_id.rsplit("/", 1)[-1]
        assert role_id in definitions or guid not in INITIATE_BUILTIN_ROLES, assignment.name
        if role_id in definitions and grants(definitions[role_id], INITIATE_ACTION):
            holders.add((assignment.inputs["principalId"], assignment.inputs["principalType"]))
    assert holders == {(principal, "ServicePrincipal")}
    # The requester group sees JIT through the viewer role, which grants no initiate.
    viewer = result.one("azure-native:authorization:RoleAssignment", f"viewer-group-6f2c9a1e-rg-jit-{stack}")
    assert viewer.inputs["principalId"] == "6f2c9a1e-3b7d-4e55-9c0a-1d2e3f4a5b6c"
    assert not grants(definitions[viewer.inputs["roleDefinitionId"]], INITIATE_ACTION)


def test_direct_mode_keeps_requester_groups_on_the_requester_role():
    result = run_program(ROOT, "dev", [f"{NS}:requestMode=direct"])
    assert result.outputs["requestMode"] == "direct"
    names = {a.name for a in result.find("azure-native:authorization:RoleAssignment")}
    assert "requester-group-6f2c9a1e-rg-jit-dev" in names
    assert not [r for r in result.resources if r.type.endswith(":JitViewerRole")]
