"""Where each policy is documented: an anchor per policy in docs/policies.md (pulumi-policy's `url` metadata)."""

from __future__ import annotations

DOCS_URL = "https://github.com/azure-jit-access/azure-jit-access/blob/main/docs/policies.md"


def policy_url(name: str) -> str:
    """The documentation anchor of one policy; docs/policies.md has a `### <name>` heading for each."""
    return f"{DOCS_URL}#{name}"
