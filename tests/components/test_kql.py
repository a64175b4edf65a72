"""Every KQL query the project ships: balanced quotes and brackets, only known tables, columns and functions.

The checker below is deliberately small and strict: a string it cannot close, a bracket it cannot match, or a
name that is neither a KQL keyword or function we use, nor a column of a table the query reads, nor a name the
query defines, fails the test. The last tests prove it fails on each kind of mistake.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from azure_jit_access import kql
from azure_jit_access.approval.audit import AUDIT_RECORD_COLUMNS
from azure_jit_access.audit_table import (
    DECISION_COLUMN_TYPES,
    DECISION_STREAM,
    DECISION_TABLE,
    decision_transform_kql,
    record_stream_columns,
)

ROLE_GUID = "0f6f5a9e-1111-4222-8333-444455556666"

KEYWORDS = {
    "where",
    "project",
    "project_away",
    "extend",
    "summarize",
    "by",
    "order",
    "asc",
    "desc",
    "mv_apply",
    "on",
    "join",
    "kind",
    "leftouter",
    "union",
    "let",
    "and",
    "or",
    "in",
    "contains",
    "has",
    "startswith",
    "matches",
    "regex",
    "between",
    "to",
    "true",
    "false",
    "string",
    "int",
    "long",
    "datetime",
    "dynamic",
    "bool",
}
FUNCTIONS = {
    "ingestion_time",
    "ago",
    "arg_max",
    "tostring",
    "tolower",
    "parse_json",
    "isnotnull",
    "iff",
    "pack_array",
    "strcat",
    "make_set",
    "array_length",
    "strcat_array",
    "isempty",
    "isnotempty",
    "countif",
    "max",
    "extract",
    "take_anyif",
    "abs",
    "toint",
}
HYPHENATED = ("mv-apply", "project-away")


class KqlError(AssertionError):
    """What is wrong with a query."""


def strip_strings_and_comments(text: str) -> str:
    """The query with every string literal replaced by `""` and comments removed; refuses unclosed strings."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif char in "@" and i + 1 < len(text) and text[i + 1] in "\"'":
            quote, i = text[i + 1], i + 2
            while True:  # verbatim: no escapes, a doubled quote is a quote
                if i >= len(text):
                    raise KqlError(f"unterminated verbatim string {text[:60]!r}")
                if text[i] == quote and text[i + 1 : i + 2] == quote:
                    i += 2
                elif text[i] == quote:
                    i += 1
                    break
                else:
                    i += 1
            out.append('""')
        elif char in "\"'":
            quote, i = char, i + 1
            while True:
                if i >= len(text) or text[i] == "\n":
                    raise KqlError(f"unterminated string literal in {text!r}")
                if text[i] == "\\":
                    i += 2
                elif text[i] == quote:
                    i += 1
                    break
                else:
                    i += 1
            out.append('""')
        else:
            out.append(char)
            i += 1
    return "".join(out)


def check_brackets(code: str) -> None:
    pairs, stack = {")": "(", "]": "[", "}": "{"}, []
    for position, char in enumerate(code):
        if char in "([{":
            stack.append(char)
        elif char in pairs:
            if not stack or stack.pop() != pairs[char]:
                raise KqlError(f"unbalanced '{char}' at {position}")
    if stack:
        raise KqlError(f"unclosed '{stack[-1]}'")


def check_query(text: str, tables: dict[str, dict[str, str]]) -> set[str]:
    """Check one query against the tables it may read; returns the tables it reads."""
    code = strip_strings_and_comments(text)
    check_brackets(code)
    for word in HYPHENATED:
        code = re.sub(rf"\b{word}\b", word.replace("-", "_"), code)
    defined = set(re.findall(r"(?<![=!<>~])\b([A-Za-z_]\w*)\s*=(?![=~])", code))
    used_tables: set[str] = set()
    names: list[tuple[str, int]] = []
    for match in re.finditer(r"\d[\w.]*|[A-Za-z_]\w*", code):
        word = match.group()
        if word[0].isdigit():
            continue
        before = code[: match.start()].rstrip()[-1:]
        after = code[match.end() :].lstrip()[:1]
        if before == ".":
            continue  # a property of a dynamic value
        if after == "(" and word not in KEYWORDS:
            if word not in FUNCTIONS:
                raise KqlError(f"unknown function {word}()")
            continue
        if word in tables:
            used_tables.add(word)
        elif word not in KEYWORDS:
            names.append((word, match.start()))
    if not used_tables:
        raise KqlError(f"reads no known table: {text[:60]!r}")
    columns = set().union(*(tables[t] for t in used_tables))
    for word, position in names:
        if word not in columns and word not in defined:
            raise KqlError(f"unknown column or name '{word}' at {position}")
    return used_tables


