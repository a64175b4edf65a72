"""Pure validators for everything a user can get wrong, run before any resource is created.

Each function takes the value and the name of the field it came from, returns the normalised value, and
raises `ValueError` with a message that names the field, says what is wrong and what to use instead.
They never widen access: anything that could mean "from anywhere" is refused, not repaired.
"""

from __future__ import annotations

import base64
import ipaddress
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence

from azure_jit_access.rules.durations import JIT_MAXIMUM, JIT_MINIMUM, jit_duration_problem, whole_minutes
from azure_jit_access.rules.ports import parse_port_range, ranges_cover
from azure_jit_access.rules.sources import absolute_wildcard_reason, internet_wide_findings, parse_prefix

MIN_JIT_DURATION = JIT_MINIMUM
MAX_JIT_DURATION = JIT_MAXIMUM
DEFAULT_JIT_DURATION = "PT3H"
MAX_POLICY_AND_VM_NAME_LENGTH = 56
"""JIT refuses a VM whose name plus the policy name exceed 56 characters (MS Learn, JIT usage)."""


OS_TYPES = ("linux", "windows")
JIT_PROTOCOLS = ("TCP", "UDP", "*")

# Azure refuses these admin user names (MS Learn, VM FAQ: "What are the username requirements").
RESERVED_ADMIN_USERNAMES = frozenset(
    {
        "administrator",
        "admin",
        "user",
        "user1",
        "test",
        "user2",
        "test1",
        "user3",
        "admin1",
        "1",
        "123",
        "a",
        "actuser",
        "adm",
        "admin2",
        "aspnet",
        "backup",
        "console",
        "david",
        "guest",
        "john",
        "owner",
        "root",
        "server",
        "sql",
        "support",
        "support_388945a0",
        "sys",
        "test2",
        "test3",
        "user4",
        "user5",
    }
)

# Key types Azure accepts for Linux VMs; ECDSA and DSA keys are rejected by the platform.
SSH_KEY_TYPES = ("ssh-rsa", "ssh-ed25519")
MIN_RSA_BITS = 2048


def validate_source_prefix(entry: object, field: str) -> str:
    """One allowed source: an IPv4/IPv6 address or a CIDR network with no host bits set, never a wildcard."""
    if not isinstance(entry, str) or not entry.strip():
        raise ValueError(
            f"{field}: each source must be a non-empty string such as '203.0.113.7' or '203.0.113.0/28', got {entry!r}"
        )
    reason = absolute_wildcard_reason(entry)
    if reason:
        network = parse_prefix(entry)
        zero = network is not None and network.prefixlen == 0 and entry.strip().lower() not in ("0.0.0.0/0", "::/0")
        reason = (
            f"'{entry}' is a /0 network, which is every address"
            if zero
            else f"'{entry}' means any source on the Internet"
        )
        raise ValueError(
            f"{field}: {reason}; a JIT or management-port source must never be open to everyone "
            "(anyone who can request access would get the port from anywhere). Use the public IP or CIDR of "
            "your office or VPN egress (e.g. '203.0.113.0/28'), or the Bastion subnet prefix in Bastion mode."
        )
    text = entry.strip()
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as err:
        if "has host bits set" in str(err):
            base = ipaddress.ip_network(text, strict=False)
            raise ValueError(
                f"{field}: '{text}' has host bits set; JIT matches sources literally, so write the network "
                f"address ('{base}') or a single address without a prefix length"
            ) from None
        raise ValueError(
            f"{field}: '{text}' is not a valid IPv4/IPv6 address or CIDR network (e.g. '203.0.113.7' or "
            "'203.0.113.0/28'); service tags and names are not accepted as JIT sources"
        ) from None
    # A bare address keeps its bare form: JIT compares prefixes as strings, not by containment.
    return text if "/" not in text else str(network)


def validate_source_prefixes(entries: object, field: str) -> list[str]:
    """A non-empty list of distinct allowed sources, each checked by `validate_source_prefix`."""
    if isinstance(entries, str) or not isinstance(entries, Iterable):
        raise ValueError(f"{field}: expected a list of IP addresses or CIDR networks, got {entries!r}")
    values = list(entries)
    if not values:
        raise ValueError(
            f"{field}: at least one source address or CIDR is required; JIT without an explicit "
            "source would let requesters open the port from anywhere"
        )
    checked = [validate_source_prefix(entry, f"{field}[{index}]") for index, entry in enumerate(values)]
    duplicates = sorted(value for value, seen in Counter(checked).items() if seen > 1)  # linear: issue 18
    if duplicates:
        raise ValueError(f"{field}: duplicate sources {duplicates}; list each source once")
    findings = internet_wide_findings(checked)
    if findings:
        raise ValueError(
            f"{field}: {'; '.join(findings)}: that is open to far more than your own addresses, and the policy "
            "pack's jit-policy-no-wildcard-source refuses it. List only your office or VPN egress addresses "
            "(e.g. '203.0.113.0/28'), or the Bastion subnet prefix in Bastion mode."
        )
    return checked


