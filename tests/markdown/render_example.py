"""Render the golden review comment as a reviewer sees it and screenshot it: docs/review-example.png.

GitHub renders the comment as GFM and draws ```mermaid blocks with Mermaid. This does the same offline:
markdown-it-py (CommonMark + GFM tables) for the page, Mermaid from tests/markdown/node/node_modules for the
diagram, and Debian's chromium (`apt-get install -y chromium`) headless for the screenshot.

    .venv/bin/python tests/markdown/render_example.py [--golden FILE] [--output docs/review-example.png]
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
MERMAID_JS = ROOT / "tests/markdown/node/node_modules/mermaid/dist/mermaid.min.js"
STYLE = """
body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 1100px; margin: 16px auto; padding: 0 16px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #d1d9e0; padding: 4px 10px; }
th { background: #f6f8fa; } code { background: #eff1f3; padding: 1px 4px; border-radius: 4px; font-size: 85%; }
pre { background: #f6f8fa; padding: 12px; overflow: auto; font-size: 12px; } pre code { background: none; }
pre.mermaid { background: #fff; text-align: center; } details { margin: 8px 0; }
"""


def page(markdown: str) -> str:
    """The comment as HTML, with each Mermaid fence turned into a block Mermaid draws."""
    body = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)
    body = re.sub(
        r'<pre><code class="language-mermaid">(.*?)</code></pre>',
        lambda m: f'<pre class="mermaid">{m.group(1)}</pre>',
        body,
        flags=re.S,
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style>"
        f"<script src='{MERMAID_JS.as_uri()}'></script></head><body>{body}"
        "<script>mermaid.initialize({startOnLoad: true, securityLevel: 'strict'});</script></body></html>"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--golden", default=str(ROOT / "tests/markdown/golden/review-change.md"))
    parser.add_argument("--output", default=str(ROOT / "docs/review-example.png"))
    parser.add_argument("--height", type=int, default=1560)
    args = parser.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.stderr.write("error: chromium not found: apt-get install -y chromium\n")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        html_file = Path(tmp) / "comment.html"
        html_file.write_text(page(Path(args.golden).read_text(encoding="utf-8")), encoding="utf-8")
        command = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--allow-file-access-from-files",
            f"--window-size=1150,{args.height}", "--virtual-time-budget=10000",
            f"--screenshot={Path(args.output).resolve()}", html_file.as_uri(),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        sys.stderr.write(f"error: chromium failed: {html.escape(done.stderr[-2000:])}\n")
        return 2
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
