"""Reading Logic Apps workflow-language text: whole expressions (`@expr`), interpolations (`@{expr}`), and
the syntax trees the evaluator and the static reference checks walk.

Only what the generated definitions use is accepted: function calls, string/number/boolean/null literals,
and `[...]` / `?[...]` access. Anything else (dot access, operators) is a parse error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class ExpressionError(Exception):
    """The expression would not parse, or would fail at run time (or depends on unknowable semantics)."""


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>\?\[|[()\[\],}]))"
)


@dataclass
class _Parser:
    text: str
    pos: int = 0

    def peek(self) -> tuple[str, str] | None:
        match = _TOKEN.match(self.text, self.pos)
        if not match or match.end() == match.start():
            return None
        kind = match.lastgroup or ""
        return kind, match.group(kind)

    def take(self) -> tuple[str, str]:
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            raise ExpressionError(f"cannot read {self.text[self.pos : self.pos + 20]!r} in {self.text!r}")
        self.pos = match.end()
        kind = match.lastgroup or ""
        return kind, match.group(kind)

    def expect(self, punct: str) -> None:
        kind, value = self.take()
        if (kind, value) != ("punct", punct):
            raise ExpressionError(f"expected {punct!r}, found {value!r} in {self.text!r}")

    def expression(self) -> tuple:
        kind, value = self.take()
        if kind == "str":
            node: tuple = ("lit", value[1:-1].replace("''", "'"))
        elif kind == "num":
            node = ("lit", float(value) if "." in value else int(value))
        elif kind == "name" and value in ("true", "false", "null"):
            node = ("lit", {"true": True, "false": False, "null": None}[value])
        elif kind == "name":
            self.expect("(")
            args: list[tuple] = []
            if self.peek() != ("punct", ")"):
                args.append(self.expression())
                while self.peek() == ("punct", ","):
                    self.take()
                    args.append(self.expression())
            self.expect(")")
            node = ("call", value, args)
        else:
            raise ExpressionError(f"unexpected {value!r} in {self.text!r}")
        while self.peek() in (("punct", "["), ("punct", "?[")):
            _, bracket = self.take()
            key = self.expression()
            self.expect("]")
            node = ("index", node, key, bracket == "?[")
        return node


def parse_expression(text: str) -> tuple:
    """The syntax tree of one whole expression (no leading `@`)."""
    parser = _Parser(text)
    node = parser.expression()
    if text[parser.pos :].strip():
        raise ExpressionError(f"unexpected text {text[parser.pos :]!r} after an expression in {text!r}")
    return node


@functools.lru_cache(maxsize=4096)
def parse_template(value: str) -> tuple:
    """('text', str) | ('whole', tree) for `@expr` | ('parts', [str | tree]) for text with `@{expr}`."""
    if value.startswith("@@"):
        return ("text", value[1:])
    if value.startswith("@") and not value.startswith("@{"):
        return ("whole", parse_expression(value[1:]))
    parts: list[Any] = []
    rest = value
    while "@{" in rest:
        before, rest = rest.split("@{", 1)
        parser = _Parser(rest)
        parts += [before, parser.expression()]
        parser.expect("}")
        rest = rest[parser.pos :]
    return ("parts", parts + [rest]) if len(parts) else ("text", value)


def walk_calls(tree: tuple) -> Iterator[tuple[str, list[tuple]]]:
    """Every function call in a tree, outermost first: (name, argument trees)."""
    if tree[0] == "call":
        yield tree[1], tree[2]
        for arg in tree[2]:
            yield from walk_calls(arg)
    elif tree[0] == "index":
        yield from walk_calls(tree[1])
        yield from walk_calls(tree[2])


def expressions_in(value: Any) -> Iterator[tuple[str, tuple]]:
    """Every (source text, tree) in a JSON value: whole expressions and interpolations."""
    if isinstance(value, dict):
        for item in value.values():
            yield from expressions_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions_in(item)
    elif isinstance(value, str):
        kind, content = parse_template(value)
        if kind == "whole":
            yield value, content
        elif kind == "parts":
            yield from ((value, part) for part in content if isinstance(part, tuple))
