"""The team's own components folder: a generic name that must never shadow azure_jit_access."""

from .naming import resource_name

__all__ = ["resource_name"]
