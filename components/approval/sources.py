"""The source JIT accepts: the JIT policy's listed prefix that holds the requested address.

JIT compares a requested source literally with the policy's `allowedSourceAddressPrefixes` (a request for
10.21.254.85 against a listed 10.21.254.0/24 is refused: MicrosoftDocs/azure-docs#53026), so the workflow maps
the validated address to the listed prefix that contains it and initiates with exactly that text, or refuses
with the list. The rule itself is the rules core's `listed_prefix_for`; this module only writes it as a
workflow expression (a chain of `if`s over the listed IPv4 prefixes, compared octet by octet).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from azure_jit_access.approval.language import call, lit
from azure_jit_access.rules.sources import is_wildcard, listed_prefix_for, parse_prefix

SOURCE_LISTED_PREFIX = "Source_listed_prefix"
"""The Compose action holding the listed prefix for the requested address ('' when none holds it)."""

REASON_SOURCE_NOT_LISTED = (
    "the source address is in none of the JIT policy's allowed source prefixes ({prefixes}); "
    "JIT opens a port only to a listed prefix: request from an address inside one of them"
)

__all__ = ["REASON_SOURCE_NOT_LISTED", "SOURCE_LISTED_PREFIX", "listed_prefix_for", "listed_prefix_expression"]


def validate_source_prefixes(prefixes: Sequence[str], field: str = "source_prefixes") -> None:
    """Raise ValueError naming the field unless every prefix is an IPv4 address or CIDR (never a wildcard)."""
    if isinstance(prefixes, str) or not prefixes:
        raise ValueError(
            f"{field}: give the JIT policy's allowed source prefixes (e.g. JitAccessPolicyArgs."
            "allowed_source_address_prefixes); JIT accepts only a listed prefix, so the workflow maps each "
            "request to one of them"
        )
    for position, prefix in enumerate(prefixes):
        network = parse_prefix(prefix) if isinstance(prefix, str) else None
        if network is None or network.version != 4 or is_wildcard(prefix):
            raise ValueError(
                f"{field}[{position}]: '{prefix}' is not an IPv4 address or CIDR such as '20.50.1.0/29' "
                "(the workflow maps requests to IPv4 prefixes only; never '*' or a tag)"
            )


def _holds(octets: list[str], prefix: str) -> str:
    network = ipaddress.IPv4Network(prefix.strip(), strict=False)
    net_octets = list(network.network_address.packed)
    full, rest = divmod(network.prefixlen, 8)
    tests = [call("equals", octets[i], lit(net_octets[i])) for i in range(full)]
    if rest:
        low, high = net_octets[full], net_octets[full] + 2 ** (8 - rest) - 1
        tests += [call("greaterOrEquals", octets[full], lit(low)), call("lessOrEquals", octets[full], lit(high))]
    if not tests:
        return lit(True)
    return tests[0] if len(tests) == 1 else call("and", *tests)


def listed_prefix_expression(octets: list[str], prefixes: Sequence[str]) -> str:
    """The listed prefix (as written) holding the address whose four octet expressions are given, else ''.

    First match wins, as in `listed_prefix_for`.
    """
    expression = lit("")
    for prefix in reversed(list(prefixes)):
        expression = call("if", _holds(octets, prefix), lit(prefix.strip()), expression)
    return expression
