"""The access summary and its delta, from recorded resources of any azure-native program.

Facts relied on (AZURE_FACTS.md): JIT's only authorisation is RBAC on
`Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action`; a port rule has
`allowedSourceAddressPrefix` or `allowedSourceAddressPrefixes` and an ISO 8601 `maxRequestAccessDuration`.
"""

import copy

from azure_jit_access.cli.preview.access import address_count, addresses_not_in, networks, summarize
from azure_jit_access.cli.preview.access_delta import access_delta
from azure_jit_access.cli.preview.arm_state import stable_guid
from azure_jit_access.rules.permissions import BUILT_IN_ROLES

SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
RG = f"{SUB}/resourceGroups/rg"
INITIATE = "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action"
OWNER = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


def res(type_, name, inputs, id_=None):
    r = {"urn": f"urn:pulumi:dev::p::{type_}::{name}", "type": type_, "name": name, "parent": None, "inputs": inputs}
    if id_:
        r["id"] = id_
    return r


def policy(vms, sources=("198.51.100.7",), cap="PT3H"):
    ports = lambda numbers: [  # noqa: E731
        {"number": n, "protocol": "TCP", "allowedSourceAddressPrefixes": list(sources), "maxRequestAccessDuration": cap}
        for n in numbers
    ]
    return res(
        "azure-native:security:JitNetworkAccessPolicy",
        "jit",
        {
            "virtualMachines": [
                {"id": f"{RG}/providers/Microsoft.Compute/virtualMachines/{v}", "ports": ports(p)} for v, p in vms
            ]
        },
        f"{RG}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default",
    )


def role(name, actions, not_actions=()):
    return res(
        "azure-native:authorization:RoleDefinition",
        name,
        {
            "roleName": name,
            "roleDefinitionId": f"guid-{name}",
            "permissions": [{"actions": actions, "notActions": list(not_actions)}],
        },
        f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/guid-{name}",
    )


def assign(name, principal, role_id, scope=RG, kind="Group"):
    return res(
        "azure-native:authorization:RoleAssignment",
        name,
        {"principalId": principal, "principalType": kind, "roleDefinitionId": role_id, "scope": scope},
    )


WORKFLOW = res(
    "azure-native:logic:Workflow",
    "approvals",
    {"identity": {"type": "SystemAssigned"}, "parameters": {"approvers": {"value": ["secops@example.com"]}}},
)
WORKFLOW_PRINCIPAL = stable_guid("principal", WORKFLOW["urn"])


def approval_estate(**policy_args):
    return {
        "resources": [
            policy([("vm-a", [22])], **policy_args),
            role("requester", [INITIATE, "Microsoft.Compute/virtualMachines/read"]),
            WORKFLOW,
            assign(
                "flow",
                WORKFLOW_PRINCIPAL,
                f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/guid-requester",
                kind="ServicePrincipal",
            ),
            assign("readers", "g-readers", READER),
        ]
    }


def test_a_workflow_holding_initiate_alone_means_approval_with_its_approvers():
    [port] = summarize(approval_estate())
    assert (port.vm, port.port, port.mode, port.approvers) == ("vm-a", 22, "approval", ["secops@example.com"])
    assert [(q.principal, q.workflow) for q in port.requesters] == [
        (WORKFLOW_PRINCIPAL, "approvals")
    ]  # Reader is not one


