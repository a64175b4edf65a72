"""The Markdown PR comment: headline, violations first, changes, Mermaid, truncation."""

import copy

from azure_jit_access.cli.preview.compare import compare
from azure_jit_access.cli.preview.engine import run_program
from azure_jit_access.cli.preview.markdown import TRUNCATED_NOTE, mermaid, render_markdown
from azure_jit_access.cli.preview.model import PreviewResult, Resource, Violation
from azure_jit_access.cli.preview.render import to_json_document


def small_result():
    rg = Resource(
        "urn:a::rg",
        "azure-native:resources:ResourceGroup",
        "rg",
        None,
        {},
        outputs={"id": "/subscriptions/s/resourceGroups/rg"},
    )
    comp = Resource("urn:a::web", "azure-jit-access:vm:JitProtectedVm", "web", None, {}, custom=False)
    nsg = Resource(
        "urn:a::nsg",
        "azure-native:network:NetworkSecurityGroup",
        "web-nsg",
        "urn:a::web",
        {"resourceGroupName": "rg"},
        outputs={"id": "/subscriptions/s/resourceGroups/rg/nsg"},
    )
    nic = Resource(
        "urn:a::nic",
        "azure-native:network:NetworkInterface",
        "web-nic",
        "urn:a::web",
        {
            "networkSecurityGroup": {"id": "/subscriptions/s/resourceGroups/rg/nsg"},
            "rg": "/subscriptions/s/resourceGroups/rg",
        },
        outputs={"id": "/subscriptions/s/resourceGroups/rg/nic"},
    )
    result = PreviewResult("azure-jit-access", "dev", [rg, comp, nsg, nic])
    result.violations = [
        Violation("pack", "advice", "advisory", "urn:a::nsg", "Tag it.\nAdd tags."),
        Violation("pack", "nsg-no-inline-rules", "mandatory", "urn:a::nsg", "No inline rules.\nUse SecurityRule."),
    ]
    return result


def test_headline_then_violations_with_fix_then_diagram():
    text = render_markdown(small_result())
    assert text.startswith("### `jit preview` · `azure-jit-access` / `dev`")
    assert "**❌ blocked by mandatory policy violations** · **4 resources**" in text
    assert "**1 mandatory**, **1 advisory** violations" in text
    assert text.index("#### Policy violations") < text.index("```mermaid")
    rows = [line for line in text.splitlines() if line.startswith("| mandatory") or line.startswith("| advisory")]
    assert rows[0].startswith("| mandatory | `nsg-no-inline-rules` | `NetworkSecurityGroup` web-nsg |")
    # Without the pack's metadata the shared first line is the fix and each instance keeps its own text.
    assert rows[0].endswith("| • Use SecurityRule. | No inline rules. |")


def test_mermaid_shows_components_as_subgraphs_and_cross_component_references():
    diagram = mermaid(to_json_document(small_result()))
    lines = diagram.splitlines()
    assert lines[0] == "flowchart LR"
    assert '    subgraph c1["+ JitProtectedVm web"]' in lines
    assert '        n2["+ NetworkInterface<br/>web-nic"]:::create' in lines
    assert '        n3["+ NetworkSecurityGroup<br/>web-nsg"]:::create' in lines
    assert '    n4["+ ResourceGroup<br/>rg"]:::create' in lines
    # The NIC uses the NSG's id inside its component (no edge) and the resource group's across (an edge).
    assert [line for line in lines if "-.->" in line] == ["    n2 -.-> n4"]


def test_many_siblings_of_one_type_are_folded_into_a_count():
    resources = [
        Resource(f"urn:r{i}", "azure-native:network:SecurityRule", f"rule-{i:03d}", None, {}) for i in range(100)
    ]
    lines = mermaid(to_json_document(PreviewResult("p", "s", resources))).splitlines()
    assert '    n1["+ SecurityRule<br/>rule-000"]:::create' in lines
    assert '    n4["+ 97 more SecurityRule"]:::create' in lines
    assert len([line for line in lines if '["' in line]) == 4


def test_changes_section_when_compared():
    result = small_result()
    base = copy.deepcopy(to_json_document(result))
    base["resources"][2]["inputs"]["resourceGroupName"] = "old-rg"
    text = render_markdown(result, compare(base, to_json_document(result)))
    assert "0 to create, 1 to update, 0 to delete, 3 unchanged" in text
    assert '```diff\n~ inputs.resourceGroupName: "old-rg" => "rg"\n```' in text


def test_long_reports_are_truncated_below_the_limit_with_a_note():
    resources = [
        Resource(f"urn:r{i}", "azure-native:network:SecurityRule", f"rule-{i:04d}-" + "x" * 40, None, {})
        for i in range(3000)
    ]
    result = PreviewResult("p", "s", resources)
    result.violations = [Violation("pack", "p", "advisory", f"urn:r{i}", "m" * 50) for i in range(3000)]
    text = render_markdown(result)
    assert len(text) < 65_536
    assert TRUNCATED_NOTE in text
    assert text.count("```") % 2 == 0
    assert text.count("<details>") == text.count("</details>")


def test_the_raw_program_renders_with_its_jit_policy_edges():
    result = run_program("tests/fixtures/raw_program", "dev")
    text = render_markdown(result)
    assert "SecurityRule<br/>deny-22" in text
    assert "✅ no mandatory violations" in text


def test_truncation_never_cuts_what_the_change_does_to_access():
    port = {
        "number": 22,
        "protocol": "TCP",
        "allowedSourceAddressPrefix": "10.0.0.1",
        "maxRequestAccessDuration": "PT8H",
    }
    vms = [{"id": f"/s/vm-{i:04d}", "ports": [dict(port)]} for i in range(400)]
    jit = Resource("urn:jit", "azure-native:security:JitNetworkAccessPolicy", "jit", None, {"virtualMachines": vms})
    rules = [
        Resource(f"urn:r{i}", "azure-native:network:SecurityRule", f"rule-{i:04d}-" + "x" * 40, None, {})
        for i in range(3000)
    ]
    result = PreviewResult("p", "s", [jit, *rules])
    base = copy.deepcopy(to_json_document(result))
    for vm in base["resources"][0]["inputs"]["virtualMachines"]:
        vm["ports"][0]["maxRequestAccessDuration"] = "PT3H"
    text = render_markdown(result, compare(base, to_json_document(result)))
    assert len(text) < 65_536 and TRUNCATED_NOTE in text
    assert "- ⚠️ **wider:** cap PT3H to PT8H on every port" in text.splitlines()[:12]
