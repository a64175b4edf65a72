"""Logic Apps workflow expressions judged by Microsoft's references, independently of the project's own helpers.

Grammar (as Azure/LogicAppsUX's ExpressionParser reads it): a JSON string starting with `@` is one expression
(`@@` escapes a literal `@`); `@{...}` interpolates anywhere in a string. An expression is a string literal
('' escapes '), a number, `null`/`true`/`false`, or a function call `name(args)` followed by any number of
dereferences `[expr]`, `?[expr]`, `.name`, `?.name`. Function names and arities come from the designer's
signatures (references/logic-apps/functions.json), widened only where the Learn workflow function reference
documents more (LEARN_ARITIES). References (actions, variables, parameters, `$connections`) must resolve in the
definition.

Microsoft's parser itself is not published on the npm registry this project can reach (it lives in
`@microsoft/logic-apps-shared`, absent there), so this module re-implements its grammar; see references/README.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from azure_jit_access.cli.preview.validate import REFERENCES

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?(?![A-Za-z_]))|(?P<name>[A-Za-z_$@][A-Za-z0-9_$@]*)"
    r"|(?P<punct>\?|[()\[\],.]))"
)
# Learn, "Reference guide to workflow expression functions": and/or take two or more expressions.
LEARN_ARITIES = {"and": (2, None), "or": (2, None)}
# Learn, "Limits and configuration reference for Azure Logic Apps": characters per expression.
EXPRESSION_LIMIT = 8192
REFERENCE_FUNCTIONS = {"outputs", "body", "actions", "actionbody", "actionoutputs", "result"}


class WorkflowExpressionError(Exception):
    """The text is not a workflow expression Logic Apps would parse."""


@dataclass
class Call:
    """A function call in a parsed expression."""

    name: str
    args: list[Any]
    derefs: list[Any] = field(default_factory=list)


@dataclass
class Literal:
    """A string, number, boolean or null literal."""

    value: Any


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise WorkflowExpressionError(f"unexpected character {text[pos:].strip()[:1]!r} at {pos}")
            kind = match.lastgroup
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.i = 0

    def peek(self, value: str | None = None) -> bool:
        return self.i < len(self.tokens) and (value is None or self.tokens[self.i][1] == value)

    def take(self, value: str) -> None:
        if not self.peek(value):
            found = self.tokens[self.i][1] if self.i < len(self.tokens) else "end of expression"
            raise WorkflowExpressionError(f"expected {value!r}, found {found!r}")
        self.i += 1

    def expression(self) -> Any:
        if not self.peek():
            raise WorkflowExpressionError("expression expected, found its end")
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "str":
            return Literal(value[1:-1].replace("''", "'"))
        if kind == "num":
            return Literal(float(value) if "." in value else int(value))
        if kind == "name" and value in ("null", "true", "false"):
            return Literal({"null": None, "true": True, "false": False}[value])
        if kind != "name":
            raise WorkflowExpressionError(f"unexpected {value!r}")
        self.take("(")
        args = []
        if not self.peek(")"):
            args.append(self.expression())
            while self.peek(","):
                self.i += 1
                args.append(self.expression())
        self.take(")")
        call = Call(value, args)
        while self.peek("?") or self.peek("[") or self.peek("."):
            if self.peek("?"):
                self.i += 1
            if self.peek("."):
                self.i += 1
                kind, name = self.tokens[self.i] if self.peek() else ("", "")
                if kind != "name":
                    raise WorkflowExpressionError("property name expected after '.'")
                self.i += 1
                call.derefs.append(Literal(name))
            else:
                self.take("[")
                call.derefs.append(self.expression())
                self.take("]")
        return call


def parse(text: str) -> Any:
    """The syntax tree of one expression (without its leading `@`)."""
    parser = _Parser(text)
    tree = parser.expression()
    if parser.peek():
        raise WorkflowExpressionError(f"unexpected {parser.tokens[parser.i][1]!r} after the expression")
    return tree


def expressions_in(value: str) -> list[str]:
    """The expressions a JSON string holds: the whole string after `@`, or every `@{...}`."""
    if value.startswith("@@"):
        return []
    if value.startswith("@") and not value.startswith("@{"):
        return [value[1:]]
    found, pos = [], 0
    while True:
        start = value.find("@{", pos)
        if start < 0:
            return found
        if start > 0 and value[start - 1] == "@":
            pos = start + 2
            continue
        depth, i, quoted = 0, start + 1, False
        while i < len(value):
            ch = value[i]
            if ch == "'":
                quoted = not quoted
            elif not quoted and ch == "{":
                depth += 1
            elif not quoted and ch == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if depth:
            raise WorkflowExpressionError(f"unclosed '@{{' in {value!r}")
        found.append(value[start + 2 : i])
        pos = i + 1


@cache
def signatures() -> dict[str, tuple[int, int | None]]:
    """Lower-case function name -> (fewest, most arguments; None = any number)."""
    doc = json.loads((REFERENCES / "logic-apps" / "functions.json").read_text())
    table = {}
    for name, entry in doc["functions"].items():
        arities = entry["arities"]
        most = None if any(a["max"] is None for a in arities) else max(a["max"] for a in arities)
        table[name.lower()] = (min(a["min"] for a in arities), most)
    table.update(LEARN_ARITIES)
    return table


@dataclass
class Definition:
    """What expressions in a workflow definition may refer to."""

    actions: dict[str, str]
    """action name -> type (every depth)."""
    variables: set[str]
    parameters: set[str]
    connections: set[str]


def definition_names(definition: dict[str, Any], parameter_values: dict[str, Any] | None = None) -> Definition:
    """Actions (nested scopes included), initialized variables, parameters and `$connections` keys."""
    actions: dict[str, str] = {}
    variables: set[str] = set()

    def walk(scope: dict[str, Any]) -> None:
        for name, action in (scope or {}).items():
            actions[name] = action.get("type", "")
            if action.get("type") == "InitializeVariable":
                variables.update(v["name"] for v in action.get("inputs", {}).get("variables", []))
            for key in ("actions", "else"):
                nested = action.get(key)
                walk(nested.get("actions") if key == "else" and nested else nested)
            for case in (action.get("cases") or {}).values():
                walk(case.get("actions"))
            if action.get("default"):
                walk(action["default"].get("actions"))

    walk(definition.get("actions", {}))
    connections = set(((parameter_values or {}).get("$connections") or {}).get("value") or {})
    return Definition(actions, variables, set(definition.get("parameters", {})), connections)


def _problems(node: Any, names: Definition) -> list[str]:
    if isinstance(node, Literal):
        return []
    found = []
    arity = signatures().get(node.name.lower())
    if arity is None:
        found.append(f"unknown function {node.name}()")
    else:
        least, most = arity
        if len(node.args) < least or (most is not None and len(node.args) > most):
            wanted = f"{least}" if least == most else f"{least} to {most if most is not None else 'any number'}"
            found.append(f"{node.name}() takes {wanted} argument(s), given {len(node.args)}")
    first = node.args[0].value if node.args and isinstance(node.args[0], Literal) else None
    low = node.name.lower()
    if low in REFERENCE_FUNCTIONS and node.args and first not in names.actions:
        found.append(f"{node.name}({first!r}): no such action in the definition")
    if low == "variables" and first not in names.variables:
        found.append(f"variables({first!r}): no InitializeVariable declares it")
    if low == "parameters" and first not in names.parameters:
        found.append(f"parameters({first!r}): not a parameter of the definition")
    if low == "items" and names.actions.get(first) != "Foreach":
        found.append(f"items({first!r}): no such Foreach loop")
    if low == "parameters" and first == "$connections" and node.derefs:
        key = node.derefs[0]
        if not isinstance(key, Literal) or key.value not in names.connections:
            found.append(f"$connections[{getattr(key, 'value', key)!r}]: not a connection of the workflow")
    for child in [*node.args, *node.derefs]:
        found += _problems(child, names)
    return found


def check_definition(definition: dict[str, Any], parameter_values: dict[str, Any] | None = None) -> list[str]:
    """Every problem of every expression in a workflow definition, as `path: expression: problem`."""
    names = definition_names(definition, parameter_values)
    problems = []

    def visit(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                visit(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                visit(item, f"{path}[{i}]")
        elif isinstance(value, str):
            try:
                texts = expressions_in(value)
            except WorkflowExpressionError as err:
                problems.append(f"{path}: {err}")
                return
            for text in texts:
                if len(text) > EXPRESSION_LIMIT:
                    problems.append(f"{path}: expression of {len(text)} characters, over {EXPRESSION_LIMIT}")
                try:
                    tree = parse(text)
                except WorkflowExpressionError as err:
                    problems.append(f"{path}: {text}: {err}")
                    continue
                problems.extend(f"{path}: {text}: {p}" for p in _problems(tree, names))

    visit({k: v for k, v in definition.items() if k != "parameters"}, "$")
    return problems


def workflow_problems(resource: Any) -> list[str]:
    """Every expression problem of a recorded `logic:Workflow`, as `urn definition<path>: expression: problem`."""
    problems = check_definition(resource.inputs.get("definition") or {}, resource.inputs.get("parameters"))
    return [f"{resource.urn} definition{problem[1:]}" for problem in problems]
