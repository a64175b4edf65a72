"""Where and as whom the requester commands talk to Azure: cloud, ARM endpoint, subscription, credential.

The credential is azure-identity's `DefaultAzureCredential` (az login, environment, managed identity...).
Tests swap it for a fixed-token credential through `Runtime.credential_factory` (a function parameter, not
an environment variable or flag, so nothing a user or a script can set turns it on).
The ARM endpoint must be https: bearer tokens never travel in clear text, also not to test servers (the
tests run a TLS server on 127.0.0.1 and trust its certificate through REQUESTS_CA_BUNDLE).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azure_jit_access.cli.requester.transport import NetworkLimits

if TYPE_CHECKING:
    from azure.core.rest import HttpRequest, HttpResponse
    from azure.mgmt.core import ARMPipelineClient

JIT_API_VERSION = "2020-01-01"
ENDPOINT_ENV = "JIT_ARM_ENDPOINT"
_GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class Cloud:
    """An Azure cloud: its Resource Manager endpoint and Microsoft Entra authority."""

    name: str
    """The az CLI's name for it (AzureCloud, AzureChinaCloud, AzureUSGovernment)."""
    arm_endpoint: str
    """Resource Manager base URL."""
    authority: str
    """Microsoft Entra host that issues tokens for it."""

    @property
    def scope(self) -> str:
        """The token scope for Resource Manager in this cloud."""
        return f"{self.arm_endpoint.rstrip('/')}/.default"