def validate_duration(value: object, field: str) -> str:
    """An ISO 8601 duration JIT accepts as `maxRequestAccessDuration`: PT5M to PT24H inclusive."""
    problem = jit_duration_problem(value)
    if problem:
        raise ValueError(f"{field}: {problem}; accepted range is PT5M (5 minutes) to PT24H (24 hours), e.g. 'PT3H'")
    return str(value)


def duration_minutes(value: object, field: str) -> int:
    """Whole minutes of a JIT duration (`PT3H` -> 180), validated by `validate_duration` first."""
    text = validate_duration(value, field)
    try:
        return whole_minutes(text)
    except ValueError as err:
        raise ValueError(f"{field}: {err}") from None


def validate_mapping(value: object, field: str, allowed: set[str]) -> dict:
    """A config mapping with only known keys (a typo such as `publicIP` is an error, not ignored)."""
    if not isinstance(value, dict):
        raise ValueError(f"{field}: expected a mapping, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValueError(f"{field}: unknown key(s) {unknown}; known keys are {sorted(allowed)}")
    return value


def validate_port(value: object, field: str) -> int:
    """A TCP/UDP port number, 1 to 65535 (booleans and strings are refused, not coerced)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field}: a port must be a whole number from 1 to 65535, got {value!r}")
    if not 1 <= value <= 65535:
        raise ValueError(f"{field}: port {value} is out of range; use a number from 1 to 65535")
    return value


def validate_ports(values: object, field: str, allow_empty: bool = False) -> list[int]:
    """A list of distinct ports, each checked by `validate_port`."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"{field}: expected a list of port numbers, got {values!r}")
    ports = [validate_port(value, f"{field}[{index}]") for index, value in enumerate(values)]
    if not ports and not allow_empty:
        raise ValueError(f"{field}: at least one port is required")
    duplicates = sorted(port for port, seen in Counter(ports).items() if seen > 1)
    if duplicates:
        raise ValueError(f"{field}: duplicate ports {duplicates}; list each port once")
    return ports


def validate_os_type(value: object, field: str = "os_type") -> str:
    """`linux` or `windows` (any case), returned in lower case."""
    if isinstance(value, str) and value.strip().lower() in OS_TYPES:
        return value.strip().lower()
    raise ValueError(
        f"{field}: unknown OS {value!r}; use 'linux' (SSH key login) or 'windows' (generated admin password)"
    )


def validate_jit_protocol(value: object, field: str) -> str:
    """A JIT port protocol: `TCP`, `UDP` or `*` (JIT's enum is upper case, unlike NSG rules' `Tcp`)."""
    if isinstance(value, str) and value.strip().upper() in JIT_PROTOCOLS:
        return value.strip().upper()
    raise ValueError(f"{field}: unknown protocol {value!r}; use 'TCP', 'UDP' or '*'")


def validate_policy_vm_name_length(policy_name: str, vm_name: str, field: str) -> None:
    """JIT refuses a VM when the policy name plus the VM name exceed 56 characters."""
    total = len(policy_name) + len(vm_name)
    if total > MAX_POLICY_AND_VM_NAME_LENGTH:
        raise ValueError(
            f"{field}: policy name '{policy_name}' ({len(policy_name)}) plus VM name '{vm_name}' ({len(vm_name)}) "
            f"is {total} characters; JIT allows at most {MAX_POLICY_AND_VM_NAME_LENGTH}: shorten either name"
        )


def validate_resource_name(value: object, field: str, max_length: int) -> str:
    """An Azure resource name: 1..max_length letters, digits, '-', '_' or '.', not ending in '.' or '-'."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field}: a name is required, got {value!r}")
    if len(value) > max_length:
        raise ValueError(f"{field}: '{value}' is {len(value)} characters; the limit is {max_length}")
    bad = sorted({ch for ch in value if not (ch.isascii() and (ch.isalnum() or ch in "-_."))})
    if bad:
        raise ValueError(f"{field}: '{value}' contains {bad}; use letters, digits, '-', '_' or '.'")
    if value[-1] in ".-" or not value[0].isalnum():
        raise ValueError(f"{field}: '{value}' must start with a letter or digit and not end with '.' or '-'")
    return value


def validate_computer_name(value: str, os_type: str, field: str) -> str:
    """The guest host name: Windows allows 15 characters and not only digits; Linux allows 64."""
    limit = 15 if os_type == "windows" else 64
    if not value or len(value) > limit:
        raise ValueError(
            f"{field}: '{value}' is {len(value)} characters; a {os_type} computer name has 1 to "
            f"{limit}, set computer_name explicitly"
        )
    bad = sorted({ch for ch in value if not (ch.isascii() and (ch.isalnum() or ch == "-"))})
    if bad:
        raise ValueError(f"{field}: '{value}' contains {bad}; a computer name has only letters, digits and '-'")
    if value.isdigit():
        raise ValueError(f"{field}: '{value}' is only digits; a computer name needs at least one letter")
    return value


def validate_admin_username(value: object, os_type: str, field: str = "admin_username") -> str:
    """A VM admin user name Azure accepts: not reserved, 1..20 (Windows) or 1..64 (Linux) characters."""
    limit = 20 if os_type == "windows" else 64
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{field}: {value!r} must be 1 to {limit} characters for {os_type}")
    if value.lower() in RESERVED_ADMIN_USERNAMES:
        raise ValueError(f"{field}: '{value}' is reserved by Azure; use another name such as 'azureuser'")
    if value.endswith(".") or any(ch in value for ch in ' \\/"[]:|<>+=;,?*@'):
        raise ValueError(f"{field}: '{value}' contains characters Azure refuses; use letters, digits, '-', '_'")
    return value


def _ssh_fields(blob: bytes) -> list[bytes]:
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            raise ValueError("truncated")
        length = int.from_bytes(blob[offset : offset + 4], "big")
        offset += 4
        if offset + length > len(blob):
            raise ValueError("truncated")
        fields.append(blob[offset : offset + length])
        offset += length
    return fields


def validate_ssh_public_key(value: object, field: str = "ssh_public_key") -> str:
    """An OpenSSH public key line of a type Azure accepts (`ssh-rsa` >= 2048 bits or `ssh-ed25519`).

    The base64 body is decoded and its embedded key type compared with the prefix, so a truncated or
    pasted-wrong key fails here rather than in a 20-minute VM deployment.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"{field}: an OpenSSH public key ('ssh-ed25519 AAAA...') is required for a linux VM; "
            "password login is disabled"
        )
    parts = value.strip().split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        kind = parts[0] if parts else ""
        raise ValueError(
            f"{field}: key type '{kind}' is not accepted; Azure takes {', '.join(SSH_KEY_TYPES)} "
            "public keys in OpenSSH format (the content of id_ed25519.pub), never a private key"
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
        fields = _ssh_fields(blob)
    except ValueError:
        raise ValueError(f"{field}: the key body is not valid base64 OpenSSH data; paste the whole .pub line") from None
    if not fields or fields[0] != parts[0].encode():
        raise ValueError(f"{field}: the key body does not match its type '{parts[0]}'; paste the whole .pub line")
    if parts[0] == "ssh-ed25519" and (len(fields) != 2 or len(fields[1]) != 32):
        raise ValueError(f"{field}: the ssh-ed25519 key body is malformed; paste the whole .pub line")
    if parts[0] == "ssh-rsa":
        bits = int.from_bytes(fields[2], "big").bit_length() if len(fields) == 3 else 0
        if bits < MIN_RSA_BITS:
            raise ValueError(f"{field}: the RSA key has {bits} bits; Azure requires at least {MIN_RSA_BITS}")
    return value.strip()


def validate_subscription_id(value: object, field: str = "subscription_id") -> str:
    """A subscription id: a GUID (not a `/subscriptions/...` path)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValueError(
            f"{field}: {value!r} is not a subscription GUID such as '00000000-0000-0000-0000-000000000000'"
        ) from None


def validate_cidr(value: object, field: str, max_prefix_length: int | None = None) -> str:
    """A CIDR network with no host bits set, optionally at least as large as /max_prefix_length."""
    not_a_cidr = f"{field}: {value!r} is not a CIDR network such as '10.20.1.0/24'"
    if not isinstance(value, str):
        raise ValueError(not_a_cidr)
    try:
        network = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as err:
        raise ValueError(f"{field}: {value!r} is not a valid CIDR network ({err})") from None
    if "/" not in value:
        raise ValueError(not_a_cidr)
    if max_prefix_length is not None and network.prefixlen > max_prefix_length:
        raise ValueError(f"{field}: '{value}' is a /{network.prefixlen}; it must be /{max_prefix_length} or larger")
    return str(network)


def validate_tags(value: object, field: str = "tags") -> dict[str, str]:
    """Resource tags: string keys and values (Azure stores tags as strings)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError(f"{field}: tags must map strings to strings, got {value!r}")
    return dict(value)


def port_ranges_cover(ranges: Sequence[str], port: int) -> bool:
    """True when an NSG port range list (`'*'`, `'22'`, `'20-25'`) includes `port`; junk raises ValueError."""
    return ranges_cover(ranges, port)


def validate_port_range(value: object, field: str) -> str:
    """One NSG destination port range: `'*'`, a port, or `'low-high'` with 1 <= low <= high <= 65535."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{field}: {value!r} is not a port, a range such as '8000-8080', or '*'")
    text = str(value).strip()
    try:
        first, _ = parse_port_range(text)
    except ValueError as err:
        if "is not a port" in str(err):
            raise ValueError(f"{field}: {value!r} is not a port, a range such as '8000-8080', or '*'") from None
        first = -1
    if text != "*" and first < 1:
        raise ValueError(f"{field}: {value!r} must lie within 1-65535 with the lower port first")
    return text
