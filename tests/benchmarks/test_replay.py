"""The benchmark's baselines replay the same resources, wired the same way, with or without aliases."""

from benchmarks.replay import creation_order, replay, snake_case

SUB = "/subscriptions/s/resourceGroups/rg-a"
RESOURCES = [
    {
        "type": "azure-native:network:SecurityRule",
        "name": "deny",
        "azureName": "deny",
        "id": f"{SUB}/nsg/rules/deny",
        "inputs": {
            "resourceGroupName": "rg-a",
            "networkSecurityGroupName": "nsg-a",
            "priority": 4000,
            "access": "Deny",
            "direction": "Inbound",
            "protocol": "*",
        },
    },
    {
        "type": "azure-native:network:NetworkSecurityGroup",
        "name": "nsg",
        "azureName": "nsg-a",
        "id": f"{SUB}/nsg",
        "inputs": {"resourceGroupName": "rg-a", "networkSecurityGroupName": "nsg-a"},
    },
    {
        "type": "azure-native:resources:ResourceGroup",
        "name": "rg",
        "azureName": "rg-a",
        "id": SUB,
        "inputs": {"resourceGroupName": "rg-a", "location": "westeurope"},
    },
]


def test_snake_case_matches_the_sdk_keywords():
    assert snake_case("privateIPAddress") == "private_ip_address"
    assert snake_case("networkSecurityGroupName") == "network_security_group_name"
    assert snake_case("vmName") == "vm_name"


def test_referenced_resources_are_created_first():
    assert [RESOURCES[i]["name"] for i in creation_order(RESOURCES)] == ["rg", "nsg", "deny"]


def test_replay_wires_names_through_outputs_and_only_naive_keeps_aliases():
    aliases = {"azure-native:network:SecurityRule": ["azure-native:network/v20230501:SecurityRule"]}
    floor = replay(RESOURCES, None)
    naive = replay(RESOURCES, aliases)
    rule = floor.one("azure-native:network:SecurityRule")
    assert rule.inputs["networkSecurityGroupName"] == "nsg-a"
    assert floor.one("azure-native:network:NetworkSecurityGroup").urn in rule.options["dependencies"]
    assert floor.one("azure-native:resources:ResourceGroup").urn in rule.options["dependencies"]
    assert rule.options["aliases"] == []
    assert naive.one("azure-native:network:SecurityRule").options["aliases"] != []
