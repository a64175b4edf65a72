"""The team's own naming convention: <kind>-<team>-<env>-<nn>."""

import pulumi


def resource_name(kind: str, team: str, index: int | None = None) -> str:
    """`vm-payments-dev-01`, `rg-payments-dev`."""
    suffix = f"-{index:02d}" if index is not None else ""
    return f"{kind}-{team}-{pulumi.get_stack()}{suffix}"
