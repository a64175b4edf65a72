"""The estate's Markdown (the combined PR report and docs/estate.md) renders as GFM; its diagram parses."""

from pathlib import Path

from azure_jit_access.cli.preview.estate import EstateResult, StackRun, render_estate_markdown
from tests.markdown.checks import mermaid_blocks, parse_mermaid, render_gfm

ROOT = Path(__file__).resolve().parents[2]


def test_the_estate_architecture_diagram_parses_with_mermaid():
    blocks = mermaid_blocks((ROOT / "docs" / "estate.md").read_text(encoding="utf-8"))
    assert [(r["ok"], r["type"]) for r in parse_mermaid(blocks)] == [(True, "flowchart-v2")]


def test_the_combined_report_has_one_table_row_per_stack_and_escapes_violation_messages():
    violation = {
        "pack": "p",
        "policy": "nsg-no-wildcard-management-source",
        "enforcement": "mandatory",
        "urn": "urn:pulumi:w::azure-jit-access::azure-native:network:SecurityRule::open",
        "message": "port 22 | open to *\nfix it",
    }
    rule = {"type": "azure-native:network:SecurityRule", "name": "open", "id": "/x"}
    report = {
        "resources": [rule, rule],
        "summary": {"resources": 3, "mandatory": 1, "advisory": 0},
        "violations": [violation],
    }
    runs = [
        StackRun("platform", "platform", 0, {"resources": [], "summary": {"resources": 40, "mandatory": 0}}),
        StackRun("w", "workload", 1, report),
    ]
    text = render_estate_markdown(EstateResult("azure-jit-access", runs, ["Azure id /x is claimed by 2 resources"]))
    _, html = render_gfm(text)
    summary, _platform_types, types, violations = html.split("<table>")[1:5]
    assert '<td><code>azure-native:network:SecurityRule</code></td>\n<td style="text-align:right">2</td>' in types
    assert summary.count("<tr>") == 3 and "<td>mandatory violation (1)</td>" in summary
    assert violations.count("<tr>") == 2 and "port 22 | open to * fix it" in violations
    assert "<li>Azure id /x is claimed by 2 resources</li>" in html
