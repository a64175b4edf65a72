"""Shared plumbing of `jit request`, `jit status` and `jit revoke`: the Azure session and exit statuses."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure_jit_access.cli.requester.answers import check_policies, check_policy, initiate_status
from azure_jit_access.cli.requester.client import Connection, resolve_connection, security_client
from azure_jit_access.cli.requester.errors import (
    EXIT_REFUSED,
    EXIT_SERVICE,
    EXIT_USAGE,
    RefusedError,
    ServiceFault,
    UsageError,
    describe_azure_error,
    is_service_fault,
)
from azure_jit_access.cli.requester.policies import Target, VmRef, find_port_rule, find_target
from azure_jit_access.cli.requester.runtime import Runtime
from azure_jit_access.cli.requester.transport import NetworkLimits


@contextlib.contextmanager
def azure_step(doing: str, scope: str) -> Iterator[None]:
    """Turn any Azure SDK error raised inside into a `RefusedError` or `ServiceFault` with one line of advice."""
    from azure.core.exceptions import AzureError, DeserializationError

    try:
        yield
    except (AzureError, DeserializationError) as err:
        advice = describe_azure_error(err, doing=doing, scope=scope)
        raise (ServiceFault(advice) if is_service_fault(err) else RefusedError(advice)) from err


@dataclass
class Session:
    """A signed-in azure-mgmt-security client for one subscription."""

    connection: Connection
    credential: Any
    client: Any
    limits: NetworkLimits = NetworkLimits()

    def list_policies(self, resource_group: str | None) -> list[Any]:
        """The JIT policies of a resource group, or of the whole subscription when it is None."""
        operations = self.client.jit_network_access_policies
        if resource_group:
            scope = f"/subscriptions/{self.connection.subscription_id}/resourceGroups/{resource_group}"
            doing = f"list the JIT policies of resource group {resource_group}"
            with azure_step(doing, scope):
                return check_policies(self._all_pages(operations.list_by_resource_group(resource_group), doing), doing)
        scope = f"/subscriptions/{self.connection.subscription_id}"
        doing = f"list the JIT policies of subscription {self.connection.subscription_id}"
        with azure_step(doing, scope):
            return check_policies(self._all_pages(operations.list(), doing), doing)

    def _all_pages(self, paged: Any, doing: str) -> list[Any]:
        # A service that keeps sending `nextLink` (or points back to a page) must not keep us forever, and a
        # link to another host would receive our bearer token: both are faults.
        pages = paged.by_page()
        items: list[Any] = []
        seen: set[str] = set()
        count = 0
        while True:
            try:
                page = next(pages, None)
                if page is None:
                    break
                items.extend(page)
            except TypeError:  # `"value": null`: the SDK iterates it as given
                raise ServiceFault(
                    f"Azure's answer to {doing} is not what the JIT API returns: expected a `value` list of JIT "
                    "policies. Try again later; if it persists, check --endpoint and any proxy in between"
                ) from None
            count += 1
            link = pages.continuation_token
            if not link:
                break
            if link in seen:
                raise ServiceFault(f"Azure's answer to {doing} links back to a page it already sent (a nextLink loop)")
            if not str(link).lower().startswith(self.connection.endpoint.lower() + "/"):
                raise ServiceFault(f"Azure's answer to {doing} links to a page outside {self.connection.endpoint}")
            if count >= self.limits.page_limit:
                raise ServiceFault(f"Azure's answer to {doing} has more than {self.limits.page_limit} pages")
            seen.add(link)
        return items

    def get_policy(self, target: Target, remaining: float | None = None) -> Any:
        """A fresh copy of the target's policy (its `requests` change as requests are processed).

        `remaining`: seconds left of a wait; the call (connection, reads, retries) ends within them.
        """
        doing = f"read JIT policy {target.policy.name}"
        with azure_step(doing, target.policy.id):
            policy = self.client.jit_network_access_policies.get(
                target.resource_group, target.location, target.policy.name, **self.limits.call_kwargs(remaining)
            )
        return check_policy(policy, "the policy", doing)

    def find(self, vm: VmRef, policy_name: str | None, port: int | None = None) -> tuple[Target, Any]:
        """The policy entry covering the VM and, when `port` is given, its port rule.

        Raises:
            RefusedError: no policy covers the VM or the port (exit 1).
            UsageError: the VM name is ambiguous (exit 2).
        """
        policies = self.list_policies(vm.resource_group)
        try:
            target = find_target(policies, vm, policy_name)
            rule = find_port_rule(target, port) if port is not None else None
        except LookupError as err:
            raise RefusedError(str(err)) from err
        except ValueError as err:
            raise UsageError(str(err)) from err
        return target, rule

    def initiate(self, target: Target, port: int, source: str, end: datetime, justification: str) -> str:
        """POST `initiate` for one port of the target VM with an explicit source and endTimeUtc (never duration).

        Returns the port's status when Azure is opening it; raises `RefusedError` for any other status and
        `ServiceFault` for an answer that does not list the port.
        """
        from azure.mgmt.security.v2020_01_01 import models

        body = models.JitNetworkAccessPolicyInitiateRequest(
            virtual_machines=[
                models.JitNetworkAccessPolicyInitiateVirtualMachine(
                    id=target.vm.id,
                    ports=[
                        models.JitNetworkAccessPolicyInitiatePort(
                            number=port, allowed_source_address_prefix=source, end_time_utc=end
                        )
                    ],
                )
            ],
            justification=justification,
        )
        doing = f"request access to {target.vm_name} port {port}"
        with azure_step(doing, target.policy.id):
            response = self.client.jit_network_access_policies.initiate(
                target.resource_group, target.location, target.policy.name, body
            )
        return initiate_status(response, target.vm.id, port, doing)


def open_session(args: Any, runtime: Runtime) -> Session:
    """Resolve cloud, endpoint, subscription and tenant, and build the credential and client."""
    try:
        connection = resolve_connection(args, runtime.environ)
    except ValueError as err:
        raise UsageError(str(err)) from err
    # azure-identity logs a multi-line warning when no credential works; our one-line advice replaces it.
    logging.getLogger("azure").addHandler(logging.NullHandler())
    credential = runtime.credential_factory(connection.cloud, connection.tenant_id)
    return Session(connection, credential, security_client(connection, credential, runtime.limits), runtime.limits)


def run_guarded(command: str, body: Callable[[], int], runtime: Runtime) -> int:
    """Run a command body; print refusals and usage errors as one line on stderr with the right exit status."""
    try:
        return body()
    except UsageError as err:
        runtime.err.write(f"jit {command}: error: {err}\n")
        return EXIT_USAGE
    except RefusedError as err:
        runtime.err.write(f"jit {command}: {err}\n")
        return EXIT_REFUSED
    except ServiceFault as err:
        runtime.err.write(f"jit {command}: {err}\n")
        return EXIT_SERVICE
    except Exception as err:  # noqa: BLE001 - never a traceback: one line, and a status that says "try again"
        text = " ".join(str(err).split())[:200]
        runtime.err.write(
            f"jit {command}: unexpected failure ({type(err).__name__}: {text}); whether Azure acted on the request "
            "is unknown: check `jit status`, and please report it with the command line you ran\n"
        )
        return EXIT_SERVICE
