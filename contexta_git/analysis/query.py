"""The filter language of ``runs --filter``: a small, documented expression grammar.

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | cmp
    cmp     := "(" expr ")" | COLUMN OP literal | COLUMN ["not"] "in" "(" literal, ... ")"
               | COLUMN ["not"] "like" STRING
    OP      := == != < <= > >=   (= is accepted for ==)
    literal := number | 'string' | "string" | date (2025-04-01, 2025-04-01T09:00:00Z)
               | true | false | null | a bare word

A COLUMN is a dotted name (``evaluate.auc``, ``loss.min``, ``params.lr``, ``status``); what
it means is decided by the caller's ``lookup``. A comparison with a missing value is
false (as SQL's NULL), except ``== null``. ``like`` uses ``%`` for any run of characters
and ``_`` for one, case-sensitive. A wrong expression is one :class:`QueryError` naming
the character where it went wrong.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contexta_git.core.time import parse as parse_time
from contexta_git.errors import InvalidValue

Lookup = Callable[[str], Any]

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<date>\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?(?![\w.]))
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>==|!=|<=|>=|<|>|=)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][\w\-]*(?:\.[\w\-]+)*)
""", re.VERBOSE)
_MAX_DEPTH = 100  # parentheses and nots inside one another: far below Python's recursion limit
_KEYWORDS = {"and", "or", "not", "in", "like", "true", "false", "null"}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


class QueryError(InvalidValue):
    def __init__(self, text: str, pos: int, problem: str) -> None:
        self.text, self.pos, self.problem = text, pos, problem
        super().__init__(f"filter {text!r}: {problem} (at character {pos + 1})")


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, op, punct, name, keyword, end
    text: str
    pos: int


@dataclass(frozen=True)
class Column:
    name: str
    pos: int


class Expr:
    def evaluate(self, lookup: Lookup) -> bool:
        raise NotImplementedError

    def columns(self) -> Iterator[Column]:
        raise NotImplementedError


@dataclass(frozen=True)
class Compare(Expr):
    column: Column
    op: str
    value: Any

    def evaluate(self, lookup: Lookup) -> bool:
        left = lookup(self.column.name)
        if self.value is None:
            return (left is None) == (self.op == "==") if self.op in ("==", "!=") else False
        if left is None:
            return False
        return _compare(left, self.op, self.value)

    def columns(self) -> Iterator[Column]:
        yield self.column


@dataclass(frozen=True)
class In(Expr):
    column: Column
    values: tuple[Any, ...]
    negated: bool

    def evaluate(self, lookup: Lookup) -> bool:
        left = lookup(self.column.name)
        if left is None:
            return False
        found = any(_compare(left, "==", v) for v in self.values if v is not None)
        return found != self.negated

    def columns(self) -> Iterator[Column]:
        yield self.column


@dataclass(frozen=True)
class Like(Expr):
    column: Column
    pattern: re.Pattern[str]
    negated: bool

    def evaluate(self, lookup: Lookup) -> bool:
        left = lookup(self.column.name)
        if left is None:
            return False
        return (self.pattern.fullmatch(str(left)) is not None) != self.negated

    def columns(self) -> Iterator[Column]:
        yield self.column


@dataclass(frozen=True)
class Logic(Expr):
    op: str  # and, or
    parts: tuple[Expr, ...]

    def evaluate(self, lookup: Lookup) -> bool:
        if self.op == "and":
            return all(p.evaluate(lookup) for p in self.parts)
        return any(p.evaluate(lookup) for p in self.parts)

    def columns(self) -> Iterator[Column]:
        for part in self.parts:
            yield from part.columns()


@dataclass(frozen=True)
class Not(Expr):
    part: Expr

    def evaluate(self, lookup: Lookup) -> bool:
        return not self.part.evaluate(lookup)

    def columns(self) -> Iterator[Column]:
        yield from self.part.columns()


class DateText(str):
    """A date or date-time written in a filter (its text, as before; marked so that a
    value that is a time compares with it as an instant)."""

    __slots__ = ()


