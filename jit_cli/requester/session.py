"""Shared plumbing of `jit request`, `jit status` and `jit revoke`: the Azure session and exit statuses."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from azure_jit_access.cli.requester.client import Connection, resolve_connection, security_client
from azure_jit_access.cli.requester.errors import (
    EXIT_REFUSED,
    EXIT_USAGE,
    RefusedError,
    UsageError,
    describe_azure_error,
)
from azure_jit_access.cli.requester.policies import Target, VmRef, find_port_rule, find_target
from azure_jit_access.cli.requester.runtime import Runtime


@contextlib.contextmanager
def azure_step(doing: str, scope: str) -> Iterator[None]:
    """Turn any Azure SDK error raised inside into a `RefusedError` with one line of advice."""
    from azure.core.exceptions import AzureError

    try:
        yield
    except AzureError as err:
        raise RefusedError(describe_azure_error(err, doing=doing, scope=scope)) from err


@dataclass
class Session:
    """A signed-in azure-mgmt-security client for one subscription."""

    connection: Connection
    credential: Any
    client: Any

    def list_policies(self, resource_group: str | None) -> list[Any]:
        """The JIT policies of a resource group, or of the whole subscription when it is None."""
        operations = self.client.jit_network_access_policies
        if resource_group:
            scope = f"/subscriptions/{self.connection.subscription_id}/resourceGroups/{resource_group}"
            with azure_step(f"list the JIT policies of resource group {resource_group}", scope):
                return list(operations.list_by_resource_group(resource_group))
        scope = f"/subscriptions/{self.connection.subscription_id}"
        with azure_step(f"list the JIT policies of subscription {self.connection.subscription_id}", scope):
            return list(operations.list())

    def get_policy(self, target: Target) -> Any:
        """A fresh copy of the target's policy (its `requests` change as requests are processed)."""
        with azure_step(f"read JIT policy {target.policy.name}", target.policy.id):
            return self.client.jit_network_access_policies.get(
                target.resource_group, target.location, target.policy.name
            )

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

    def initiate(self, target: Target, port: int, source: str, end: datetime, justification: str) -> Any:
        """POST `initiate` for one port of the target VM with an explicit source and endTimeUtc (never duration)."""
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
        with azure_step(f"request access to {target.vm_name} port {port}", target.policy.id):
            return self.client.jit_network_access_policies.initiate(
                target.resource_group, target.location, target.policy.name, body
            )


def open_session(args: Any, runtime: Runtime) -> Session:
    """Resolve cloud, endpoint, subscription and tenant, and build the credential and client."""
    try:
        connection = resolve_connection(args, runtime.environ)
    except ValueError as err:
        raise UsageError(str(err)) from err
    # azure-identity logs a multi-line warning when no credential works; our one-line advice replaces it.
    logging.getLogger("azure").addHandler(logging.NullHandler())
    credential = runtime.credential_factory(connection.cloud, connection.tenant_id)
    return Session(connection, credential, security_client(connection, credential))


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
