"""This project's own stacks render as valid GFM with diagrams Mermaid itself accepts."""

from azure_jit_access.cli.main import main
from tests.markdown.checks import mermaid_blocks, parse_mermaid, render_gfm


def test_the_dev_stack_comment_renders_and_its_diagram_parses(tmp_path):
    out = tmp_path / "dev.md"
    assert main(["preview", "--stack", "dev", "--format", "markdown", "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    tokens, html = render_gfm(text)
    assert [t.info for t in tokens if t.type == "fence"] == ["mermaid", "json"]
    access_table = html.split("<table>")[1].split("</table>")[0]
    assert access_table.count("<tr>") == 5  # header + vm-web-01:22, vm-win-01:3389/5985/5986
    # Approval mode: only the workflow holds initiate (the requester group is a viewer), so nothing is bypassable.
    assert access_table.count("<strong>approval</strong>: workflow approvals-workflow</td>") == 4
    assert "bypassed" not in access_table
    blocks = mermaid_blocks(text)
    assert [r["ok"] for r in parse_mermaid(blocks)] == [True]
    assert 'subgraph c31["+ JitProtectedVm vm-web-01"]' in blocks[0]
