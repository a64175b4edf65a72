"""The estate: platform and workload stacks of one program, previewed together and apart (docs/estate.md)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from azure_jit_access.cli.preview import render
from azure_jit_access.cli.preview.engine import run_program
from azure_jit_access.cli.preview.packs import evaluate_packs, load_pack
from azure_jit_access.rules.arm_ids import parse_arm_id

ROOT = Path(__file__).resolve().parents[1]
NS = "azure-jit-access"
PLATFORM_REF = "organization/azure-jit-access/platform"
SUB_PLATFORM, SUB_A, SUB_B = (
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
)
SHIPPED = ["dev", "bastion", "platform", "workload-a", "workload-b"]


@pytest.fixture(scope="module")
def pack():
    return load_pack(ROOT / "policies")


@pytest.fixture(scope="module")
def platform():
    return run_program(ROOT, "platform", preview=False)


@pytest.fixture(scope="module")
def estate(platform):
    """Every shipped stack, the workloads wired to the platform's outputs as `jit preview --all-stacks` does."""
    wiring = {PLATFORM_REF: platform.outputs}
    runs = {"platform": platform}
    for stack in SHIPPED:
        if stack != "platform":
            runs[stack] = run_program(ROOT, stack, stack_outputs=wiring, preview=False)
    return runs


def expected_arm_id(resource, provider_subscription):
    """The ARM id Azure gives a subscription- or tenant-scoped resource, built from its recorded inputs.

    Paths from the REST API specs (Microsoft.Authorization policyAssignments, policyDefinitions,
    roleDefinitions; Microsoft.Security pricings; Microsoft.Insights subscription diagnosticSettings).
    """
    inputs = resource.inputs
    kind = resource.type.rsplit(":", 1)[-1]
    if kind == "PolicyAssignment":
        return f"{inputs['scope']}/providers/Microsoft.Authorization/policyAssignments/{inputs['policyAssignmentName']}"
    if kind == "PolicyDefinition":
        name = inputs["policyDefinitionName"]
        return f"/subscriptions/{provider_subscription}/providers/Microsoft.Authorization/policyDefinitions/{name}"
    if kind == "RoleDefinition":
        return f"{inputs['scope']}/providers/Microsoft.Authorization/roleDefinitions/{inputs['roleDefinitionId']}"
    if kind == "Pricing":
        return f"{inputs['scopeId']}/providers/Microsoft.Security/pricings/{inputs['pricingName']}"
    if kind == "SubscriptionDiagnosticSetting":
        return (
            f"/subscriptions/{provider_subscription}/providers/Microsoft.Insights/diagnosticSettings/{inputs['name']}"
        )
    return None


def _provider_subscription(result, resource, default):
    ref = resource.options.get("provider", "")
    for candidate in result.resources:
        if candidate.urn == ref.rpartition("::")[0]:
            return candidate.inputs["subscriptionId"]
    return default


def test_no_two_resources_of_the_shipped_estate_share_an_azure_id(estate):
    owners = {}
    checked = 0
    for stack, result in estate.items():
        default = _config_subscription(stack)
        for resource in result.resources:
            if not resource.custom or resource.type.startswith("pulumi:"):
                continue
            expected = expected_arm_id(resource, _provider_subscription(result, resource, default))
            if expected is not None:
                # The engine's id is the one Azure would give, for the scoped types that collide.
                assert resource.id == expected, (stack, resource.name)
                checked += 1
            owners.setdefault(resource.id.lower(), []).append((stack, resource.name))
    assert checked >= 25  # every pricing, policy, role definition and diagnostic setting of the five stacks
    shared = {rid: who for rid, who in owners.items() if len(who) > 1}
    assert shared == {}


def _config_subscription(stack):
    import yaml

    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config.get("azure-native:subscriptionId", "00000000-0000-4000-8000-000000000001")


def test_the_check_would_catch_two_all_in_one_stacks_in_one_subscription():
    # What the issue reports: dev and bastion in one subscription claim the same singletons.
    dev = run_program(ROOT, "dev", preview=False)
    same = run_program(ROOT, "bastion", ["azure-native:subscriptionId=00000000-0000-4000-8000-000000000001"])
    ids = {r.id.lower() for r in dev.resources if r.custom} & {r.id.lower() for r in same.resources if r.custom}
    kinds = {parse_arm_id(i).type.lower() for i in ids}
    assert {"pricings", "policyassignments", "policydefinitions"} <= kinds


