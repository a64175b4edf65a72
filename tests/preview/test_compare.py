"""`jit preview --compare BASE.json`: creates, deletes and property-level changes, secrets masked."""

import json

from azure_jit_access.cli.main import main
from azure_jit_access.cli.preview.compare import PropertyDiff, compare, diff_values, format_diff


def resource(name, inputs, type_="azure-native:network:SecurityRule", options=None):
    return {
        "urn": f"urn:pulumi:dev::p::{type_}::{name}",
        "type": type_,
        "name": name,
        "parent": None,
        "inputs": inputs,
        "options": options or {"protect": False},
    }


BASE = {
    "resources": [
        resource("keep", {"priority": 4000}),
        resource("ssh", {"sourceAddressPrefix": "10.0.0.0/8", "destinationPortRanges": ["22"]}),
        resource("gone", {"priority": 100}),
        resource("vm", {"adminPassword": "[secret]", "size": "B2s"}, "azure-native:compute:VirtualMachine"),
    ]
}
HEAD = {
    "resources": [
        resource("keep", {"priority": 4000}),
        resource("ssh", {"sourceAddressPrefix": "*", "destinationPortRanges": ["22", "3389"]}),
        resource("new", {"priority": 200}),
        resource(
            "vm",
            {"adminPassword": "[secret]", "size": "B4ms"},
            "azure-native:compute:VirtualMachine",
            {"protect": True},
        ),
    ]
}


def test_creates_deletes_updates_and_unchanged_are_told_apart():
    changes = compare(BASE, HEAD)
    assert [r["name"] for r in changes.create] == ["new"]
    assert [r["name"] for r in changes.delete] == ["gone"]
    assert changes.counts() == {"create": 1, "update": 2, "delete": 1, "same": 1}
    updates = {r["name"]: diffs for r, diffs in changes.update}
    assert updates["ssh"] == [
        PropertyDiff("inputs.destinationPortRanges[]", None, "3389", added=True),
        PropertyDiff("inputs.sourceAddressPrefix", "10.0.0.0/8", "*"),
    ]
    assert updates["vm"] == [
        PropertyDiff("options.protect", False, True),
        PropertyDiff("inputs.size", "B2s", "B4ms"),
    ] or updates["vm"] == [PropertyDiff("inputs.size", "B2s", "B4ms"), PropertyDiff("options.protect", False, True)]


def test_secrets_never_appear_in_a_diff():
    changes = compare(BASE, HEAD)
    text = json.dumps(changes.to_json())
    assert "adminPassword" not in text  # a masked secret compares equal and is not listed


def test_diff_formatting():
    assert format_diff(PropertyDiff("a.b", 1, 2)) == "~ a.b: 1 => 2"
    assert format_diff(PropertyDiff("a[0]", None, "x", added=True)) == '+ a[0]: "x"'
    assert format_diff(PropertyDiff("c", {"k": 1}, None, removed=True)) == '- c: {"k": 1}'
    assert diff_values({"a": [1, 2]}, {"a": [1]}) == [PropertyDiff("a[1]", 2, None, removed=True)]
    assert diff_values({"actions": ["x", "y"]}, {"actions": ["y"]}) == [
        PropertyDiff("actions[]", "x", None, removed=True)
    ]


def test_compare_end_to_end_in_text_json_and_markdown(program_dir, tmp_path, capsys):
    base = tmp_path / "base.json"
    assert main(["preview", "--program", str(program_dir), "--format", "json", "--output", str(base)]) == 0
    main_py = program_dir / "__main__.py"
    main_py.write_text(
        main_py.read_text()
        .replace("priority=100", "priority=150")
        .replace('network.NetworkSecurityGroup("closed-nsg", resource_group_name="rg")', "")
    )
    assert main(["preview", "--program", str(program_dir), "--compare", str(base)]) == 0
    text = capsys.readouterr().out
    assert " ~   ├─ azure-native:network:NetworkSecurityGroup" in text
    assert " -   ├─ azure-native:network:NetworkSecurityGroup" in text
    assert "~ inputs.securityRules[ssh].priority: 100 => 150" in text  # NSG rules are matched by name
    assert text.rstrip().endswith(
        "0 to create, 1 to update, 1 to delete, 1 unchanged. Policy violations: 0 mandatory, 0 advisory."
    )
    assert main(["preview", "--program", str(program_dir), "--compare", str(base), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["changes"]["summary"] == {"create": 0, "update": 1, "delete": 1, "same": 1}
    assert doc["changes"]["delete"] == [
        "urn:pulumi:dev::third-party::azure-native:network:NetworkSecurityGroup::closed-nsg"
    ]


def test_a_base_that_is_not_a_preview_exits_2(program_dir, tmp_path, capsys):
    base = tmp_path / "base.json"
    base.write_text('{"hello": 1}')
    assert main(["preview", "--program", str(program_dir), "--compare", str(base)]) == 2
    assert "has no `resources` list" in capsys.readouterr().err
