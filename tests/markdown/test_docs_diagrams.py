"""The Mermaid diagrams in the docs parse with Mermaid's own parser (the approval sequence, the threat model)."""

from pathlib import Path

import pytest

from tests.markdown.checks import mermaid_blocks, parse_mermaid

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page", ["approval-workflow.md"])
def test_every_mermaid_diagram_in_the_page_parses(page):
    blocks = mermaid_blocks((DOCS / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no Mermaid diagram"
    assert [r["ok"] for r in parse_mermaid(blocks)] == [True] * len(blocks), parse_mermaid(blocks)


def test_the_approval_sequence_shows_every_gate_before_initiate():
    (diagram,) = mermaid_blocks((DOCS / "approval-workflow.md").read_text(encoding="utf-8"))
    assert diagram.startswith("sequenceDiagram")
    initiate = diagram.index("POST initiate")
    for gate in ("Validate_request", "listed prefix", "checkMemberGroups", "object id differs from the requester"):
        assert diagram.index(gate) < initiate, gate
