"""No policy crashes on missing, unknown or oddly typed props: it reports, defers, or passes."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

TYPES = [
    "azure-native:network:SecurityRule",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:security:JitNetworkAccessPolicy",
    "azure-native:security:Pricing",
    "azure-native:authorization:RoleDefinition",
    "azure-native:authorization:RoleAssignment",
    "azure-native:authorization:PolicyAssignment",
    "azure-native:authorization:PolicyDefinition",
    "azure-native:logic:Workflow",
    "azure-native:compute:VirtualMachine",
    "azure-native:network:NetworkInterface",
    "azure-native:network:Subnet",
    "azure-native:network:VirtualNetwork",
]
KEYS = [
    "access",
    "direction",
    "protocol",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "destinationPortRange",
    "destinationPortRanges",
    "securityRules",
    "networkSecurityGroupName",
    "resourceGroupName",
    "virtualMachines",
    "pricingName",
    "pricingTier",
    "subPlan",
    "scopeId",
    "enforce",
    "permissions",
    "assignableScopes",
    "roleName",
    "roleDefinitionId",
    "principalType",
    "principalId",
    "enforcementMode",
    "policyDefinitionId",
    "policyRule",
    "definition",
    "accessControl",
    "parameters",
    "vmName",
    "networkProfile",
    "tags",
    "ipConfigurations",
    "networkSecurityGroup",
    "subnets",
    "subnetName",
    "virtualNetworkName",
    "networkInterfaceName",
    "id",
    "name",
]
ODD_VALUES = [
    UNKNOWN,
    None,
    7,
    2.5,
    True,
    "",
    "x",
    [],
    [None],
    [7],
    ["*"],
    {},
    {"id": 7},
    [{"id": UNKNOWN}],
    [{"ports": UNKNOWN, "id": 3}],
    {"triggers": 5},
    {"actions": [1], "triggers": {"t": "Request"}},
]


@pytest.mark.parametrize("type_", TYPES)
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_no_policy_raises_on_odd_props(judge, make, type_, value):
    props = {key: value for key in KEYS if value is not None}
    found = judge(make(type_, "odd", props))
    assert all(level in ("advisory", "mandatory") for _, level, _ in found)


@pytest.mark.parametrize("type_", TYPES)
def test_no_policy_raises_on_empty_props(judge, make, type_):
    judge(make(type_, "empty", {}))
