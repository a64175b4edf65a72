"""A small, strict evaluator of the Logic Apps workflow expression language, for tests.

Only the functions the generated definitions use exist here; any other function is an error, so a new
function in the definition cannot go untested. Strict where Azure is lenient or where its behaviour is
uncertain, so a test can only pass for a reason that also holds in Azure:
- every argument is evaluated, including both branches of `if` (Azure does this) and every operand of
  `and`/`or` (assumed, to be safe), so a guard never protects a later `int()` or index;
- a comparison of text whose result would differ between case-sensitive and case-insensitive matching
  is an error (callers must `toLower` first), as is indexing past the end of an array;
- `int()` accepts only optional `-` and digits; `string(null)`, `toLower(null)`, `length(null)` fail;
- `concat` takes strings only, comparisons take numbers only, `and`/`or`/`not`/`if` take booleans only.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.workflow_syntax import ExpressionError, parse_template

__all__ = ["FUNCTIONS", "Context", "ExpressionError", "evaluate", "evaluate_value"]


@dataclass
class Context:
    """What a run knows: variables, parameters, finished actions, the trigger that fired, the clock."""

    variables: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """name -> {'status', 'inputs', 'outputs'} for every action that has finished."""
    trigger: dict[str, Any] = field(default_factory=lambda: {"name": "manual", "outputs": {}})
    now: datetime.datetime = datetime.datetime(2026, 5, 4, 10, 30, tzinfo=datetime.timezone.utc)
    run_name: str = "08585000000000000000000000000CU00"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ExpressionError(f"expected text, got {value!r}")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExpressionError(f"expected a number, got {value!r}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"expected a boolean, got {value!r}")
    return value


def _same_text(left: str, right: str) -> bool:
    if (left == right) != (left.lower() == right.lower()):
        raise ExpressionError(f"comparing {left!r} with {right!r} depends on case sensitivity: use toLower")
    return left == right


def _equals(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return _same_text(left, right)
    if left is None or right is None:
        return left is right
    if isinstance(left, str) != isinstance(right, str) or isinstance(left, bool) != isinstance(right, bool):
        raise ExpressionError(f"comparing {left!r} with {right!r} mixes types")
    return left == right


def _contains(collection: Any, value: Any) -> bool:
    if isinstance(collection, str):
        needle = _text(value)
        sensitive, insensitive = needle in collection, needle.lower() in collection.lower()
        if sensitive != insensitive:
            raise ExpressionError(f"contains({collection!r}, {needle!r}) depends on case sensitivity")
        return sensitive
    if isinstance(collection, list):
        return any(_equals(item, value) for item in collection)
    if isinstance(collection, dict):
        return any(_same_text(key, _text(value)) for key in collection)
    raise ExpressionError(f"contains() needs text, an array or an object, got {collection!r}")


def _to_text(value: Any) -> str:
    if value is None:
        raise ExpressionError("string(null) is not allowed here: coalesce first")
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _interpolate(value: Any) -> str:
    return "" if value is None else _to_text(value)


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    raise ExpressionError(f"int() cannot convert {value!r}")


def _utf16_length(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-16-le")) // 2
    if isinstance(value, list | dict):
        return len(value)
    raise ExpressionError(f"length() needs text or an array, got {value!r}")


def _empty(value: Any) -> bool:
    if value is None or isinstance(value, str | list | dict):
        return not value
    raise ExpressionError(f"empty() needs text, an array or an object, got {value!r}")


def _split(value: Any, separator: Any) -> list[str]:
    if not _text(separator):
        raise ExpressionError("split() needs a separator")
    return _text(value).split(separator)


def _starts_with(value: Any, prefix: Any) -> bool:
    # Azure documents startsWith as case-insensitive.
    text, start = _text(value), _text(prefix)
    if text.startswith(start) != text.lower().startswith(start.lower()):
        raise ExpressionError(f"startsWith({text!r}, {start!r}) depends on case sensitivity")
    return text.startswith(start)


def _replace(value: Any, old: Any, new: Any) -> str:
    if not _text(old):
        raise ExpressionError("replace() needs a non-empty text to replace")
    return _text(value).replace(old, _text(new))


def _substring(value: Any, start: Any, length: Any) -> str:
    text, begin, count = _text(value), _int(start), _int(length)
    if begin < 0 or count < 0 or begin + count > len(text):
        raise ExpressionError(f"substring({text!r}, {begin}, {count}) is out of range")
    return text[begin : begin + count]


def _base64_to_string(value: Any) -> str:
    try:
        return base64.b64decode(_text(value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as err:
        raise ExpressionError(f"base64ToString() cannot decode {value!r}: {err}") from None


def _json(value: Any) -> Any:
    try:
        return json.loads(_text(value))
    except json.JSONDecodeError as err:
        raise ExpressionError(f"json() cannot parse {value!r}: {err}") from None


_FORMATS = {"o": "%Y-%m-%dT%H:%M:%S.%f0Z", "yyyy-MM-ddTHH:mm:ssZ": "%Y-%m-%dT%H:%M:%SZ"}


def _format(moment: datetime.datetime, fmt: Any = "o") -> str:
    if fmt not in _FORMATS:
        raise ExpressionError(f"format {fmt!r} is not supported by this evaluator")
    return moment.strftime(_FORMATS[fmt])


_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?Z")


def _add_minutes(timestamp: Any, minutes: Any, fmt: Any = "o") -> str:
    match = _TIMESTAMP.fullmatch(_text(timestamp))
    if not match:
        raise ExpressionError(f"addMinutes() cannot read {timestamp!r}")
    *parts, fraction = match.groups()
    moment = datetime.datetime(*map(int, parts), int((fraction or "0").ljust(7, "0")[:6]), tzinfo=datetime.timezone.utc)
    return _format(moment + datetime.timedelta(minutes=_int(minutes)), fmt)


def _arith(op: Callable[[int, int], int]) -> Callable[[Any, Any], int]:
    def apply(left: Any, right: Any) -> int:
        if isinstance(left, bool) or isinstance(right, bool) or not isinstance(left, int) or not isinstance(right, int):
            raise ExpressionError(f"integer arithmetic on {left!r}, {right!r}")
        try:
            return op(left, right)
        except ZeroDivisionError:
            raise ExpressionError("division by zero") from None

    return apply


def _finished(ctx: Context, name: Any) -> dict[str, Any]:
    if _text(name) not in ctx.actions:
        raise ExpressionError(f"action '{name}' has not run")
    return ctx.actions[name]


def _needs(count: int | tuple[int, int | None], fn: Callable[..., Any]) -> Callable[..., Any]:
    low, high = (count, count) if isinstance(count, int) else count

    def checked(ctx: Context, *args: Any) -> Any:
        if len(args) < low or (high is not None and len(args) > high):
            raise ExpressionError(f"wrong number of arguments: {len(args)}")
        return fn(ctx, *args)

    return checked


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "and": _needs((2, None), lambda c, *a: all([_bool(x) for x in a])),
    "or": _needs((2, None), lambda c, *a: any([_bool(x) for x in a])),
    "not": _needs(1, lambda c, a: not _bool(a)),
    "if": _needs(3, lambda c, cond, yes, no: yes if _bool(cond) else no),
    "equals": _needs(2, lambda c, a, b: _equals(a, b)),
    "greater": _needs(2, lambda c, a, b: _number(a) > _number(b)),
    "greaterOrEquals": _needs(2, lambda c, a, b: _number(a) >= _number(b)),
    "less": _needs(2, lambda c, a, b: _number(a) < _number(b)),
    "lessOrEquals": _needs(2, lambda c, a, b: _number(a) <= _number(b)),
    "empty": _needs(1, lambda c, a: _empty(a)),
    "length": _needs(1, lambda c, a: _utf16_length(a)),
    "contains": _needs(2, lambda c, a, b: _contains(a, b)),
    "coalesce": _needs((1, None), lambda c, *a: next((x for x in a if x is not None), None)),
    "createArray": _needs((0, None), lambda c, *a: list(a)),
    "concat": _needs((1, None), lambda c, *a: "".join(_text(x) for x in a)),
    "split": _needs(2, lambda c, a, b: _split(a, b)),
    "replace": _needs(3, lambda c, a, old, new: _replace(a, old, new)),
    "startsWith": _needs(2, lambda c, a, b: _starts_with(a, b)),
    "substring": _needs(3, lambda c, a, b, n: _substring(a, b, n)),
    "toLower": _needs(1, lambda c, a: _text(a).lower()),
    "trim": _needs(1, lambda c, a: _text(a).strip()),
    "int": _needs(1, lambda c, a: _int(a)),
    "string": _needs(1, lambda c, a: _to_text(a)),
    "json": _needs(1, lambda c, a: _json(a)),
    "base64ToString": _needs(1, lambda c, a: _base64_to_string(a)),
    "encodeURIComponent": _needs(1, lambda c, a: urllib.parse.quote(_text(a), safe="-_.!~*'()")),
    "mod": _needs(2, lambda c, a, b: _arith(lambda x, y: x % y)(a, b)),
    "sub": _needs(2, lambda c, a, b: _arith(lambda x, y: x - y)(a, b)),
    "utcNow": _needs((0, 1), lambda c, *fmt: _format(c.now, *fmt)),
    "addMinutes": _needs((2, 3), lambda c, ts, n, *fmt: _add_minutes(ts, n, *fmt)),
    "variables": _needs(1, lambda c, n: c.variables[n] if n in c.variables else _missing("variable", n)),
    "parameters": _needs(1, lambda c, n: c.parameters[n] if n in c.parameters else _missing("parameter", n)),
    "outputs": _needs(1, lambda c, n: _finished(c, n).get("outputs")),
    "body": _needs(1, lambda c, n: (_finished(c, n).get("outputs") or {}).get("body")),
    "actions": _needs(1, lambda c, n: {"name": n, **_finished(c, n)}),
    "trigger": _needs(0, lambda c: c.trigger),
    "triggerOutputs": _needs(0, lambda c: c.trigger.get("outputs")),
    "triggerBody": _needs(0, lambda c: (c.trigger.get("outputs") or {}).get("body")),
    "workflow": _needs(0, lambda c: {"name": "workflow", "run": {"name": c.run_name}}),
    "listCallbackUrl": _needs(0, lambda c: "https://prod-00.westeurope.logic.azure.com/callback"),
}


def _missing(kind: str, name: Any) -> Any:
    raise ExpressionError(f"{kind} '{name}' is not defined")


def _index(target: Any, key: Any, safe: bool) -> Any:
    if target is None and safe:
        return None
    if isinstance(target, dict):
        key = _text(key)
        if key in target:
            return target[key]
        if any(k.lower() == key.lower() for k in target):
            raise ExpressionError(f"property {key!r} differs only in case from an existing one")
        if safe:
            return None
        raise ExpressionError(f"no property {key!r}; use ?[...] for an optional property")
    if isinstance(target, list) and isinstance(key, int) and not isinstance(key, bool):
        if not 0 <= key < len(target):
            raise ExpressionError(f"index {key} is outside an array of {len(target)}")
        return target[key]
    raise ExpressionError(f"cannot index {target!r} with {key!r}")


def evaluate(tree: tuple, ctx: Context) -> Any:
    """The value of a parsed expression."""
    if tree[0] == "lit":
        return tree[1]
    if tree[0] == "index":
        return _index(evaluate(tree[1], ctx), evaluate(tree[2], ctx), tree[3])
    name, args = tree[1], tree[2]
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function '{name}'")
    return FUNCTIONS[name](ctx, *[evaluate(arg, ctx) for arg in args])


def evaluate_value(value: Any, ctx: Context) -> Any:
    """A JSON value from a definition with every expression and interpolation in it evaluated."""
    if isinstance(value, dict):
        return {key: evaluate_value(item, ctx) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate_value(item, ctx) for item in value]
    if not isinstance(value, str):
        return value
    kind, content = parse_template(value)
    if kind == "text":
        return content
    if kind == "whole":
        return evaluate(content, ctx)
    return "".join(part if isinstance(part, str) else _interpolate(evaluate(part, ctx)) for part in content)