def shipped_queries() -> dict[str, str]:
    """Every query text the project can deploy: saved searches and both alerts, with and without options."""
    queries = {f"saved:{q.name}": q.text for q in kql.saved_queries(ROLE_GUID)}
    queries.update({f"saved-no-role:{q.name}": q.text for q in kql.saved_queries()})
    queries["alert:initiate"] = kql.jit_initiations_query(since="5m")
    queries["alert:changes"] = kql.privileged_changes_query(ROLE_GUID, since="15m")
    queries["alert:changes-no-role"] = kql.privileged_changes_query(since="5m")
    return queries


@pytest.mark.parametrize("name", sorted(shipped_queries()))
def test_every_shipped_query_is_balanced_and_uses_known_tables_and_columns(name):
    text = shipped_queries()[name]
    used = check_query(text, kql.KNOWN_COLUMNS)
    assert used <= {"AzureActivity", DECISION_TABLE}


def test_the_checker_knows_exactly_the_columns_the_issue_names_plus_the_decision_table():
    assert {
        "OperationNameValue",
        "ActivityStatusValue",
        "Caller",
        "_ResourceId",
        "ResourceGroup",
        "TimeGenerated",
    } <= set(kql.AZURE_ACTIVITY_COLUMNS)
    # Legacy columns are missing in new workspaces (Azure-Sentinel#10340): a query using them must fail here.
    assert not {"OperationName", "ActivityStatus", "Resource", "ResourceId"} & set(kql.AZURE_ACTIVITY_COLUMNS)
    assert kql.KNOWN_COLUMNS[DECISION_TABLE] == DECISION_COLUMN_TYPES


def test_the_dcr_transformation_reads_the_stream_and_writes_exactly_the_table_columns():
    transform = decision_transform_kql()
    check_query(transform, {"source": record_stream_columns()})
    projected = transform.split("| project ", 1)[1].split(", ")
    assert [p.split(" = ")[0] for p in projected] == list(DECISION_COLUMN_TYPES)
    assert "Port = toint(Port)" in projected and "DurationMinutes = toint(DurationMinutes)" in projected


def test_the_stream_accepts_exactly_the_record_the_workflow_sends():
    assert record_stream_columns() == AUDIT_RECORD_COLUMNS
    assert DECISION_STREAM == "Custom-JitAccessDecisions_CL"


def test_initiate_query_filters_the_jit_initiate_operation_and_projects_time_caller_resource_status():
    text = kql.jit_initiations_query()
    assert text.splitlines()[0] == "AzureActivity"
    assert (
        '| where OperationNameValue =~ "MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/INITIATE/ACTION"'
        in text.splitlines()
    )
    projected = text.split("| project ")[1].split(", ")
    assert {"TimeGenerated", "Caller", "_ResourceId", "ResourceGroup", "ActivityStatusValue"} <= set(projected)


def test_alert_variant_counts_only_records_ingested_since_the_previous_run():
    lines = kql.jit_initiations_query(since="15m").splitlines()
    assert lines[:2] == ["AzureActivity", "| where ingestion_time() > ago(15m)"]
    assert (
        kql.jit_initiations_query(since="15m").replace("| where ingestion_time() > ago(15m)\n", "")
        == kql.jit_initiations_query()
    )


def test_changes_query_covers_jit_policies_roles_and_wildcard_nsg_rules():
    text = kql.privileged_changes_query(ROLE_GUID)
    for operation in (
        *kql.JIT_POLICY_CHANGES,
        *kql.ROLE_DEFINITION_CHANGES,
        *kql.ROLE_ASSIGNMENT_CHANGES,
        *kql.NSG_WRITES,
    ):
        assert f'"{operation}"' in text
    assert f'tostring(Properties_d) contains "{ROLE_GUID}"' in text
    assert "request body not recorded" in text