def test_dev_is_unchanged_resource_for_resource():
    # Golden recorded from main without the estate roles (commit 8a9d489): URNs, inputs, options, outputs.
    # A change that alters dev on purpose re-records it from its own `jit preview --stack dev --format json`
    # (resources without `source`, and outputs) and says why in the CHANGELOG.
    golden = json.loads((ROOT / "tests" / "golden" / "dev-preview.json").read_text())
    doc = render.to_json_document(run_program(ROOT, "dev"))
    assert [{k: v for k, v in r.items() if k != "source"} for r in doc["resources"]] == golden["resources"]
    assert doc["outputs"] == golden["outputs"]


@pytest.mark.parametrize("stack", ["platform", "workload-a", "workload-b"])
@pytest.mark.parametrize("wired", [False, True])
def test_shipped_estate_stacks_pass_the_pack_alone_and_wired(stack, wired, pack, platform):
    outputs = {PLATFORM_REF: platform.outputs} if wired else None
    result = run_program(ROOT, stack, stack_outputs=outputs)
    evaluate_packs([pack], result)
    assert [v for v in result.violations if v.enforcement == "mandatory"] == []
    assert result.resources


def test_platform_covers_every_subscription_through_its_own_provider(platform):
    providers = {r.urn: r.inputs["subscriptionId"] for r in platform.find("pulumi:providers:azure-native")}
    assert sorted(providers.values()) == [SUB_A, SUB_B]
    pricings = platform.find("azure-native:security:Pricing")
    assert sorted(p.inputs["scopeId"] for p in pricings) == [f"/subscriptions/{SUB_A}", f"/subscriptions/{SUB_B}"]
    assert all((p.inputs["pricingTier"], p.inputs["subPlan"]) == ("Standard", "P2") for p in pricings)
    for kind in ("PolicyAssignment", "PolicyDefinition", "RoleDefinition", "SubscriptionDiagnosticSetting"):
        found = platform.find(f"azure-native:{'monitor' if 'Diagnostic' in kind else 'authorization'}:{kind}")
        assert found, kind
        for resource in found:
            sub = providers[resource.options["provider"].rpartition("::")[0]]
            assert sub in resource.id, (kind, resource.name)
    assignments = platform.find("azure-native:authorization:PolicyAssignment")
    names = {a.inputs["policyAssignmentName"] for a in assignments}
    # Owned by this stack: not the all-in-one names, and short enough for a management group (24).
    assert not names & {"deny-wildcard-nsg", "deny-wildcard-jit", "audit-jit-mgmt-ports"}
    assert all(len(n) <= 24 for n in names) and len(names) == 3
    (setting, *_) = platform.find("azure-native:monitor:SubscriptionDiagnosticSetting")
    assert setting.inputs["name"].startswith("jit-audit-") and setting.inputs["name"] != "audit-jit-audit"
    assert platform.outputs["requesterRoleIds"].keys() == {SUB_A, SUB_B}
    assert platform.one("azure-native:operationalinsights:Workspace").inputs["resourceGroupName"] == "rg-jit-platform"
    assert not platform.find("azure-native:compute:VirtualMachine")


def test_platform_can_assign_the_policy_once_at_a_management_group():
    scope = "/providers/Microsoft.Management/managementGroups/mg-landing-zones"
    result = run_program(ROOT, "platform", [f"{NS}:policyScope={scope}"], preview=False)
    assert not result.find("azure-native:authorization:PolicyDefinition")
    definitions = result.find("azure-native:authorization:PolicyDefinitionAtManagementGroup")
    assert len(definitions) == 2 and all(d.inputs["managementGroupId"] == "mg-landing-zones" for d in definitions)
    assignments = result.find("azure-native:authorization:PolicyAssignment")
    assert len(assignments) == 3 and all(a.inputs["scope"] == scope for a in assignments)
    assert all(len(a.inputs["policyAssignmentName"]) <= 24 for a in assignments)
    assert len(result.find("azure-native:security:Pricing")) == 2


