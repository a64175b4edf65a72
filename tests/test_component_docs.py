"""The component pages document every argument, with its default, and every output, as the code declares them.

Each Args dataclass (and each dataclass a caller builds inside one, such as `NsgRule`) has a table under a line
starting with **Arguments** (`<ClassName>`: one row per field, in declaration order, as
`` | `field` | default | meaning | ``. The default is written `required` when the field has none, otherwise as
the value in backticks, strings in double quotes: `` `"PT3H"` ``, `` `False` ``, `` `()` ``, `` `None` ``.
Each component has a list under **Outputs** (`<ClassName>`) naming its `pulumi.Output` attributes, and its page
has a Python example that constructs it. Adding a field or output, or changing a default, fails here until the
page says so too.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import re
from pathlib import Path

import pytest

from azure_jit_access.approval.component import AllowedVm, JitApprovalWorkflow, JitApprovalWorkflowArgs
from azure_jit_access.approval.request import FormFields, FormsTrigger, HttpTrigger
from azure_jit_access.audit import JitAuditTrail, JitAuditTrailArgs
from azure_jit_access.bastion import BastionAccess, BastionAccessArgs
from azure_jit_access.defender import DefenderExtension, DefenderForServers, DefenderForServersArgs
from azure_jit_access.existing_vm import ExistingVm, ExistingVmGuardArgs
from azure_jit_access.jit_policy import JitAccessPolicy, JitAccessPolicyArgs, JitPortRule, JitVirtualMachine
from azure_jit_access.nsg_rules import NsgRule
from azure_jit_access.requester_role import JitRequesterRole, JitRequesterRoleArgs, RoleAssignee
from azure_jit_access.vm import JitProtectedVm, JitProtectedVmArgs
from azure_jit_access.wildcard_policy import DenyWildcardSourcePolicy, DenyWildcardSourcePolicyArgs

DOCS = Path(__file__).resolve().parents[1] / "docs"

COMPONENTS = [
    (JitProtectedVmArgs, "components.md", JitProtectedVm),
    (DefenderForServersArgs, "components.md", DefenderForServers),
    (JitAccessPolicyArgs, "components.md", JitAccessPolicy),
    (BastionAccessArgs, "components.md", BastionAccess),
    (JitRequesterRoleArgs, "access-control.md", JitRequesterRole),
    (DenyWildcardSourcePolicyArgs, "access-control.md", DenyWildcardSourcePolicy),
    (JitApprovalWorkflowArgs, "approval-workflow.md", JitApprovalWorkflow),
    (JitAuditTrailArgs, "audit.md", JitAuditTrail),
]
"""(Args dataclass, page, component class)."""

NESTED_ARGS = [
    (NsgRule, "components.md"),
    (DefenderExtension, "components.md"),
    (JitVirtualMachine, "components.md"),
    (JitPortRule, "components.md"),
    (ExistingVmGuardArgs, "components.md"),
    (ExistingVm, "components.md"),
    (RoleAssignee, "access-control.md"),
    (AllowedVm, "approval-workflow.md"),
    (HttpTrigger, "approval-workflow.md"),
    (FormsTrigger, "approval-workflow.md"),
    (FormFields, "approval-workflow.md"),
]
"""Dataclasses a caller builds inside a component's args, each with its own Arguments table."""

EVERY_ARGS = [(args_class, page) for args_class, page, _ in COMPONENTS] + NESTED_ARGS


def documented_default(field: dataclasses.Field) -> str:
    """The default column for a field: `required`, or the default value in backticks (strings double-quoted)."""
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return "required"
    return f'`"{value}"`' if isinstance(value, str) else f"`{value!r}`"


def block_after(page: str, marker: str) -> list[str]:
    """The table or list that follows the one line of `page` starting with `marker`: its lines up to a blank one."""
    lines = (DOCS / page).read_text().splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith(marker)]
    assert len(starts) == 1, f"docs/{page}: expected one line starting with {marker!r}, found {len(starts)}"
    following = itertools.dropwhile(lambda line: not line.strip(), lines[starts[0] + 1 :])
    block = list(itertools.takewhile(str.strip, following))
    assert block, f"docs/{page}: nothing follows {marker!r}"
    return block


def arguments_table(page: str, args_class: type) -> dict[str, tuple[str, str]]:
    """Field name -> (default cell, meaning cell) of the class's Arguments table, in the page's order."""
    header, separator, *rows = block_after(page, f"**Arguments** (`{args_class.__name__}`")
    assert header.startswith("|") and set(separator) <= set("|-: "), f"docs/{page}: {args_class.__name__} has no table"
    table = {}
    for row in rows:
        name, default, meaning = (cell.strip() for cell in row.strip().strip("|").split("|"))
        match = re.fullmatch(r"`(\w+)`", name)
        assert match, f"docs/{page}: {args_class.__name__} row {row!r} does not start with one `field_name`"
        table[match[1]] = (default, meaning)
    return table


def output_attributes(component: type) -> list[str]:
    """Attributes the class itself annotates as `pulumi.Output[...]`, optional ones included."""
    return [name for name, hint in inspect.get_annotations(component).items() if str(hint).startswith("pulumi.Output[")]


def python_examples(page: str) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.DOTALL))


@pytest.mark.parametrize(("args_class", "page"), EVERY_ARGS, ids=[args_class.__name__ for args_class, _ in EVERY_ARGS])
def test_arguments_table_lists_every_field_with_its_default(args_class, page):
    table = arguments_table(page, args_class)
    expected = {field.name: documented_default(field) for field in dataclasses.fields(args_class)}
    assert {name: default for name, (default, _) in table.items()} == expected
    assert list(table) == list(expected), "rows are not in the dataclass's field order"
    assert all(meaning for _, meaning in table.values()), "every row needs a meaning"


@pytest.mark.parametrize(
    ("page", "component"),
    [(page, component) for _, page, component in COMPONENTS],
    ids=[component.__name__ for *_, component in COMPONENTS],
)
def test_outputs_list_names_every_output_attribute(page, component):
    outputs = output_attributes(component)
    assert outputs, f"{component.__name__} annotates no pulumi.Output attribute; has the annotation style changed?"
    listed = "\n".join(block_after(page, f"**Outputs** (`{component.__name__}`"))
    assert [name for name in outputs if f"`{name}`" not in listed] == []


@pytest.mark.parametrize(
    ("page", "component"),
    [(page, component) for _, page, component in COMPONENTS],
    ids=[component.__name__ for *_, component in COMPONENTS],
)
def test_page_has_an_example_that_constructs_the_component(page, component):
    assert re.search(rf'\b{component.__name__}\(\s*"', python_examples(page))
