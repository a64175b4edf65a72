"""The README says what the code does: set-up commands, saved queries, the policy table's neighbours."""

import re
from pathlib import Path

from azure_jit_access import kql

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_the_two_setup_commands_are_make_preview_and_make_test():
    block = re.search(r"## Set up and run.*?```sh\n(.*?)```", README, re.S).group(1)
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make preview", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_audit_section_names_every_saved_search_and_shows_the_shipped_initiate_query():
    audit = README[README.index("## Audit") : README.index("## Performance")]
    for query in kql.saved_queries():
        assert f"`{query.name}`" in audit
    assert f"```kusto\n{kql.jit_initiations_query()}\n```" in audit


def test_every_relative_link_points_at_a_file_that_exists():
    for target in re.findall(r"\]\(((?:docs|examples)/[^)#]+)", README):
        assert (ROOT / target).exists(), target