def test_workload_b_has_one_jit_policy_per_resource_group_and_region(estate):
    result = estate["workload-b"]
    policies = {
        (p.inputs["resourceGroupName"], p.inputs["ascLocation"]): [
            vm["id"].rsplit("/", 1)[-1] for vm in p.inputs["virtualMachines"]
        ]
        for p in result.find("azure-native:security:JitNetworkAccessPolicy")
    }
    assert policies == {
        ("rg-web-weu", "westeurope"): ["vm-web-weu-01"],
        ("rg-web-neu", "northeurope"): ["vm-web-neu-01", "vm-ops-neu-01"],
    }
    names = {
        p.inputs["jitNetworkAccessPolicyName"] for p in result.find("azure-native:security:JitNetworkAccessPolicy")
    }
    other = {
        p.inputs["jitNetworkAccessPolicyName"]
        for p in estate["workload-a"].find("azure-native:security:JitNetworkAccessPolicy")
    }
    assert len(names) == 1 and names.isdisjoint(other | {"default"})
    assert not result.find("azure-native:security:Pricing") and not result.find(
        "azure-native:authorization:PolicyAssignment"
    )


def test_workload_assigns_the_platform_role_of_its_subscription(estate, platform):
    role_id = platform.outputs["requesterRoleIds"][SUB_A]
    for stack in ("workload-a", "workload-b"):
        grants = estate[stack].find("azure-native:authorization:RoleAssignment")
        assert grants and all(g.inputs["roleDefinitionId"] == role_id for g in grants)
        assert all(g.inputs["scope"].startswith(f"/subscriptions/{SUB_A}/resourceGroups/") for g in grants)


def test_workload_a_closes_existing_nsgs_and_never_touches_the_vms(estate):
    result = estate["workload-a"]
    assert not result.find("azure-native:compute:VirtualMachine")
    assert not result.find("azure-native:network:NetworkSecurityGroup")
    rules = {
        (
            r.inputs["resourceGroupName"],
            r.inputs["networkSecurityGroupName"],
            r.inputs["destinationPortRange"],
        ): r.inputs
        for r in result.find("azure-native:network:SecurityRule")
    }
    assert set(rules) == {("rg-legacy-app", "vm-legacy-01-nsg", "22"), ("rg-legacy-net", "snet-app-nsg", "3389")}
    assert all(r["access"] == "Deny" and r["direction"] == "Inbound" and r["priority"] >= 4000 for r in rules.values())
    (policy,) = result.find("azure-native:security:JitNetworkAccessPolicy")
    assert [vm["id"].rsplit("/", 1)[-1] for vm in policy.inputs["virtualMachines"]] == ["vm-legacy-01", "vm-legacy-02"]


