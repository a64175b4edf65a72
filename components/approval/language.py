"""Writing Logic Apps workflow-language expressions from Python, safely.

Expressions are built as strings from these helpers so that user-supplied text (form ids, e-mail addresses)
is always quoted as a literal and never becomes part of an expression by accident. The generated text
uses only the function-call, literal and `?[...]` property-access syntax.

    call("equals", prop(variables("request"), "vm"), lit("web-vm"))
    -> "equals(variables('request')?['vm'], 'web-vm')"
"""

from __future__ import annotations

import re

EXPRESSION_LENGTH_LIMIT = 8192
"""Logic Apps refuses a workflow whose single expression is longer than this (limits and configuration)."""

ACTION_NAME = re.compile(r"^[A-Za-z0-9_]{1,80}$")


def lit(value: object) -> str:
    """A literal: strings single-quoted with `''` escaping, integers, booleans and null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no workflow-language literal for {value!r}")


def call(function: str, *args: str) -> str:
    """A function call on already-built argument expressions."""
    if function == "createArray" and not args:
        # The workflow engine refuses `createArray()` when the definition is saved: use `empty_array()`.
        raise ValueError("createArray() needs at least one item; use empty_array() for the empty array")
    return f"{function}({', '.join(args)})"


def empty_array() -> str:
    """The empty array. `createArray()` needs at least one item (workflow function reference), `json('[]')` not."""
    return call("json", lit("[]"))


def prop(expression: str, key: str | int) -> str:
    """Null-safe property or index access: `x?['key']` (null when `x` is null or has no such key)."""
    return f"{expression}?[{lit(key)}]"


def lookup(expression: str, key_expression: str) -> str:
    """Null-safe access with a computed key: `x?[key]`."""
    return f"{expression}?[{key_expression}]"


def index(expression: str, position: int) -> str:
    """Strict index access `x[i]`: an error at run time when the array is shorter."""
    return f"{expression}[{position}]"


def variables(name: str) -> str:
    """The value of a workflow variable."""
    return call("variables", lit(name))


def parameters(name: str) -> str:
    """The value of a workflow-definition parameter."""
    return call("parameters", lit(name))


def outputs(action: str) -> str:
    """The outputs of an earlier action (for Compose: its value)."""
    return call("outputs", lit(action))


def body(action: str) -> str:
    """The response body of an earlier action."""
    return call("body", lit(action))


def all_of(*conditions: str) -> str:
    """`and(...)`, collapsing a single condition (the language's `and` needs two or more)."""
    return conditions[0] if len(conditions) == 1 else call("and", *conditions)


def without_chars(expression: str, chars: str) -> str:
    """The string with every listed character removed (the language has no regular expressions)."""
    for char in chars:
        expression = call("replace", expression, lit(char), lit(""))
    return expression


def html_text(expression: str) -> str:
    """A string made safe to place in an HTML e-mail body: `&`, `<`, `>` and `"` escaped."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        expression = call("replace", expression, lit(char), lit(entity))
    return expression


def whole(expression: str) -> str:
    """A JSON value that is the expression's result (any type): `@expr`."""
    return "@" + expression


def interpolated(expression: str) -> str:
    """An expression's value converted to text inside a JSON string: `@{expr}`."""
    return "@{" + expression + "}"


def text(value: str) -> str:
    """Literal text for a JSON string in the definition, refused if Logic Apps would read it as an expression."""
    if value.startswith("@") or "@{" in value:
        raise ValueError(f"{value!r} would be read as a workflow expression; remove the '@' or '@{{'")
    return value
