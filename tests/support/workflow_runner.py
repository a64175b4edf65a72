"""Run a workflow definition the way Logic Apps schedules it, with connector calls stubbed, for tests.

Compose, InitializeVariable, SetVariable, Scope and If are executed with the strict evaluator; every other
action (Http, ApiConnection, ApiConnectionWebhook) has its inputs evaluated and recorded, and its result
taken from `stubs` (default: Succeeded, status 200, no body). An action whose `runAfter` statuses are not
met is Skipped, as are the actions inside it. An expression error fails the action and is recorded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.support.workflow_expressions import Context, ExpressionError, evaluate, evaluate_value
from tests.support.workflow_syntax import parse_template

CONTAINERS = ("Scope", "If")


@dataclass
class Stub:
    """What a connector or HTTP action returns."""

    status: str = "Succeeded"
    body: Any = None
    status_code: int = 200


@dataclass
class Run:
    """What happened: final status, evaluated inputs and outputs per action, variables, expression errors."""

    context: Context
    statuses: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def outputs(self, action: str) -> Any:
        return self.context.actions[action].get("outputs")

    @property
    def variables(self) -> dict[str, Any]:
        return self.context.variables

    def ran(self, action: str) -> bool:
        return self.statuses.get(action) not in (None, "Skipped")


def default_parameters(definition: dict[str, Any]) -> dict[str, Any]:
    return {name: copy.deepcopy(spec.get("defaultValue")) for name, spec in definition.get("parameters", {}).items()}


def trigger_fires(definition: dict[str, Any], trigger: str, outputs: dict[str, Any]) -> bool:
    """Whether every trigger condition holds for these trigger outputs."""
    ctx = Context(trigger={"name": trigger, "outputs": outputs})
    conditions = definition["triggers"][trigger].get("conditions", [])
    return all(evaluate_value(condition["expression"], ctx) is True for condition in conditions)


def run_workflow(
    definition: dict[str, Any],
    trigger: str,
    trigger_outputs: dict[str, Any],
    parameters: dict[str, Any] | None = None,
    stubs: dict[str, Stub] | None = None,
    context: Context | None = None,
) -> Run:
    """Run every action of the definition once, for one firing of `trigger`."""
    assert trigger in definition["triggers"], f"no trigger {trigger}"
    ctx = context or Context()
    ctx.trigger = {"name": trigger, "outputs": trigger_outputs}
    ctx.parameters = {**default_parameters(definition), **(parameters or {})}
    run = Run(ctx)
    _run_scope(definition["actions"], run, stubs or {})
    return run


def run_actions(actions: dict[str, Any], context: Context, stubs: dict[str, Stub] | None = None) -> Run:
    """Run one scope's actions (e.g. the validation chain) in an existing context."""
    run = Run(context)
    _run_scope(actions, run, stubs or {})
    return run


def _skip_all(actions: dict[str, Any], run: Run) -> None:
    for name, action in actions.items():
        run.statuses[name] = "Skipped"
        _skip_all(action.get("actions", {}), run)
        _skip_all(action.get("else", {}).get("actions", {}), run)


def _run_scope(actions: dict[str, Any], run: Run, stubs: dict[str, Stub]) -> str:
    pending = dict(actions)
    while pending:
        ready = sorted(
            name
            for name, action in pending.items()
            if all(before in run.statuses for before in action.get("runAfter", {}))
        )
        if not ready:
            raise AssertionError(f"runAfter cycle or unknown predecessor among {sorted(pending)}")
        for name in ready:
            action = pending.pop(name)
            wanted = action.get("runAfter", {})
            if all(run.statuses[before] in allowed for before, allowed in wanted.items()):
                _run_action(name, action, run, stubs)
            else:
                run.statuses[name] = "Skipped"
                _skip_all(action.get("actions", {}), run)
                _skip_all(action.get("else", {}).get("actions", {}), run)
    statuses = [run.statuses[name] for name in actions]
    return "Failed" if any(s in ("Failed", "TimedOut") for s in statuses) else "Succeeded"


def _run_action(name: str, action: dict[str, Any], run: Run, stubs: dict[str, Stub]) -> None:
    ctx, kind = run.context, action["type"]
    try:
        if kind == "If":
            template = parse_template(action["expression"])
            assert template[0] == "whole", f"{name}: the condition must be one expression"
            condition = evaluate(template[1], ctx)
            if not isinstance(condition, bool):
                raise ExpressionError(f"{name}: condition is {condition!r}, not a boolean")
            taken, other = (action["actions"], action.get("else", {}).get("actions", {}))
            if not condition:
                taken, other = other, taken
            _skip_all(other, run)
            status, outputs = _run_scope(taken, run, stubs), {"expression": condition}
        elif kind == "Scope":
            status, outputs = _run_scope(action["actions"], run, stubs), None
        elif kind == "Compose":
            status, outputs = "Succeeded", evaluate_value(action["inputs"], ctx)
        elif kind == "InitializeVariable":
            (variable,) = action["inputs"]["variables"]
            ctx.variables[variable["name"]] = evaluate_value(variable.get("value"), ctx)
            status, outputs = "Succeeded", None
        elif kind == "SetVariable":
            if action["inputs"]["name"] not in ctx.variables:
                raise ExpressionError(f"{name}: variable {action['inputs']['name']!r} was never initialised")
            ctx.variables[action["inputs"]["name"]] = evaluate_value(action["inputs"]["value"], ctx)
            status, outputs = "Succeeded", None
        else:
            run.inputs[name] = evaluate_value(action["inputs"], ctx)
            stub = stubs.get(name, Stub())
            status, outputs = stub.status, {"statusCode": stub.status_code, "body": stub.body}
    except ExpressionError as err:
        run.errors[name] = str(err)
        status, outputs = "Failed", None
        for container in (action.get("actions", {}), action.get("else", {}).get("actions", {})):
            _skip_all({child: spec for child, spec in container.items() if child not in run.statuses}, run)
    run.statuses[name] = status
    ctx.actions[name] = {"status": status, "inputs": run.inputs.get(name), "outputs": outputs}
