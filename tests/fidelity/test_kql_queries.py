"""Every KQL query the project ships (alert rules, saved searches, the DCR transformation), as the preview
deploys it, parses and binds with Microsoft's Kusto.Language; the transformation uses only what Azure Monitor
supports in transformations."""

from __future__ import annotations

from azure_jit_access import kql
from tests.fidelity.kusto import analyse, azure_activity_columns, kql_type, transformation_problems

TABLE = "azure-native:operationalinsights:Table"


def _deployed(result):
    """(queries by name, transformations by name, tables) of one preview."""
    queries, transforms = {}, {}
    tables = {"AzureActivity": azure_activity_columns()}
    for r in result.resources:
        kind = r.type.split(":")[-1]
        if kind == "ScheduledQueryRule":
            for i, condition in enumerate(r.inputs["criteria"]["allOf"]):
                queries[f"alert {r.name} [{i}]"] = condition["query"]
        elif kind == "SavedSearch":
            queries[f"saved search {r.name}"] = r.inputs["query"]
        elif r.type == TABLE:
            schema = r.inputs["schema"]
            tables[schema["name"]] = {c["name"]: c["type"] for c in schema["columns"]}
        elif kind == "DataCollectionRule":
            declared = r.inputs.get("streamDeclarations") or {}
            for i, flow in enumerate(r.inputs.get("dataFlows") or []):
                if flow.get("transformKql"):
                    [stream] = flow["streams"]
                    columns = {c["name"]: c["type"] for c in declared[stream]["columns"]}
                    transforms[f"transform {r.name} [{i}]"] = (flow["transformKql"], columns, flow["outputStream"])
    return queries, transforms, tables


def test_every_shipped_query_binds_against_the_documented_tables(shipped_previews):
    checked = []
    for program, result in shipped_previews.items():
        queries, _, tables = _deployed(result)
        if not queries:
            continue
        for name, report in analyse(queries, tables).items():
            assert report.errors == [], (program, name, queries[name])
            checked.append(name)
    # Both alert rules and every saved search of the audit trail were among them.
    assert sum(n.startswith("alert ") for n in checked) >= 2 and sum(n.startswith("saved ") for n in checked) >= 6


def test_every_alert_dimension_is_a_column_of_its_query_result(shipped_previews):
    # Azure splits alerts by dimension columns of the query's result; a dimension the result lacks is refused.
    result = shipped_previews["stack dev"]
    queries, _, tables = _deployed(result)
    reports = analyse(queries, tables)  # the same call as above: answered from the cache
    rules = [r for r in result.resources if r.type.endswith(":ScheduledQueryRule")]
    assert len(rules) >= 2
    for rule in rules:
        for i, condition in enumerate(rule.inputs["criteria"]["allOf"]):
            columns = reports[f"alert {rule.name} [{i}]"].columns
            dimensions = [d["name"] for d in condition.get("dimensions", [])]
            assert dimensions and set(dimensions) <= set(columns), (rule.name, dimensions, columns)


def test_the_dcr_transformation_binds_to_its_stream_and_uses_only_supported_kql(shipped_previews):
    _, transforms, tables = _deployed(shipped_previews["stack dev"])
    assert transforms
    for name, (text, columns, output) in transforms.items():
        [report] = analyse({name: text}, {"source": columns}).values()
        assert report.errors == [], (name, text)
        assert transformation_problems(report) == [], (name, text)
        # What it writes must be the destination table's schema, column for column and type for type.
        table = tables[output.removeprefix("Custom-")]
        assert report.columns == {column: kql_type(kind) for column, kind in table.items()}, name


def test_the_projects_azure_activity_columns_are_the_documented_ones():
    for column, kind in kql.AZURE_ACTIVITY_COLUMNS.items():
        assert azure_activity_columns().get(column) == kind, column


def test_an_unknown_or_undocumented_column_is_reported_with_its_name():
    reports = analyse(
        {
            "typo": "AzureActivity | where CallerIp == '1.2.3.4'",
            "documented": "AzureActivity | project OperationNameValue, Properties_d, _ResourceId",
            "made-up": "AzureActivity | project Operation",
        },
        {"AzureActivity": azure_activity_columns()},
    )
    [typo] = reports["typo"].errors
    assert "'CallerIp'" in typo and typo.startswith("KS142")
    assert reports["documented"].errors == []
    assert reports["documented"].columns == {
        "OperationNameValue": "string",
        "Properties_d": "dynamic",
        "_ResourceId": "string",
    }
    assert len(reports["made-up"].errors) == 1 and "'Operation'" in reports["made-up"].errors[0]


def test_a_transformation_outside_the_supported_subset_is_reported():
    reports = analyse(
        {"summarize": "source | summarize count() by Vm", "make_set": "source | extend X = make_set(Vm)"},
        {"source": {"Vm": "string"}},
    )
    assert "operator 'summarize' is not supported in transformations" in transformation_problems(reports["summarize"])
    assert "function make_set() is not supported in transformations" in transformation_problems(reports["make_set"])


def test_the_empty_wildcard_set_is_filtered_before_it_can_alert(shipped_previews):
    # summarize without `by` yields one row with an empty set when nothing matches (summarize operator docs),
    # so the severity-1 changes alert must drop it, or every NSG write would fire it.
    queries, _, _ = _deployed(shipped_previews["stack dev"])
    [changes] = [q for name, q in queries.items() if "change-alert" in name]
    after_apply = changes.split("| summarize WildcardRules = make_set(tostring(Rule.name))", 1)[1]
    assert after_apply.split("\n")[2].strip() == "| where array_length(WildcardRules) > 0"


def test_a_deployed_alert_with_an_unknown_column_is_reported_naming_the_resource(shipped_previews):
    queries, _, tables = _deployed(shipped_previews["stack dev"])
    [name] = [n for n in queries if n.startswith("alert audit-initiate-alert")]
    broken = {name: queries[name] + "\n| where CallerIp == '203.0.113.7'"}
    report = analyse(broken, tables)[name]
    assert name == "alert audit-initiate-alert [0]"  # the resource and criteria.allOf[0].query
    assert len(report.errors) == 1 and "'CallerIp'" in report.errors[0]
