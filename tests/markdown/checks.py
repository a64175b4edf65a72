"""Render Markdown as GitHub would (CommonMark + GFM tables) and parse Mermaid with Mermaid's own parser."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

NODE_DIR = Path(__file__).parent / "node"
MERMAID_BLOCK = re.compile(r"^```mermaid\n(.*?)\n```$", re.S | re.M)


def render_gfm(markdown: str) -> tuple[list[Token], str]:
    """The tokens and HTML of CommonMark with GFM tables and strikethrough (markdown-it-py), as GitHub renders."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return parser.parse(markdown), parser.render(markdown)


def mermaid_blocks(markdown: str) -> list[str]:
    """The source of every ```mermaid fenced block."""
    return MERMAID_BLOCK.findall(markdown)


def parse_mermaid(sources: list[str]) -> list[dict]:
    """Mermaid's own parser (npm `mermaid`, pinned in node/package-lock.json) on each diagram."""
    script = NODE_DIR / "parse-mermaid.mjs"
    if not (NODE_DIR / "node_modules" / "mermaid").is_dir():
        raise RuntimeError(f"{NODE_DIR}/node_modules is missing: run `make install` (npm ci --prefix {NODE_DIR})")
    done = subprocess.run(
        ["node", str(script)], input=json.dumps(sources), capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the Mermaid parser failed: {done.stderr.strip()}")
    return json.loads(done.stdout)
