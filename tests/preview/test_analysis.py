"""How analyzer requests are built: durations, alias URNs."""

import pytest

from azure_jit_access.cli.preview.analysis import alias_urns, duration_seconds
from azure_jit_access.cli.preview.model import Resource


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("1h30m", 5400), ("90s", 90), ("", 0), ("soon", 0)])
def test_go_durations_in_seconds(text, seconds):
    assert duration_seconds(text) == seconds


def test_alias_specs_resolve_against_the_resource():
    parent = "urn:pulumi:dev::proj::my:index:Box::box"
    resource = Resource(
        "urn:pulumi:dev::proj::my:index:Box$azure-native:resources:ResourceGroup::rg",
        "azure-native:resources:ResourceGroup",
        "rg",
        parent,
        options={"aliases": [{"spec": {"name": "old"}}, {"spec": {"noParent": True}}, "urn:pulumi:x::y::t::z"]},
    )
    assert alias_urns(resource, "proj", "dev") == [
        "urn:pulumi:dev::proj::my:index:Box$azure-native:resources:ResourceGroup::old",
        "urn:pulumi:dev::proj::azure-native:resources:ResourceGroup::rg",
        "urn:pulumi:x::y::t::z",
    ]