def test_without_the_requester_role_no_role_assignment_is_watched():
    text = kql.privileged_changes_query()
    assert "ROLEASSIGNMENTS" not in text
    assert "ROLEDEFINITIONS/WRITE" in text


@pytest.mark.parametrize(
    "role, guid",
    [
        (ROLE_GUID, ROLE_GUID),
        (ROLE_GUID.upper(), ROLE_GUID),
        (f"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{ROLE_GUID}", ROLE_GUID),
    ],
)
def test_requester_role_is_read_from_a_guid_or_a_definition_id(role, guid):
    assert kql.requester_role_guid(role) == guid


@pytest.mark.parametrize(
    "role, message",
    [
        ("", "expected the requester role's GUID"),
        ("Virtual Machine Contributor", "is not a GUID"),
        (
            f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{ROLE_GUID}",
            "is not a role definition id",
        ),
    ],
)
def test_a_malformed_requester_role_is_refused(role, message):
    with pytest.raises(ValueError, match=message):
        kql.privileged_changes_query(role)


@pytest.mark.parametrize(
    "sources, wildcard",
    [
        ("*,", True),
        ("internet,", True),
        ("any,", True),
        ("0.0.0.0/0,", True),
        ("::/0,", True),
        ("10.0.0.0/0,", True),
        (',["203.0.113.0/28","*"]', True),
        (',["internet"]', True),
        ("203.0.113.7,", False),
        ("10.0.0.0/8,", False),
        (',["203.0.113.0/28","198.51.100.7"]', False),
        ("anyhost.contoso.com,", False),
        ("virtualnetwork,", False),
        (",", False),
    ],
)
def test_wildcard_source_pattern_matches_every_spelling_of_anyone_and_nothing_else(sources, wildcard):
    # What the query builds per rule (lower case): sourceAddressPrefix, a comma, sourceAddressPrefixes as JSON.
    assert bool(re.search(kql.WILDCARD_SOURCE_REGEX, sources)) is wildcard


def test_saved_query_names_are_unique_kebab_case():
    names = [q.name for q in kql.saved_queries(ROLE_GUID)]
    assert len(names) == len(set(names)) == 6
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", n) for n in names)


@pytest.mark.parametrize(
    "text, message",
    [
        ('AzureActivity | where Caller == "x', "unterminated string"),
        ("AzureActivity | where Caller == @'x", "unterminated verbatim"),
        ("AzureActivity | where (Caller == 'x'", "unclosed '\\('"),
        ("AzureActivity | where Caller == 'x')", "unbalanced '\\)'"),
        ("AzureActivity | extend x = pack_array(1, 2]", "unbalanced"),
        ("AzureActivity | project OperationName", "unknown column or name 'OperationName'"),
        ("AzureActivity | project Vm", "unknown column or name 'Vm'"),
        ("AzureActivity | where tolowerr(Caller) == 'x'", "unknown function tolowerr"),
        ("AzureActivities | project Caller", "reads no known table"),
    ],
)
def test_the_checker_rejects_each_kind_of_mistake(text, message):
    with pytest.raises(KqlError, match=message):
        check_query(text, kql.KNOWN_COLUMNS)


def test_the_checker_accepts_names_the_query_defines_and_dynamic_properties():
    check_query(
        "AzureActivity | extend Body = parse_json(tostring(Properties_d.requestbody)) "
        "| where tostring(Body.properties.access) == 'allow' | project Body, Caller",
        kql.KNOWN_COLUMNS,
    )


@pytest.mark.parametrize("since", ["5", "5h", "0m", "5m) or true", ""])
def test_alert_lookback_must_be_a_minutes_timespan(since):
    with pytest.raises(ValueError, match="is not a KQL timespan in minutes"):
        kql.jit_initiations_query(since=since)


def test_kql_timespan_is_whole_positive_minutes():
    assert kql.kql_timespan(5) == "5m"
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError, match="positive whole number of minutes"):
            kql.kql_timespan(bad)


def test_docs_show_every_saved_query_and_the_transformation_verbatim():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    for query in kql.saved_queries():
        assert f"```kusto\n{query.text}\n```" in docs, f"docs/audit.md is out of date for {query.name}"
    assert decision_transform_kql() in docs