def _compare(left: Any, op: str, right: Any) -> bool:
    """Numbers compare as numbers, times as instants, everything else as text."""
    if isinstance(left, bool) or isinstance(right, bool):
        if op in ("==", "!=") and isinstance(left, bool) and isinstance(right, bool):
            return _OPS[op](left, right)
        return _OPS[op](str(left).lower(), str(right).lower()) if op in ("==", "!=") else False
    if isinstance(left, int | float) and isinstance(right, int | float):
        return _OPS[op](left, right)
    if isinstance(right, DateText) and isinstance(left, str | date) and not isinstance(
            left, datetime):
        # a date param: a datetime.date when read from the run, its ISO text from the index
        # (a date-time param likewise): compared as an instant either way
        try:
            left = parse_time(left if isinstance(left, str) else left.isoformat())
        except InvalidValue:
            pass
    if isinstance(left, datetime):
        try:
            moment = parse_time(str(right), end=op in ("<=", ">"))
        except InvalidValue:
            return False
        return _OPS[op](left, moment)
    if isinstance(left, int | float) or isinstance(right, int | float):
        try:
            return _OPS[op](float(left), float(right))
        except (TypeError, ValueError):
            return op == "!="
    return _OPS[op](str(left), str(right))


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise QueryError(text, pos, f"unexpected character {text[pos]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            word = match.group()
            if kind == "name" and word.lower() in _KEYWORDS:
                tokens.append(Token("keyword", word.lower(), pos))
            else:
                tokens.append(Token(kind, word, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.token
        if tok.kind == kind and (text is None or tok.text == text):
            self.at += 1
            return tok
        return None

    def need(self, kind: str, text: str, what: str) -> Token:
        tok = self.take(kind, text)
        if tok is None:
            raise self.error(f"expected {what}")
        return tok

    def error(self, problem: str) -> QueryError:
        tok = self.token
        shown = "the end" if tok.kind == "end" else repr(tok.text)
        return QueryError(self.text, tok.pos, f"{problem}, found {shown}")

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise QueryError(self.text, 0, "empty filter")
        expr = self.logic("or")
        if self.token.kind != "end":
            raise self.error("expected and, or, or the end of the filter")
        return expr

    def logic(self, op: str) -> Expr:
        below = (lambda: self.logic("and")) if op == "or" else self.negation
        parts = [below()]
        while self.take("keyword", op):
            parts.append(below())
        return parts[0] if len(parts) == 1 else Logic(op, tuple(parts))

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise QueryError(self.text, self.token.pos,
                             f"nested too deeply (more than {_MAX_DEPTH} parentheses or nots)")

    def negation(self) -> Expr:
        if self.take("keyword", "not"):
            self.deeper()
            inner = Not(self.negation())
            self.depth -= 1
            return inner
        return self.comparison()

    def comparison(self) -> Expr:
        if self.take("punct", "("):
            self.deeper()
            inner = self.logic("or")
            self.need("punct", ")", "')'")
            self.depth -= 1
            return inner
        name = self.take("name")
        if name is None:
            raise self.error("expected a column name")
        column = Column(name.text, name.pos)
        negated = self.take("keyword", "not") is not None
        if self.take("keyword", "in"):
            return In(column, self.literal_list(), negated)
        if self.take("keyword", "like"):
            pattern = self.take("string")
            if pattern is None:
                raise self.error("expected a quoted pattern after like")
            return Like(column, _like(_unquote(pattern.text)), negated)
        if negated:
            raise self.error("expected in or like after not")
        op = self.take("op")
        if op is None:
            raise self.error(f"expected a comparison (== != < <= > >= in like) after {name.text}")
        return Compare(column, "==" if op.text == "=" else op.text, self.literal())

    def literal_list(self) -> tuple[Any, ...]:
        self.need("punct", "(", "'(' after in")
        values = [self.literal()]
        while self.take("punct", ","):
            values.append(self.literal())
        self.need("punct", ")", "')' or ','")
        return tuple(values)

    def literal(self) -> Any:
        tok = self.token
        if self.take("number"):
            number = float(tok.text)
            return int(number) if number.is_integer() and re.fullmatch(r"[-+]?\d+", tok.text) else number
        if self.take("string"):
            return _unquote(tok.text)
        if self.take("date"):
            try:
                parse_time(tok.text)
            except InvalidValue as exc:
                raise QueryError(self.text, tok.pos, str(exc)) from exc
            return DateText(tok.text)
        if tok.kind == "keyword" and tok.text in ("true", "false", "null"):
            self.at += 1
            return {"true": True, "false": False, "null": None}[tok.text]
        if self.take("name"):  # a bare word: a status, a project, a version
            return tok.text
        raise self.error("expected a value (a number, a quoted string, true, false or null)")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    for char in pattern:
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
    return re.compile("".join(out), re.DOTALL)


def parse(text: str) -> Expr:
    """The expression in ``text``; QueryError naming the character where it is wrong."""
    return _Parser(text).parse()


def check_columns(expr: Expr, text: str, known: Callable[[str], bool],
                  suggest: Callable[[str], list[str]] | None = None) -> None:
    """Refuse the first column ``known`` does not accept, pointing at it."""
    for column in expr.columns():
        if not known(column.name):
            hints = suggest(column.name) if suggest else []
            hint = f"; did you mean {', '.join(hints)}?" if hints else ""
            raise QueryError(text, column.pos, f"no column {column.name!r}{hint}")
