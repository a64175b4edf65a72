"""Pack configuration for the source rule; the rule itself lives in `rules.sources` (one implementation).

See `rules/sources.py` for what counts as internet-wide. This module maps a policy's config onto it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules.sources import (
    BROAD_SERVICE_TAGS,
    DEFAULT_IPV4_PREFIX_LIMIT,
    DEFAULT_IPV6_PREFIX_LIMIT,
    IPNetwork,
    SourceLimits,
    absolute_wildcard_reason,
    internet_wide_findings,
    parse_prefix,
    public_address_count,
    service_tag_reason,
)

__all__ = [
    "IPNetwork",
    "SOURCE_CONFIG_SCHEMA",
    "SourceLimits",
    "absolute_wildcard_reason",
    "internet_wide_findings",
    "limits_from",
    "parse_prefix",
    "public_address_count",
    "service_tag_reason",
    "source_defaults",
]

SOURCE_CONFIG_SCHEMA: dict[str, dict[str, Any]] = {
    "ipv4PrefixLimit": {
        "type": "integer",
        "minimum": 0,
        "maximum": 32,
        "default": DEFAULT_IPV4_PREFIX_LIMIT,
        "description": "Public IPv4 sources covering more than one prefix of this length count as the internet.",
    },
    "ipv6PrefixLimit": {
        "type": "integer",
        "minimum": 0,
        "maximum": 128,
        "default": DEFAULT_IPV6_PREFIX_LIMIT,
        "description": "Public IPv6 sources covering more than one prefix of this length count as the internet.",
    },
    "broadServiceTags": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(BROAD_SERVICE_TAGS),
        "description": "Service tags named as internet-wide (with `.region` variants); any tag except "
        "VirtualNetwork and AzureLoadBalancer is refused anyway.",
    },
    "allowedSources": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Wide prefixes or tags accepted anyway (never *, Any, Internet or a /0).",
    },
}


def limits_from(config: Mapping[str, Any]) -> SourceLimits:
    """`SourceLimits` from a policy's resolved config (keys of `SOURCE_CONFIG_SCHEMA`)."""
    return SourceLimits(
        ipv4_prefix_limit=int(config.get("ipv4PrefixLimit", DEFAULT_IPV4_PREFIX_LIMIT)),
        ipv6_prefix_limit=int(config.get("ipv6PrefixLimit", DEFAULT_IPV6_PREFIX_LIMIT)),
        broad_service_tags=tuple(config.get("broadServiceTags", BROAD_SERVICE_TAGS)),
        allowed_sources=tuple(config.get("allowedSources", ())),
    )


def source_defaults() -> dict[str, Any]:
    """The schema defaults of `SOURCE_CONFIG_SCHEMA`."""
    return {key: spec["default"] for key, spec in SOURCE_CONFIG_SCHEMA.items()}
