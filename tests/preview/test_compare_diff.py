"""Identity-aware diffs: list elements matched by natural key, order-free lists as sets, index only as a fallback."""

from azure_jit_access.cli.preview.diff import PropertyDiff, diff_values, format_diff, list_key

SUB = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/"


def vm(name, *ports):
    return {
        "id": SUB + name,
        "ports": [{"number": p, "protocol": "TCP", "maxRequestAccessDuration": "PT3H"} for p in ports],
    }


def test_adding_a_vm_to_a_jit_policy_is_one_added_vm_not_shifted_indexes():
    before = {"virtualMachines": [vm("vm-web-01", 22), vm("vm-win-01", 3389)]}
    after = {"virtualMachines": [vm("vm-web-01", 22), vm("vm-web-02", 22), vm("vm-win-01", 3389)]}
    assert diff_values(before, after) == [
        PropertyDiff("virtualMachines[vm-web-02]", None, vm("vm-web-02", 22), added=True)
    ]


def test_ports_are_matched_by_number_and_changes_inside_are_named_by_key():
    before = {"virtualMachines": [vm("a", 22, 3389)]}
    after = {"virtualMachines": [vm("a", 3389, 5985)]}
    after["virtualMachines"][0]["ports"][0]["maxRequestAccessDuration"] = "PT1H"
    assert [format_diff(d) for d in diff_values(before, after)] == [
        '- virtualMachines[a].ports[22]: {"maxRequestAccessDuration": "PT3H", "number": 22, "protocol": "TCP"}',
        '~ virtualMachines[a].ports[3389].maxRequestAccessDuration: "PT3H" => "PT1H"',
        '+ virtualMachines[a].ports[5985]: {"maxRequestAccessDuration": "PT3H", "number": 5985, "protocol": "TCP"}',
    ]


def test_vm_ids_that_share_a_last_segment_keep_the_full_id():
    other = "/subscriptions/s/resourceGroups/rg2/providers/Microsoft.Compute/virtualMachines/"
    before = {"virtualMachines": [vm("a", 22)]}
    after = {"virtualMachines": [vm("a", 22), {**vm("a", 22), "id": other + "a"}]}
    assert diff_values(before, after)[0].path == f"virtualMachines[{other}a]"


def test_nsg_rules_are_matched_by_name():
    rule = {"name": "ssh", "priority": 100, "access": "Allow"}
    before = {"securityRules": [rule, {"name": "rdp", "priority": 110}]}
    after = {"securityRules": [{"name": "https", "priority": 90}, {**rule, "priority": 150}]}
    assert [(d.path, d.added, d.removed) for d in diff_values(before, after)] == [
        ("securityRules[ssh].priority", False, False),
        ("securityRules[rdp]", False, True),
        ("securityRules[https]", True, False),
    ]


def test_role_actions_and_source_prefixes_are_sets():
    before = {
        "permissions": [{"actions": ["a/read", "b/write"], "notActions": []}],
        "sourceAddressPrefixes": ["1.2.3.4"],
    }
    after = {
        "permissions": [{"actions": ["b/write", "a/read"], "notActions": ["c"]}],
        "sourceAddressPrefixes": ["1.2.3.4"],
    }
    assert diff_values(before, after) == [PropertyDiff("permissions[0].notActions[]", None, "c", added=True)]
    port = {"allowedSourceAddressPrefixes": ["203.0.113.0/28", "198.51.100.7"]}
    widened = {"allowedSourceAddressPrefixes": ["198.51.100.0/24", "203.0.113.0/28"]}
    assert [format_diff(d) for d in diff_values(port, widened)] == [
        '- allowedSourceAddressPrefixes[]: "198.51.100.7"',
        '+ allowedSourceAddressPrefixes[]: "198.51.100.0/24"',
    ]


def test_workflow_parameters_are_compared_by_key():
    before = {"parameters": {"approvers": {"value": ["a@example.com"]}, "vmTargets": {"value": {"x": 1}}}}
    after = {
        "parameters": {"vmTargets": {"value": {"x": 1}}, "approvers": {"value": ["a@example.com", "b@example.com"]}}
    }
    assert diff_values(before, after) == [
        PropertyDiff("parameters.approvers.value[1]", None, "b@example.com", added=True)
    ]


def test_lists_without_a_key_fall_back_to_index_and_unknown_lists_use_a_unique_name():
    assert list_key("items", [{"v": 1}], [{"v": 2}]) is None
    assert diff_values({"items": [{"v": 1}]}, {"items": [{"v": 2}]}) == [PropertyDiff("items[0].v", 1, 2)]
    # A list of objects each with a distinct `name` is matched by it even when we have no entry for the list.
    assert list_key("frontendIPConfigurations", [{"name": "a"}], [{"name": "b"}, {"name": "a"}]) == "name"
    # Duplicate names cannot identify elements: back to index.
    assert list_key("things", [{"name": "a"}, {"name": "a"}], []) is None
