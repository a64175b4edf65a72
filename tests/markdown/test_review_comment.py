"""The reviewer's view of one pull request, end to end: tests/fixtures/review_change (base and head).

The change adds vm-web-02, widens 198.51.100.7 to 198.51.100.0/24 and raises the cap from PT3H to PT8H. The
comment is pinned by a golden file (our own format, reviewed by eye; `UPDATE_GOLDEN=1` rewrites it), and its
key sentences, its GFM rendering and its Mermaid diagram are checked independently of the golden.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from azure_jit_access.cli.main import main
from tests.markdown.checks import mermaid_blocks, parse_mermaid, render_gfm

FIXTURE = Path(__file__).parents[1] / "fixtures" / "review_change"
GOLDEN = Path(__file__).parent / "golden" / "review-change.md"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    base = folder / "base.json"
    assert main(["preview", "--program", str(FIXTURE / "base"), "--format", "json", "--output", str(base)]) == 0
    found = {}
    for fmt in ("markdown", "json", "text"):
        out = folder / f"head.{fmt}"
        args = ["preview", "--program", str(FIXTURE / "head"), "--compare", str(base), "--format", fmt]
        assert main([*args, "--output", str(out)]) == 0
        found[fmt] = out.read_text(encoding="utf-8")
    return found


def test_the_comment_matches_the_reviewed_golden_file(outputs):
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(outputs["markdown"], encoding="utf-8")
    assert outputs["markdown"] == GOLDEN.read_text(encoding="utf-8")


def test_the_first_screen_says_what_the_change_does_to_access(outputs):
    first_screen = "\n".join(outputs["markdown"].splitlines()[:20])
    widenings = [line for line in first_screen.splitlines() if line.startswith("- ⚠️ **wider:**")]
    assert len(widenings) == 3
    assert widenings[0].startswith("- ⚠️ **wider:** vm-web-02 port 22 newly requestable (approval")
    assert widenings[1] == "- ⚠️ **wider:** 198.51.100.7 widened to 198.51.100.0/24 (+255 addresses) on every port"
    assert widenings[2] == "- ⚠️ **wider:** cap PT3H to PT8H on every port"
    assert "narrower" not in first_screen
    # The first screen comes before any resource diff.
    assert outputs["markdown"].index("#### Access") < outputs["markdown"].index("#### Changes")


def test_the_jit_policy_diff_shows_one_added_vm_not_shifted_indexes(outputs):
    text = outputs["markdown"]
    block = text[text.index("**jit**\n```diff\n") :].split("```diff\n", 1)[1].split("\n```", 1)[0].splitlines()
    added = [line for line in block if line.startswith("+ inputs.virtualMachines[") and "].ports" not in line]
    assert len(added) == 1 and added[0].startswith("+ inputs.virtualMachines[vm-web-02]: ")
    assert not [line for line in block if "virtualMachines[vm-win-01].id" in line or "virtualMachines[1]" in line]
    assert '~ inputs.virtualMachines[vm-win-01].ports[3389].maxRequestAccessDuration: "PT3H" => "PT8H"' in block
    assert not [line for line in block if "ports[0].number" in line]


def test_json_pins_the_access_key_with_widenings_before_narrowings(outputs):
    access = json.loads(outputs["json"])["access"]
    assert [c["kind"] for c in access["delta"]["widenings"]] == ["new-port", "sources", "duration"]
    assert access["delta"]["narrowings"] == []
    assert access["delta"]["widenings"][1]["ports"] == ["vm-web-01 port 22", "vm-win-01 port 3389"]
    ports = {(p["vm"], p["port"]): p for p in access["ports"]}
    assert set(ports) == {("vm-web-01", 22), ("vm-web-02", 22), ("vm-win-01", 3389)}
    web2 = ports[("vm-web-02", 22)]
    assert (web2["mode"], web2["addresses"], web2["maxDuration"]) == ("approval", 16 + 256, "PT8H")
    assert web2["approvers"] == ["secops@example.com"]
    assert [(q["kind"], q["workflow"]) for q in web2["requesters"]] == [("ServicePrincipal", "approvals")]


def test_text_output_opens_with_the_same_access_delta(outputs):
    lines = outputs["text"].splitlines()
    assert lines[2] == "Access:"
    assert lines[3].startswith("    WIDER   vm-web-02 port 22 newly requestable")
    assert lines[4] == "    WIDER   198.51.100.7 widened to 198.51.100.0/24 (+255 addresses) on every port"
    assert lines[5] == "    WIDER   cap PT3H to PT8H on every port"


def test_github_flavoured_markdown_renders_the_tables_and_one_mermaid_fence(outputs):
    tokens, html = render_gfm(outputs["markdown"])
    fences = [t for t in tokens if t.type == "fence"]
    assert [t.info for t in fences] == ["diff", "mermaid"]
    assert html.count("<table>") == 3  # access, created resources, all resources
    access_table = html.split("<table>")[1].split("</table>")[0]
    assert access_table.count("<tr>") == 4  # header + three ports
    assert "<td>vm-web-02</td>" in access_table


def test_every_mermaid_block_parses_with_mermaids_own_parser(outputs):
    blocks = mermaid_blocks(outputs["markdown"])
    assert len(blocks) == 1
    assert parse_mermaid(blocks) == [{"ok": True, "type": "flowchart-v2", "error": None}]


def test_the_parser_check_fails_on_a_broken_diagram():
    broken = ['flowchart LR\n    a["x"] -->', 'flowchart LR\n    subgraph s["S"]\n    a', "flowchart LR\n    a:::"]
    results = parse_mermaid([*broken, 'flowchart LR\n    a["x"]:::c\n    classDef c fill:#fff'])
    assert [r["ok"] for r in results] == [False, False, False, True]
    assert "Parse error" in results[0]["error"]
