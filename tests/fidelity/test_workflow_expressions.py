"""Every expression of every approval workflow the project's programs deploy parses, calls only functions the
workflow language has with the arity its signatures allow, and refers only to what the definition declares."""

from __future__ import annotations

import copy

import pytest

from tests.fidelity.workflow_language import (
    WorkflowExpressionError,
    check_definition,
    parse,
    signatures,
    workflow_problems,
)

WORKFLOW = "azure-native:logic:Workflow"


def _workflows(previews):
    return [(name, r) for name, result in previews.items() for r in result.resources if r.type == WORKFLOW]


def test_every_deployed_workflow_expression_is_valid(shipped_previews):
    workflows = _workflows(shipped_previews)
    assert len(workflows) >= 3
    for program, workflow in workflows:
        assert workflow_problems(workflow) == [], program


def test_create_array_needs_an_item_and_json_gives_the_empty_array():
    assert signatures()["createarray"] == (1, None)
    assert signatures()["json"] == (1, 1)


def _with(definition, path, value):
    node = definition
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return definition


def _deployed(shipped_previews):
    program, workflow = _workflows(shipped_previews)[0]
    return copy.deepcopy(workflow.inputs["definition"]), workflow.inputs.get("parameters")


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("@createArray()", "createArray() takes 1 to any number argument(s), given 0"),
        ("@toLowr('A')", "unknown function toLowr()"),
        ("@addMinutes(utcNow())", "addMinutes() takes 2 to 3 argument(s), given 1"),
        ("@outputs('No_such_action')", "outputs('No_such_action'): no such action in the definition"),
        ("@variables('nope')", "variables('nope'): no InitializeVariable declares it"),
        ("@parameters('nope')", "parameters('nope'): not a parameter of the definition"),
        ("@parameters('$connections')['sharepoint']['connectionId']", "$connections['sharepoint']"),
        ("@{concat('a', 'b'}", "expected ')'"),
        ("@concat(" + ", ".join(["'x'"] * 2000) + ")", "over 8192"),
    ],
)
def test_a_bad_expression_is_reported_with_its_path(shipped_previews, expression, problem):
    definition, parameters = _deployed(shipped_previews)
    first_action = next(iter(definition["actions"]))
    _with(definition, ["actions", first_action, "description"], expression)
    problems = check_definition(definition, parameters)
    assert len(problems) == 1 and problem in problems[0], problems
    assert problems[0].startswith(f"$.actions.{first_action}.description: ")


def test_a_deployed_workflow_with_an_empty_create_array_names_resource_and_path(shipped_previews):
    program, workflow = _workflows(shipped_previews)[0]
    broken = copy.deepcopy(workflow)
    action = next(iter(broken.inputs["definition"]["actions"]))
    broken.inputs["definition"]["actions"][action]["description"] = "@contains(createArray(), 'x')"
    [problem] = workflow_problems(broken)
    assert problem == (
        f"{workflow.urn} definition.actions.{action}.description: contains(createArray(), 'x'): "
        "createArray() takes 1 to any number argument(s), given 0"
    )


def test_the_grammar_matches_the_designer_parser():
    assert parse("body('A')?['x'].y[0]").derefs[1].value == "y"
    for bad in ("'unclosed", "f(1,)", "f(1) g(2)", "1 + 2", "'a'['b']"):
        with pytest.raises(WorkflowExpressionError):
            parse(bad)
