"""The pure validators: what they accept, what they refuse, and the exact reason they give."""

import base64

import pytest

from azure_jit_access import validation as v

ED25519 = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(32)).decode()


def _rsa_key(bits: int) -> str:
    def field(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    modulus = (1 << (bits - 1)) | 1
    blob = field(b"ssh-rsa") + field(b"\x01\x00\x01") + field(b"\x00" + modulus.to_bytes(bits // 8, "big"))
    return "ssh-rsa " + base64.b64encode(blob).decode() + " user@host"


WILDCARD_MESSAGE = (
    "a JIT or management-port source must never be open to everyone (anyone who can request access would get "
    "the port from anywhere). Use the public IP or CIDR of your office or VPN egress (e.g. '203.0.113.0/28'), "
    "or the Bastion subnet prefix in Bastion mode."
)


@pytest.mark.parametrize(
    "entry", ["*", "Any", "ANY", "any", "Internet", "INTERNET", "internet", "0.0.0.0/0", "::/0", " * "]
)
def test_wildcard_sources_are_refused_in_any_case(entry):
    with pytest.raises(ValueError) as err:
        v.validate_source_prefix(entry, "sources[0]")
    assert str(err.value) == f"sources[0]: '{entry}' means any source on the Internet; {WILDCARD_MESSAGE}"


@pytest.mark.parametrize("entry", ["::0/0", "10.0.0.0/0", "2001:db8::/0"])
def test_any_slash_zero_network_is_refused(entry):
    with pytest.raises(ValueError, match=r"is a /0 network, which is every address; a JIT or management-port"):
        v.validate_source_prefix(entry, "sources[0]")


def test_a_wildcard_anywhere_in_a_list_is_refused_naming_its_position():
    with pytest.raises(ValueError) as err:
        v.validate_source_prefixes(["203.0.113.0/28", "198.51.100.7", "Internet"], "allowed_source_address_prefixes")
    assert str(err.value).startswith("allowed_source_address_prefixes[2]: 'Internet' means any source")


def test_valid_sources_are_kept_literally():
    assert v.validate_source_prefixes(["203.0.113.7", "203.0.113.0/28", "2001:db8::/64", "10.1.2.3/32"], "s") == [
        "203.0.113.7",
        "203.0.113.0/28",
        "2001:db8::/64",
        "10.1.2.3/32",
    ]


def test_host_bits_set_is_an_error_naming_the_network_address():
    with pytest.raises(ValueError) as err:
        v.validate_source_prefix("203.0.113.7/28", "allowed_source_address_prefixes[0]")
    assert str(err.value) == (
        "allowed_source_address_prefixes[0]: '203.0.113.7/28' has host bits set; JIT matches sources literally, "
        "so write the network address ('203.0.113.0/28') or a single address without a prefix length"
    )


@pytest.mark.parametrize("entry", ["10.0.0.300", "office", "VirtualNetwork", "10.0.0.0/33", "203.0.113.0/28/1"])
def test_entries_that_are_not_addresses_or_cidrs_are_refused(entry):
    with pytest.raises(ValueError) as err:
        v.validate_source_prefix(entry, "f[1]")
    assert str(err.value) == (
        f"f[1]: '{entry}' is not a valid IPv4/IPv6 address or CIDR network (e.g. '203.0.113.7' or '203.0.113.0/28'); "
        "service tags and names are not accepted as JIT sources"
    )


def test_empty_and_duplicate_and_non_list_sources_are_refused():
    with pytest.raises(ValueError, match=r"^s: at least one source address or CIDR is required"):
        v.validate_source_prefixes([], "s")
    with pytest.raises(ValueError, match=r"^s: duplicate sources \['203.0.113.7'\]; list each source once$"):
        v.validate_source_prefixes(["203.0.113.7", "203.0.113.7"], "s")
    with pytest.raises(ValueError, match=r"^s: expected a list of IP addresses or CIDR networks, got '1.2.3.4'$"):
        v.validate_source_prefixes("1.2.3.4", "s")
    with pytest.raises(ValueError, match=r"^s\[0\]: each source must be a non-empty string"):
        v.validate_source_prefixes([""], "s")


@pytest.mark.parametrize("value", ["PT5M", "PT3H", "PT24H", "P1D", "PT90M", "P0DT2H30M", "PT300S"])
def test_durations_within_five_minutes_and_a_day_are_accepted(value):
    assert v.validate_duration(value, "d") == value


@pytest.mark.parametrize(
    "value, why",
    [
        ("3h", "'3h' does not start with 'P'"),
        ("3 hours", "'3 hours' does not start with 'P'"),
        ("pt3h", "(designators are upper case)"),
        ("", "'' is not a duration"),
        ("180", "'180' does not start with 'P'"),
        ("PT3H ", "'PT3H ' has blanks around it"),
        ("PT", "'PT' has no amount after 'T'"),
        ("P1W", "unexpected 'W' (years, months and weeks"),
        ("-PT1H", "'-PT1H' does not start with 'P'"),
        ("PT1.5H", "unexpected fraction (give whole units, e.g. PT90M instead of PT1.5H)"),
    ],
)
def test_non_iso_durations_are_refused_with_the_range(value, why):
    # The grammar is the rules core's (rules/durations.py); the component adds the field and the range.
    with pytest.raises(ValueError) as err:
        v.validate_duration(value, "max_request_access_duration")
    message = str(err.value)
    assert message.startswith("max_request_access_duration: ")
    assert why in message
    assert message.endswith("accepted range is PT5M (5 minutes) to PT24H (24 hours), e.g. 'PT3H'")


@pytest.mark.parametrize(
    "value, shown",
    [
        ("PT48H", "2d"),
        ("PT4M59S", "4m59s"),
        ("P2D", "2d"),
        ("PT0S", "0s"),
        ("PT24H1S", "1d1s"),
    ],
)
def test_durations_outside_the_range_are_refused(value, shown):
    with pytest.raises(ValueError) as err:
        v.validate_duration(value, "d")
    assert str(err.value) == (
        f"d: '{value}' is {shown}, outside what JIT allows; accepted range is PT5M (5 minutes) "
        "to PT24H (24 hours), e.g. 'PT3H'"
    )


def test_calendar_durations_and_non_strings_are_refused():
    with pytest.raises(ValueError, match=r"^d: 'P1M': unexpected 'M' \(years, months and weeks have no fixed length"):
        v.validate_duration("P1M", "d")
    with pytest.raises(ValueError, match=r"^d: 3 is not a duration: use ISO 8601 such as PT30M, .*; accepted range"):
        v.validate_duration(3, "d")


def test_ports():
    assert v.validate_ports([22, 3389, 65535, 1], "p") == [22, 3389, 65535, 1]
    with pytest.raises(ValueError, match=r"^p\[1\]: port 0 is out of range; use a number from 1 to 65535$"):
        v.validate_ports([22, 0], "p")
    with pytest.raises(ValueError, match=r"^p\[0\]: port 65536 is out of range; use a number from 1 to 65535$"):
        v.validate_ports([65536], "p")
    with pytest.raises(ValueError, match=r"^p\[0\]: a port must be a whole number from 1 to 65535, got '22'$"):
        v.validate_ports(["22"], "p")
    with pytest.raises(ValueError, match=r"^p\[0\]: a port must be a whole number from 1 to 65535, got True$"):
        v.validate_ports([True], "p")
    with pytest.raises(ValueError, match=r"^p: duplicate ports \[22\]; list each port once$"):
        v.validate_ports([22, 3389, 22], "p")
    with pytest.raises(ValueError, match=r"^p: at least one port is required$"):
        v.validate_ports([], "p")
    assert v.validate_ports([], "p", allow_empty=True) == []


def test_os_type():
    assert v.validate_os_type("Linux") == "linux"
    assert v.validate_os_type("WINDOWS") == "windows"
    with pytest.raises(ValueError) as err:
        v.validate_os_type("macos", "vms[0].os")
    assert str(err.value) == (
        "vms[0].os: unknown OS 'macos'; use 'linux' (SSH key login) or 'windows' (generated admin password)"
    )


def test_jit_protocol_is_upper_case():
    assert [v.validate_jit_protocol(p, "p") for p in ("tcp", "UDP", "*")] == ["TCP", "UDP", "*"]
    with pytest.raises(ValueError, match=r"^p: unknown protocol 'Icmp'; use 'TCP', 'UDP' or '\*'$"):
        v.validate_jit_protocol("Icmp", "p")


def test_policy_plus_vm_name_may_not_exceed_56():
    v.validate_policy_vm_name_length("default", "x" * 49, "vm_name")
    with pytest.raises(ValueError) as err:
        v.validate_policy_vm_name_length("default", "x" * 50, "vm_name")
    assert str(err.value) == (
        f"vm_name: policy name 'default' (7) plus VM name '{'x' * 50}' (50) is 57 characters; "
        "JIT allows at most 56: shorten either name"
    )


def test_resource_and_computer_names():
    assert v.validate_resource_name("vm-web-01", "n", 64) == "vm-web-01"
    with pytest.raises(ValueError, match=r"^n: 'vm web' contains \[' '\]; use letters, digits"):
        v.validate_resource_name("vm web", "n", 64)
    with pytest.raises(ValueError, match=r"^n: 'vm-' must start with a letter or digit and not end with"):
        v.validate_resource_name("vm-", "n", 64)
    with pytest.raises(ValueError, match=r"^n: 'abcdef' is 6 characters; the limit is 5$"):
        v.validate_resource_name("abcdef", "n", 5)
    assert v.validate_computer_name("a" * 64, "linux", "c")
    with pytest.raises(ValueError, match=r"^c: 'windows-host-001' is 16 characters; a windows computer name has 1"):
        v.validate_computer_name("windows-host-001", "windows", "c")
    with pytest.raises(ValueError, match=r"^c: '12345' is only digits"):
        v.validate_computer_name("12345", "windows", "c")


def test_admin_usernames():
    assert v.validate_admin_username("azureuser", "linux") == "azureuser"
    with pytest.raises(ValueError, match=r"^admin_username: 'Administrator' is reserved by Azure"):
        v.validate_admin_username("Administrator", "windows")
    with pytest.raises(ValueError, match=r"^admin_username: 'a-very-long-windows-admin' must be 1 to 20 characters"):
        v.validate_admin_username("a-very-long-windows-admin", "windows")


def test_ssh_keys():
    assert v.validate_ssh_public_key(ED25519 + " me@host\n") == ED25519 + " me@host"
    assert v.validate_ssh_public_key(_rsa_key(2048)).startswith("ssh-rsa ")
    with pytest.raises(ValueError, match=r"^ssh_public_key: the RSA key has 1024 bits; Azure requires at least 2048$"):
        v.validate_ssh_public_key(_rsa_key(1024))
    with pytest.raises(ValueError, match=r"^ssh_public_key: key type 'ecdsa-sha2-nistp256' is not accepted"):
        v.validate_ssh_public_key("ecdsa-sha2-nistp256 AAAAE2VjZHNh")
    with pytest.raises(ValueError, match=r"^ssh_public_key: key type '-----BEGIN' is not accepted"):
        v.validate_ssh_public_key("-----BEGIN OPENSSH PRIVATE KEY----- abc")
    with pytest.raises(ValueError, match=r"^ssh_public_key: the key body is not valid base64 OpenSSH data"):
        v.validate_ssh_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI")
    with pytest.raises(ValueError, match=r"^ssh_public_key: the key body does not match its type 'ssh-rsa'"):
        v.validate_ssh_public_key("ssh-rsa " + ED25519.split()[1])
    with pytest.raises(ValueError, match=r"^ssh_public_key: an OpenSSH public key .* is required for a linux VM"):
        v.validate_ssh_public_key(None)


def test_subscription_ids_cidrs_tags_and_port_ranges():
    assert v.validate_subscription_id("00000000-0000-4000-8000-000000000001") == "00000000-0000-4000-8000-000000000001"
    with pytest.raises(ValueError, match=r"^subscription_id: '/subscriptions/x' is not a subscription GUID"):
        v.validate_subscription_id("/subscriptions/x")
    assert v.validate_cidr("10.20.255.0/26", "c", 26) == "10.20.255.0/26"
    with pytest.raises(ValueError, match=r"^c: '10.20.255.0/27' is a /27; it must be /26 or larger$"):
        v.validate_cidr("10.20.255.0/27", "c", 26)
    with pytest.raises(ValueError, match=r"^c: '10.20.1.5' is not a CIDR network such as '10.20.1.0/24'$"):
        v.validate_cidr("10.20.1.5", "c")
    with pytest.raises(ValueError, match=r"^c: '10.20.1.5/24' is not a valid CIDR network \(.*host bits set\)$"):
        v.validate_cidr("10.20.1.5/24", "c")
    assert v.validate_tags(None) == {}
    with pytest.raises(ValueError, match=r"^tags: tags must map strings to strings"):
        v.validate_tags({"cost": 1})
    assert v.port_ranges_cover(["20-25"], 22) and v.port_ranges_cover(["*"], 3389)
    assert not v.port_ranges_cover(["443", "8000-8080"], 22)
    assert v.validate_port_range(443, "r") == "443"
    with pytest.raises(ValueError, match=r"^r: '25-20' must lie within 1-65535 with the lower port first$"):
        v.validate_port_range("25-20", "r")
    with pytest.raises(ValueError, match=r"^r: 'ssh' is not a port, a range such as '8000-8080', or '\*'$"):
        v.validate_port_range("ssh", "r")
