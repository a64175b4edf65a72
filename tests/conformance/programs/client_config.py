"""Reads the client config through azure-native and through classic azure's token."""

import pulumi
from pulumi_azure_native import authorization

native = authorization.get_client_config()
classic = pulumi.runtime.invoke("azure:core/getClientConfig:getClientConfig", {}).value
pulumi.export("nativeSubscription", native.subscription_id)
pulumi.export("nativeTenant", native.tenant_id)
pulumi.export("classicSubscription", classic["subscriptionId"])
pulumi.export("classicObjectId", classic["objectId"])