CLOUDS: dict[str, Cloud] = {
    cloud.name.lower(): cloud
    for cloud in (
        Cloud("AzureCloud", "https://management.azure.com", "login.microsoftonline.com"),
        Cloud("AzureChinaCloud", "https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
        Cloud("AzureUSGovernment", "https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    )
}


@dataclass(frozen=True)
class Connection:
    """Everything needed to build clients: cloud, endpoint actually used, subscription and tenant."""

    cloud: Cloud
    """The cloud whose authority and token scope are used."""
    endpoint: str
    """The ARM base URL (the cloud's, or the --endpoint / $JIT_ARM_ENDPOINT override)."""
    subscription_id: str
    """The subscription whose JIT policies are read."""
    tenant_id: str | None = None
    """--tenant, when the subscription is in a tenant other than the credential's default."""


def resolve_cloud(name: str | None) -> Cloud:
    """The cloud for `--cloud` (default AzureCloud). Raises ValueError naming the known clouds."""
    cloud = CLOUDS.get((name or "AzureCloud").lower())
    if cloud is None:
        known = ", ".join(c.name for c in CLOUDS.values())
        raise ValueError(f"--cloud {name!r} is not a known cloud; use one of {known}")
    return cloud


def resolve_endpoint(flag: str | None, environ: Mapping[str, str], cloud: Cloud) -> str:
    """The ARM base URL: `--endpoint`, else $JIT_ARM_ENDPOINT, else the cloud's. It must be https."""
    endpoint = (flag or environ.get(ENDPOINT_ENV) or cloud.arm_endpoint).rstrip("/")
    if not endpoint.lower().startswith("https://"):
        raise ValueError(
            f"--endpoint {endpoint!r} must be an https:// URL: Azure tokens are never sent over plain http"
        )
    return endpoint


def _az_profile_subscription(config_dir: Path) -> str | None:
    profile = config_dir / "azureProfile.json"
    if not profile.is_file():
        return None
    try:
        # The az CLI writes this file with a UTF-8 byte order mark.
        data = json.loads(profile.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None
    for subscription in data.get("subscriptions", []):
        if subscription.get("isDefault"):
            return subscription.get("id")
    return None


def resolve_subscription(flag: str | None, environ: Mapping[str, str]) -> str:
    """The subscription: `--subscription`, else $AZURE_SUBSCRIPTION_ID, else the az CLI's default one.

    Raises:
        ValueError: when none is set or the value is not a subscription id.
    """
    config_dir = Path(environ.get("AZURE_CONFIG_DIR") or Path.home() / ".azure")
    value = flag or environ.get("AZURE_SUBSCRIPTION_ID") or _az_profile_subscription(config_dir)
    if not value:
        raise ValueError(
            "no subscription: pass --subscription ID, set AZURE_SUBSCRIPTION_ID, or choose one with "
            "`az account set --subscription ID`"
        )
    if not _GUID.match(value.strip()):
        raise ValueError(f"--subscription {value!r} is not a subscription id (a GUID); names are not accepted")
    return value.strip()


def resolve_connection(args: Any, environ: Mapping[str, str]) -> Connection:
    """Read --cloud, --endpoint, --subscription and --tenant (with their environment fallbacks)."""
    cloud = resolve_cloud(getattr(args, "cloud", None))
    tenant = getattr(args, "tenant", None)
    if tenant is not None and not tenant.strip():
        raise ValueError("--tenant is empty; give the tenant id or domain")
    return Connection(
        cloud=cloud,
        endpoint=resolve_endpoint(getattr(args, "endpoint", None), environ, cloud),
        subscription_id=resolve_subscription(getattr(args, "subscription", None), environ),
        tenant_id=tenant,
    )


class _TenantCredential:
    """Ask a credential for tokens of one tenant (DefaultAzureCredential takes no tenant_id itself)."""

    def __init__(self, inner: Any, tenant_id: str) -> None:
        self._inner = inner
        self._tenant_id = tenant_id

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        kwargs["tenant_id"] = self._tenant_id
        return self._inner.get_token(*scopes, **kwargs)


def default_credential(cloud: Cloud, tenant_id: str | None) -> Any:
    """azure-identity's DefaultAzureCredential for the cloud, pinned to `tenant_id` when given."""
    from azure.identity import DefaultAzureCredential

    if tenant_id is None:
        return DefaultAzureCredential(authority=cloud.authority)
    inner = DefaultAzureCredential(
        authority=cloud.authority,
        additionally_allowed_tenants=[tenant_id],
        interactive_browser_tenant_id=tenant_id,
        shared_cache_tenant_id=tenant_id,
        workload_identity_tenant_id=tenant_id,
    )
    return _TenantCredential(inner, tenant_id)


def security_client(connection: Connection, credential: Any, limits: NetworkLimits | None = None) -> Any:
    """The official azure-mgmt-security client at the connection's endpoint, JIT api-version 2020-01-01.

    `limits` bounds its timeouts, retries and `Retry-After` waits (azure-core's defaults wait for minutes).
    """
    from azure.mgmt.security import SecurityCenter

    return SecurityCenter(
        credential,
        connection.subscription_id,
        api_version=JIT_API_VERSION,
        base_url=connection.endpoint,
        credential_scopes=[connection.cloud.scope],
        **(limits or NetworkLimits()).client_kwargs(),
    )


class ArmReader:
    """Plain ARM GETs (VM, NIC, public IP) through azure-core, for the connection hint only.

    Three reads do not justify two more SDK packages (azure-mgmt-compute/-network); the same auth,
    retry and TLS policies as the SDK clients apply.
    """

    def __init__(self, connection: Connection, credential: Any, limits: NetworkLimits | None = None) -> None:
        from azure.core.pipeline import policies
        from azure.mgmt.core import ARMPipelineClient
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

        limits = limits or NetworkLimits()
        self._base_url = connection.endpoint
        self._client: ARMPipelineClient[HttpRequest, HttpResponse] = ARMPipelineClient(
            base_url=connection.endpoint,
            policies=[
                policies.HeadersPolicy(),
                policies.UserAgentPolicy("azure-jit-access"),
                limits.retry_policy(),
                ARMChallengeAuthenticationPolicy(credential, connection.cloud.scope),
            ],
            connection_timeout=limits.connect_timeout,
            read_timeout=limits.read_timeout,
        )

    def get(self, resource_id: str, api_version: str) -> dict[str, Any]:
        """GET one resource and return its JSON body; raises azure-core's HttpResponseError on failure."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        request = HttpRequest("GET", f"{self._base_url}{resource_id}", params={"api-version": api_version})
        response = self._client.send_request(request)
        if response.status_code != 200:
            raise HttpResponseError(response=response)
        return response.json()