def test_wildcard_roles_grant_initiate_and_not_actions_take_it_away():
    doc = approval_estate()
    doc["resources"] += [
        role("security-star", ["Microsoft.Security/*"]),
        role("all-but-jit", ["*"], ["Microsoft.Security/locations/jitNetworkAccessPolicies/*"]),
        assign("ops", "g-ops", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/guid-security-star"),
        assign("devs", "g-devs", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/guid-all-but-jit"),
        assign("owners", "g-owners", OWNER, scope=SUB),
    ]
    [port] = summarize(doc)
    assert port.mode == "direct"  # people hold initiate: they can bypass the workflow
    assert [(q.principal, q.role) for q in port.people] == [("g-ops", "security-star"), ("g-owners", "Owner")]
    assert port.approvers == []


def test_an_assignment_on_another_resource_group_does_not_cover_the_policy():
    doc = approval_estate()
    doc["resources"].append(assign("elsewhere", "g-x", OWNER, scope=f"{SUB}/resourceGroups/rg2"))
    doc["resources"].append(assign("prefix-trap", "g-y", OWNER, scope=f"{SUB}/resourceGroups/rg-other"))
    assert summarize(doc)[0].mode == "approval"


def test_a_role_the_program_does_not_define_is_shown_as_possibly_granting():
    doc = approval_estate()
    doc["resources"].append(
        assign("mystery", "g-m", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/unknown-guid")
    )
    [port] = summarize(doc)
    assert port.mode == "direct"
    assert port.people[0].role == "unknown-guid (role not in this program: may grant initiate)"


def test_address_counts_use_ip_arithmetic():
    assert address_count(networks(["203.0.113.0/28", "198.51.100.7", "203.0.113.5"])) == 17
    assert addresses_not_in(networks(["198.51.100.0/24"]), networks(["198.51.100.7"])) == 255
    assert addresses_not_in(networks(["10.0.0.0/8"]), networks(["10.0.0.0/8"])) == 0
    assert networks(["Internet"]) is None
    [port] = summarize(approval_estate(sources=("*",)))
    assert port.addresses is None


def test_delta_lists_widenings_before_narrowings_and_says_every_port_once():
    base = {"resources": [policy([("vm-a", [22]), ("vm-b", [3389])], sources=("203.0.113.0/28", "198.51.100.7"))]}
    head = {
        "resources": [
            policy(
                [("vm-a", [22]), ("vm-b", [3389]), ("vm-c", [22])],
                sources=("203.0.113.0/29", "198.51.100.0/24"),
                cap="PT8H",
            )
        ]
    }
    texts = [(c.widening, c.text) for c in access_delta(summarize(base), summarize(head))]
    assert texts[0][1].startswith("vm-c port 22 newly requestable (none: nobody in this program;")
    assert (True, "198.51.100.7 widened to 198.51.100.0/24 (+255 addresses) on every port") in texts
    assert (True, "cap PT3H to PT8H on every port") in texts
    assert texts[-1] == (False, "203.0.113.0/28 narrowed to 203.0.113.0/29 (-8 addresses) on every port")
    assert [w for w, _ in texts] == [True, True, True, False]


def test_a_cap_the_duration_rule_refuses_is_reported_as_a_widening():
    # One duration grammar (rules.durations, xs:duration as ARM reads it): `PT1.5H` and `P1W` are refused
    # there, so the delta cannot say they are shorter and, failing closed, calls the change wider.
    for cap in ("PT1.5H", "P1W"):
        base = {"resources": [policy([("vm-a", [22])], cap="PT3H")]}
        head = {"resources": [policy([("vm-a", [22])], cap=cap)]}
        changes = [(c.kind, c.widening, c.text) for c in access_delta(summarize(base), summarize(head))]
        assert changes == [("duration", True, f"cap PT3H to {cap} on vm-a port 22")]


def test_removing_approval_is_a_widening_and_a_shorter_cap_a_narrowing():
    base = approval_estate()
    head = copy.deepcopy(approval_estate(cap="PT1H"))
    head["resources"].append(assign("people", "g-people", OWNER))
    changes = [(c.kind, c.widening, c.text) for c in access_delta(summarize(base), summarize(head))]
    assert ("requesters", True, "Group g-people may now request directly on vm-a port 22") in changes
    assert ("approval", True, "approval removed (people can open ports directly) on vm-a port 22") in changes
    assert ("duration", False, "cap PT3H to PT1H on vm-a port 22") in changes
    assert changes[-1][1] is False


def nsg_estate(rule_inputs, inline=False, via_subnet=False):
    """A VM behind an NSG (on its NIC, or on its subnet) with one extra inbound rule."""
    nsg_id = f"{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg"
    vm_id = f"{RG}/providers/Microsoft.Compute/virtualMachines/vm-a"
    nic_id = f"{RG}/providers/Microsoft.Network/networkInterfaces/nic"
    subnet_id = f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
    rule = {"name": "extra", "direction": "Inbound", "priority": 150, **rule_inputs}
    resources = [
        policy([("vm-a", [22])]),
        res("azure-native:network:NetworkSecurityGroup", "nsg", {"securityRules": [rule]} if inline else {}, nsg_id),
        res(
            "azure-native:network:Subnet",
            "s",
            {"networkSecurityGroup": {"id": nsg_id}} if via_subnet else {},
            subnet_id,
        ),
        res(
            "azure-native:network:NetworkInterface",
            "nic",
            {
                "ipConfigurations": [{"subnet": {"id": subnet_id}}],
                **({} if via_subnet else {"networkSecurityGroup": {"id": nsg_id}}),
            },
            nic_id,
        ),
        res(
            "azure-native:compute:VirtualMachine",
            "vm",
            {"networkProfile": {"networkInterfaces": [{"id": nic_id}]}},
            vm_id,
        ),
    ]
    if not inline:
        resources.append(
            res(
                "azure-native:network:SecurityRule",
                "extra",
                {"securityRuleName": "extra", **rule},
                f"{nsg_id}/securityRules/extra",
            )
        )
    return {"resources": resources}


def test_a_standing_allow_rule_on_a_jit_port_is_reported_as_always_open():
    allow = {"access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "Internet", "destinationPortRange": "20-25"}
    for inline in (False, True):
        for via_subnet in (False, True):
            [port] = summarize(nsg_estate(allow, inline, via_subnet))
            assert [(r.nsg, r.name, r.priority, r.sources) for r in port.always_open] == [
                ("nsg", "extra", 150, ("Internet",))
            ]
    for harmless in (
        {**allow, "access": "Deny"},
        {**allow, "protocol": "Udp"},
        {**allow, "destinationPortRange": "443"},
        {**allow, "direction": "Outbound"},
    ):
        assert summarize(nsg_estate(harmless))[0].always_open == []


def test_adding_a_standing_allow_rule_is_a_widening():
    deny = {"access": "Deny", "protocol": "*", "sourceAddressPrefix": "*", "destinationPortRange": "22"}
    allow = {
        "access": "Allow",
        "protocol": "*",
        "sourceAddressPrefixes": ["10.0.0.0/8"],
        "destinationPortRanges": ["22"],
    }
    [change] = access_delta(summarize(nsg_estate(deny)), summarize(nsg_estate(allow)))
    assert (change.kind, change.widening) == ("always-open", True)
    assert change.text == "always open without JIT: NSG rule nsg/extra (priority 150) from 10.0.0.0/8 on vm-a port 22"


def test_our_own_components_dev_stack_records_what_the_summary_needs(tmp_path):
    from azure_jit_access.cli.main import main

    base = tmp_path / "base.json"
    head = tmp_path / "head.json"
    assert main(["preview", "--stack", "dev", "--format", "json", "--output", str(base)]) == 0
    args = ["preview", "--stack", "dev", "--config", "azure-jit-access:maxRequestAccessDuration=PT1H"]
    assert main([*args, "--compare", str(base), "--format", "json", "--output", str(head)]) == 0
    access = __import__("json").loads(head.read_text())["access"]
    assert {(p["vm"], p["port"]) for p in access["ports"]} == {
        ("vm-web-01", 22),
        ("vm-win-01", 3389),
        ("vm-win-01", 5985),
        ("vm-win-01", 5986),
    }
    port = access["ports"][0]
    # Approval mode: the requester group is a viewer, so only the workflow's identity holds initiate.
    assert port["mode"] == "approval"
    assert [(q["kind"], q["workflow"]) for q in port["requesters"]] == [("ServicePrincipal", "approvals-workflow")]
    assert (port["addresses"], port["alwaysOpen"]) == (24, [])
    every = ["vm-web-01 port 22", "vm-win-01 port 3389", "vm-win-01 port 5985", "vm-win-01 port 5986"]
    assert access["delta"] == {
        "widenings": [],
        "narrowings": [{"kind": "duration", "text": "cap PT3H to PT1H on every port", "ports": every}],
    }


def test_built_in_roles_grant_initiate_as_their_published_permissions_say():
    # Microsoft Learn, "Azure built-in roles" (privileged, security, networking, general): Owner and
    # Contributor hold `*`, Security Admin `Microsoft.Security/*`; Reader `*/read`, Network Contributor
    # `Microsoft.Network/*`.
    grants = {}
    for guid in BUILT_IN_ROLES:
        doc = {
            "resources": [
                policy([("vm-a", [22])]),
                assign("x", "g", f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
            ]
        }
        grants[BUILT_IN_ROLES[guid].name] = summarize(doc)[0].mode == "direct"
    assert grants == {
        "Owner": True,
        "Contributor": True,
        "Security Admin": True,
        "Reader": False,
        "Network Contributor": False,
        "Monitoring Metrics Publisher": False,
        "User Access Administrator": False,
        "Role Based Access Control Administrator": False,
        "Virtual Machine Contributor": False,
    }


def test_any_source_and_unknown_sources_are_told_apart_and_judged_safely():
    base = summarize(approval_estate(sources=("10.0.0.1",)))
    anywhere = summarize(approval_estate(sources=("Internet",)))
    tagged = summarize(approval_estate(sources=("AzureCloud",)))
    assert (anywhere[0].count_text(), tagged[0].count_text(), base[0].count_text()) == (
        "any address",
        "address count unknown",
        "1 address",
    )
    [opened] = access_delta(base, anywhere)
    assert (opened.widening, opened.text) == (
        True,
        "sources 10.0.0.1 changed to Internet (any address) on vm-a port 22",
    )
    [tag] = access_delta(base, tagged)
    assert tag.widening  # a service tag cannot be counted: treated as a widening, never as safe
    [closed] = access_delta(anywhere, base)
    assert closed.widening is False


def test_approvers_given_as_one_string_are_split():
    doc = approval_estate()
    doc["resources"][2] = {
        **WORKFLOW,
        "inputs": {**WORKFLOW["inputs"], "parameters": {"approvers": {"value": "a@x.com; b@x.com"}}},
    }
    assert summarize(doc)[0].approvers == ["a@x.com", "b@x.com"]
