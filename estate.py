"""Which role a stack plays in the estate, and which config keys each role accepts (docs/estate.md).

- `all-in-one` (default, the `dev` stack): one stack owns everything, as before roles existed.
- `platform`: the subscription-wide singletons, once per subscription (Defender for Servers P2, the
  deny-wildcard Azure Policy, activity-log export), the audit workspace and alerts, the requester role.
- `workload`: VMs (new or existing), NSG rules, JIT policies and role assignments; it reads the platform's
  outputs by `StackReference` (`platformStack`).

A key given to a role that does not use it is an error naming the role, never silently ignored: a workload
stack with `defender:` would otherwise look protected by settings nothing applies.
"""

from __future__ import annotations

import re

from stack_schema import NAMESPACE, ConfigError, did_you_mean, validate_namespace

ALL_IN_ONE, PLATFORM, WORKLOAD = "all-in-one", "platform", "workload"
ROLES = (ALL_IN_ONE, PLATFORM, WORKLOAD)

_COMMON = {"role", "tags"}
ROLE_KEYS: dict[str, set[str]] = {
    PLATFORM: _COMMON
    | {
        "resourceGroupName",
        "subscriptions",
        "defender",
        "requesterPortal",
        "policyScope",
        "policyEffect",
        "assignJitAuditPolicy",
        "audit",
    },
    WORKLOAD: _COMMON
    | {
        "platformStack",
        "resourceGroups",
        "existingVms",
        "allowedSourcePrefixes",
        "maxRequestAccessDuration",
        "jitPolicyName",
        "adminUsername",
        "sshPublicKey",
        "requesterGroupIds",
    },
}
"""Keys each split role accepts; all-in-one accepts every key except the other roles' own."""
ESTATE_ONLY = {"platformStack", "subscriptions", "resourceGroups", "existingVms"}

PLATFORM_OUTPUTS = ("role", "subscriptions", "requesterRoleIds", "defenderPricingIds", "wildcardPolicyAssignmentIds")
"""The platform stack's outputs a workload stack reads (the contract between the two roles)."""

STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def resolve_role(values: dict) -> str:
    """The stack's role from type-checked config values; `ValueError` for an unknown role or a misplaced key."""
    role = values.get("role", ALL_IN_ONE)
    if role not in ROLES:
        raise ValueError(f"{NAMESPACE}:role: {role!r} is not a role; {did_you_mean(role, ROLES)} ({', '.join(ROLES)})")
    check_role_keys(role, values)
    return role


def check_role_keys(role: str, values: dict) -> None:
    """Refuse a key the role does not use, naming the role that does."""
    for key in sorted(values):
        allowed = ROLE_KEYS.get(role)
        misplaced = key not in allowed if allowed is not None else key in ESTATE_ONLY
        if misplaced:
            owners = [r for r, keys in ROLE_KEYS.items() if key in keys] or [ALL_IN_ONE]
            raise ValueError(
                f"{NAMESPACE}:{key}: not used by the {role} role (it belongs to {' or '.join(owners)}); "
                f"remove it, or set {NAMESPACE}:role to {owners[0]} (docs/estate.md)"
            )


def check_platform_stack(name: object) -> str:
    """`platformStack`: the fully qualified `org/project/stack` a StackReference needs."""
    if not isinstance(name, str) or not STACK_NAME.fullmatch(name.strip()):
        raise ValueError(
            f"{NAMESPACE}:platformStack: required in the workload role, the platform stack as org/project/stack, "
            "e.g. organization/azure-jit-access/platform"
        )
    return name.strip()


def stack_file() -> str:
    """The stack's config file, named in every error."""
    import pulumi

    return f"Pulumi.{pulumi.get_stack()}.yaml"


def read_values() -> tuple[dict, str | None]:
    """The stack's `azure-jit-access:*` values, type-checked, and `azure-native:location`."""
    from pulumi.runtime import config as runtime_config

    raw = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return validate_namespace(raw), raw.get("azure-native:location")


def read_role() -> str:
    """The stack's role; `ConfigError` naming the file when the role or a key is wrong."""
    try:
        return resolve_role(read_values()[0])
    except ValueError as err:
        raise ConfigError(f"{stack_file()}: {err}") from None


def read_role_config(resolve):
    """`resolve(values, location)` on the stack's checked values; `ConfigError` naming the file on a mistake."""
    try:
        return resolve(*read_values())
    except ValueError as err:
        raise ConfigError(f"{stack_file()}: {err}") from None