def test_a_workload_outside_the_platforms_subscriptions_is_refused(platform, tmp_path):
    # In a child process, as `jit preview` runs: the failing apply raises in several of the engine's threads at
    # once, and CPython before 3.11.8 can then leave the AST constructor's recursion counter wrong for the rest
    # of the process (python/cpython#106905: every later ast.parse, pytest's included, raises SystemError).
    outputs = tmp_path / "platform.json"
    outputs.write_text(json.dumps(platform.outputs))
    done = subprocess.run(
        [sys.executable, "-m", "azure_jit_access.cli.main", "preview", "--program", str(ROOT), "--stack", "workload-b"]
        + ["--config", f"azure-native:subscriptionId={SUB_PLATFORM}", "--stack-outputs", f"{PLATFORM_REF}={outputs}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert f"platform stack {PLATFORM_REF} does not cover subscription {SUB_PLATFORM}" in done.stderr
    assert "add it to the platform's azure-jit-access:subscriptions first" in done.stderr


VM = '{"name": "vm-x", "os": "windows"}'
EXISTING = (
    '{"id": "/subscriptions/' + SUB_A + '/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm-x", '
    '"location": "westeurope", "nsgIds": ["/subscriptions/' + SUB_A + "/resourceGroups/rg-a/providers/"
    'Microsoft.Network/networkSecurityGroups/%s"]}'
)
GROUP = (
    '{"name": "rg-a", "location": "%s", '
    '"network": {"addressSpace": "10.9.0.0/16", "workloadSubnetPrefix": "10.9.1.0/24"}, "vms": [%s]}'
)
GROUP_B = GROUP.replace("rg-a", "rg-b")


@pytest.mark.parametrize(
    "stack, overrides, message",
    [
        ("dev", [f"{NS}:role=platfrom"], "azure-jit-access:role: 'platfrom' is not a role; did you mean 'platform'?"),
        (
            "dev",
            [f"{NS}:platformStack=o/p/s"],
            "azure-jit-access:platformStack: not used by the all-in-one role (it belongs to workload)",
        ),
        (
            "platform",
            [f"{NS}:vms=[{VM}]"],
            "azure-jit-access:vms: not used by the platform role (it belongs to all-in-one)",
        ),
        (
            "workload-a",
            [f"{NS}:defender={{}}"],
            "azure-jit-access:defender: not used by the workload role (it belongs to platform)",
        ),
        (
            "workload-a",
            [f"{NS}:platformStack=platform"],
            "azure-jit-access:platformStack: required in the workload role, the platform stack as org/project/stack",
        ),
        (
            "platform",
            [f"{NS}:policyScope=/subscriptions/{SUB_A}"],
            "azure-jit-access:policyScope: the platform role assigns the policy in every subscription",
        ),
        (
            "platform",
            [f'{NS}:subscriptions=["{SUB_A}", "{SUB_A.upper()}"]'],
            "azure-jit-access:subscriptions[1]: 22222222-2222-4222-8222-222222222222 is listed twice",
        ),
        (
            "platform",
            [f'{NS}:subscriptions=["sub-a"]'],
            "azure-jit-access:subscriptions[0]: 'sub-a' is not a subscription GUID",
        ),
        (
            "workload-a",
            [f"{NS}:existingVms=[{EXISTING % 'n1'}, {EXISTING % 'n2'}]"],
            "azure-jit-access:existingVms[1]: /subscriptions/"
            + SUB_A
            + "/resourceGroups/rg-a/providers/Microsoft.Compute/"
            "virtualMachines/vm-x is already listed at azure-jit-access:existingVms[0]: "
            "a VM is listed twice by the same JIT policy",
        ),
        (
            "workload-a",
            [f"{NS}:existingVms=[{EXISTING % 'n1'}]", f"{NS}:resourceGroups=[{GROUP % ('northeurope', VM)}]"],
            "is already listed at azure-jit-access:resourceGroups[0].vms[0]: a VM is listed by two JIT policies "
            "(rg-a/northeurope and rg-a/westeurope)",
        ),
        (
            "workload-a",
            [
                f"{NS}:existingVms=[{EXISTING.replace('vm-x', 'vm-y') % 'vm-x-nsg'}]",
                f"{NS}:resourceGroups=[{GROUP % ('westeurope', VM)}]",
            ],
            "existingVms[0].nsgIds: /subscriptions/" + SUB_A + "/resourceGroups/rg-a/providers/Microsoft.Network/"
            "networkSecurityGroups/vm-x-nsg is managed by this stack (vm-x)",
        ),
        (
            "workload-a",
            [f"{NS}:existingVms=[{EXISTING.replace(SUB_A, SUB_B) % 'n1'}]"],
            f"azure-jit-access:existingVms[0].id: the VM is in subscription {SUB_B}, this stack deploys to {SUB_A}",
        ),
        (
            "workload-b",
            [f"{NS}:resourceGroups=[{GROUP % ('westeurope', VM)}, {GROUP_B % ('westeurope', VM)}]"],
            "azure-jit-access:resourceGroups[1].vms[0]: a VM named 'vm-x' is listed twice",
        ),
        (
            "workload-b",
            [f"{NS}:resourceGroups=[{GROUP % ('westeurope', VM.replace('windows', 'beos'))}]"],
            "azure-jit-access:resourceGroups[0].vms[0].os: unknown OS 'beos'",
        ),
        (
            "workload-a",
            [f"{NS}:existingVms=[]"],
            "azure-jit-access:resourceGroups / existingVms: a workload stack protects at least one VM",
        ),
    ],
)
def test_bad_estate_config_is_refused_before_any_resource(stack, overrides, message):
    registered = []
    with pytest.raises(ValueError) as err:
        run_program(ROOT, stack, overrides, on_register=registered.append)
    assert str(err.value).startswith(f"Pulumi.{stack}.yaml: ") and message in str(err.value)
    assert registered == [1]


def test_platform_alerts_on_assignments_of_the_first_subscriptions_requester_role(platform):
    guid = platform.outputs["requesterRoleIds"][SUB_A].rsplit("/", 1)[-1]
    queries = [
        criterion["query"]
        for rule in platform.find("azure-native:monitor:ScheduledQueryRule")
        for criterion in rule.inputs["criteria"]["allOf"]
    ]
    assert any(f'contains "{guid}"' in query for query in queries)
