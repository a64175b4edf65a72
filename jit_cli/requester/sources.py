"""The source address a JIT request opens the port for: `me`, an address, or (if the policy lists it) a range.

Fail closed: JIT would happily open a management port to `*` (the portal's default, see AZURE_FACTS), so
a wildcard is always refused, and a range wider than one address unless the policy lists exactly that prefix.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence

from azure_jit_access.rules.sources import is_wildcard, listed_prefix_for, parse_prefix

DEFAULT_IP_LOOKUP_URL = "https://api.ipify.org"
"""Where `--source me` asks for the caller's public IPv4 (plain-text answer); override with --ip-lookup-url."""

IP_LOOKUP_ENV = "JIT_IP_LOOKUP_URL"


def policy_prefixes(port_rule: object) -> list[str]:
    """The allowed source prefixes of a policy port rule (single or list form, whichever is set)."""
    many = getattr(port_rule, "allowed_source_address_prefixes", None) or []
    single = getattr(port_rule, "allowed_source_address_prefix", None)
    return [*many, *([single] if single else [])]


# "Everyone" (`is_wildcard`) and prefix parsing are the rules core's answers.
_network = parse_prefix


def check_source_syntax(source: str) -> None:
    """Reject a `--source` that is none of `me`, a wildcard word, or an IPv4 address or prefix.

    Whether a wildcard or a range may be used depends on the policy (`choose_source`); this only catches
    typos before anything is sent to Azure.
    """
    text = source.strip()
    if text.lower() == "me" or is_wildcard(text):
        return
    network = _network(text)
    if network is None or network.version != 4:
        raise ValueError(f"--source {source!r} is not an IPv4 address; use --source me or e.g. 203.0.113.7")


def choose_source(requested: str, allowed: Sequence[str]) -> str:
    """Check an explicit `--source` (not `me`) against the policy and return what to send to Azure.

    Args:
        requested: the `--source` value: an IPv4 address, or a prefix the policy lists exactly.
        allowed: the port rule's allowed source prefixes (`policy_prefixes`).

    Raises:
        ValueError: for a wildcard, a range wider than one address that the policy does not list exactly,
            a non-IPv4 value, or an address outside every prefix the policy allows.
    """
    text = requested.strip()
    listed = {prefix.strip().lower() for prefix in allowed}
    allowed_words = ", ".join(allowed) or "nothing"
    if is_wildcard(text):
        # Never, even when the policy allows `*`: that is exactly the exposure JIT exists to prevent.
        raise ValueError(
            f"--source {requested!r} would open the port to the whole internet; give your own address "
            "(--source me) or a single IPv4 address"
        )
    network = _network(text)
    if network is None or network.version != 4:
        raise ValueError(f"--source {requested!r} is not an IPv4 address; use --source me or e.g. 203.0.113.7")
    if network.prefixlen < 32:
        if text.lower() in listed:
            return text
        raise ValueError(
            f"--source {requested!r} is a range of {network.num_addresses} addresses; JIT requests here are for "
            f"one address unless the policy lists the range exactly (it allows: {allowed_words})"
        )
    address = str(network.network_address)
    return check_address_allowed(address, allowed)


def check_address_allowed(address: str, allowed: Sequence[str]) -> str:
    """What to send JIT for `address`: the address when the policy lists it or allows any source, else the
    listed prefix holding it, exactly as the policy writes it.

    JIT matches the requested source literally against the policy's prefixes, not by containment
    (MicrosoftDocs/azure-docs#53026), so an address inside a listed range is requested as that range; the rule
    is the rules core's `listed_prefix_for`, which the approval workflow uses too.

    Raises:
        ValueError: listing what the policy allows.
    """
    if any(address == prefix.strip() for prefix in allowed):
        return address
    listed = listed_prefix_for(address, allowed)
    if listed is not None:
        return listed
    ip = ipaddress.ip_address(address)
    for prefix in allowed:
        network = _network(prefix)
        if is_wildcard(prefix) or (network is not None and network.version == ip.version and ip in network):
            return address
    raise ValueError(
        f"source {address} is not allowed by the JIT policy for this port; it allows: {', '.join(allowed) or 'nothing'}"
    )


def validate_public_ipv4(answer: str, url: str) -> str:
    """Check the IP lookup's answer is one global IPv4 address and return it.

    A private, loopback or malformed answer means the lookup is wrong (a captive portal, a proxy page);
    opening the port for it would be useless or worse, so it is refused.
    """
    text = answer.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        shown = text[:60] + ("..." if len(text) > 60 else "")
        raise ValueError(
            f"the IP lookup {url} answered {shown!r}, not an IPv4 address; pass --source with your public IPv4 "
            "or --ip-lookup-url with a service that answers plain text"
        ) from None
    if ip.version != 4 or not ip.is_global:
        raise ValueError(
            f"the IP lookup {url} answered {text}, which is not a public IPv4 address; pass --source with your "
            "public IPv4 address"
        )
    return text


def ip_lookup_url(flag: str | None, environ: Mapping[str, str]) -> str:
    """The lookup URL: `--ip-lookup-url`, else $JIT_IP_LOOKUP_URL, else api.ipify.org; it must be https.

    Raises:
        ValueError: for a non-https URL (an answer anyone on the path could rewrite decides who gets in).
    """
    url = flag or environ.get(IP_LOOKUP_ENV) or DEFAULT_IP_LOOKUP_URL
    if not url.lower().startswith("https://"):
        raise ValueError(f"--ip-lookup-url {url!r} must be an https:// URL")
    return url


def lookup_public_ipv4(url: str, http_get: Callable[[str], str] | None = None) -> str:
    """Ask the lookup service for the caller's public IPv4 address.

    Args:
        url: an https URL answering the address as plain text (api.ipify.org does).
        http_get: fetches a URL and returns the body; by default `requests`, which honours
            REQUESTS_CA_BUNDLE and proxy settings the same way the Azure SDK does.

    Raises:
        ValueError: when the service cannot be reached or answers something else.
    """
    if http_get is None:
        http_get = _requests_get
    try:
        answer = http_get(url)
    except OSError as err:
        raise ValueError(f"could not ask {url} for your public IP ({err}); pass --source with your address") from err
    return validate_public_ipv4(answer, url)


def _requests_get(url: str) -> str:
    import requests

    try:
        response = requests.get(url, timeout=10, headers={"Accept": "text/plain"})
        response.raise_for_status()
    except requests.RequestException as err:
        # RequestException is an OSError subclass in requests >= 2; re-raise uniformly for the caller.
        raise OSError(str(err)) from err
    return response.text
