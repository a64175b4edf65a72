"""Invokes answer with their result type's fields, never their arguments."""

from azure_jit_access.cli.preview import invokes

SUB = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-000000000002"


def test_result_fields_come_from_the_sdk_result_class():
    assert invokes.result_fields("azure-native:storage:listStorageAccountKeys") == ("keys",)
    fields = invokes.result_fields("azure-native:network:getVirtualNetwork")
    assert {"id", "name", "location", "addressSpace", "subnets"} <= set(fields)
    assert invokes.result_fields("nope:index:getThing") is None


def test_get_answers_id_and_name_and_never_echoes_arguments():
    args = {"resourceGroupName": "rg-net", "virtualNetworkName": "hub", "expand": "subnets"}
    result = invokes.answer("azure-native:network:getVirtualNetwork", args, SUB, TENANT)
    assert result == {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub",
        "name": "hub",
    }


def test_storage_keys_are_key1_and_key2_with_full_permission():
    keys = invokes.answer("azure-native:storage:listStorageAccountKeys", {"accountName": "a"}, SUB, TENANT)["keys"]
    assert [(k["keyName"], k["permissions"]) for k in keys] == [("key1", "FULL"), ("key2", "FULL")]
    assert keys[0]["value"] != keys[1]["value"]


def test_client_config_for_both_providers():
    for token in ("azure-native:authorization:getClientConfig", "azure:core/getClientConfig:getClientConfig"):
        config = invokes.answer(token, {}, SUB, TENANT)
        assert config["subscriptionId"] == SUB and config["tenantId"] == TENANT
        assert set(config) == {"clientId", "objectId", "subscriptionId", "tenantId"}


def test_an_unknown_function_answers_nothing_rather_than_its_arguments():
    assert invokes.answer("acme:index:getWidget", {"name": "w"}, SUB, TENANT) == {}
