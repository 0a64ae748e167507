"""A safe evaluator for the XPath subset XLSForms use (tokenizer + parser, never Python eval).

Values follow XPath 1.0: a `${name}` reference is a node-set of answer strings (one per repeat
instance it reaches), so `${age} = ''` tests emptiness and `${age} > 17` compares numbers, as in
ODK. Dates are ISO strings that convert to days since 1970-01-01 when used as numbers, which is
how ODK lets forms subtract and compare dates.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from surveys.errors import ExpressionError

MAX_LENGTH = 5000
MAX_DEPTH = 30
MAX_REGEX_LENGTH = 500

# ODK (through pyxform) reads typographic quotes as straight ones.
_SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?"
_NAME_RE = re.compile(_NAME)
_REF_RE = re.compile(r"\$\{\s*(" + _NAME + r")\s*\}")
_LAST_SAVED_RE = re.compile(r"\$\{\s*last-saved#(" + _NAME + r")\s*\}")
_NUMBER_RE = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_XPATH_NUMBER = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
)
_OPERATOR_WORDS = frozenset({"and", "or", "div", "mod"})
_SYMBOLS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "|", "/", "(", ")", "[", "]", ",", "@")
_EPOCH = dt.date(1970, 1, 1)
_DIGITS = frozenset("0123456789")


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit of an expression."""

    kind: str  # num, str, ref, name, op, dot, dotdot, end
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens; raise ExpressionError on a character we cannot read."""
    if not isinstance(source, str):
        raise ExpressionError("L'expression doit être un texte.")
    if len(source) > MAX_LENGTH:
        raise ExpressionError("L'expression est trop longue.")
    text = source.translate(_SMART_QUOTES)
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "$":
            saved = _LAST_SAVED_RE.match(text, i)
            if saved:
                # ${last-saved#q}: the web has no previously saved response, so it is empty.
                tokens.append(Token("str", "", i))
                i = saved.end()
                continue
            match = _REF_RE.match(text, i)
            if not match:
                raise ExpressionError("Référence mal écrite : utilisez ${nom_de_question}.", i)
            tokens.append(Token("ref", match.group(1), i))
            i = match.end()
            continue
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise ExpressionError("Il manque un guillemet fermant.", i)
            tokens.append(Token("str", text[i + 1 : end], i))
            i = end + 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            match = _NUMBER_RE.match(text, i)
            assert match is not None  # the branch condition guarantees a digit
            tokens.append(Token("num", match.group(0), i))
            i = match.end()
            continue
        if ch == ".":
            if text.startswith("..", i):
                tokens.append(Token("dotdot", "..", i))
                i += 2
            else:
                tokens.append(Token("dot", ".", i))
                i += 1
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            match = _NAME_RE.match(text, i)
            assert match is not None
            word = match.group(0)
            kind = "name"
            if word in _OPERATOR_WORDS and tokens and _ends_operand(tokens[-1]):
                kind = "op"
            tokens.append(Token(kind, word, i))
            i = match.end()
            continue
        for symbol in _SYMBOLS:
            if text.startswith(symbol, i):
                tokens.append(Token("op", symbol, i))
                i += len(symbol)
                break
        else:
            raise ExpressionError(f"Caractère inattendu « {ch} ».", i)
    tokens.append(Token("end", "", n))
    return tokens


def _ends_operand(token: Token) -> bool:
    if token.kind in ("num", "str", "ref", "name", "dot", "dotdot"):
        return True
    return token.kind == "op" and token.text in (")", "]")


# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True, slots=True)
class Literal:
    """A number or string constant."""

    value: str | float


@dataclass(frozen=True, slots=True)
class Ref:
    """A `${name}` reference to another question."""

    name: str


@dataclass(frozen=True, slots=True)
class Current:
    """`.`: the value of the question being checked."""


@dataclass(frozen=True, slots=True)
class Parent:
    """`..`: the enclosing repeat instance (only meaningful inside position())."""


@dataclass(frozen=True, slots=True)
class Column:
    """A bare name: a column of a choice row (choice_filter, instance predicates)."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator: arithmetic, comparison, and/or."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call:
    """A function call."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Step:
    """One `/name[predicate]` step of a path."""

    name: str
    predicates: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class Path:
    """A path: `instance('x')/root/item[...]/label`, `/data/q` or `../q`."""

    base: Expr | None
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    """`${q}[. >= 18]`: keep the values of a node-set for which the predicates hold."""

    base: Expr
    predicates: tuple[Expr, ...]


Expr = Literal | Ref | Current | Parent | Column | Unary | Binary | Call | Path | Filter


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "end":
            self.i += 1
        return token

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text in ops

    def expect(self, op: str) -> None:
        token = self.next()
        if token.kind != "op" or token.text != op:
            found = token.text or "la fin"
            raise ExpressionError(f"« {op} » attendu, « {found} » trouvé.", token.pos)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("L'expression est trop imbriquée.", self.peek().pos)

    def parse(self) -> Expr:
        if self.peek().kind == "end":
            raise ExpressionError("L'expression est vide.", 0)
        expr = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"« {token.text} » inattendu.", token.pos)
        return expr

    def _binary(self, ops: tuple[str, ...], sub: Callable[[], Expr]) -> Expr:
        left = sub()
        while self.at_op(*ops):
            op = self.next().text
            left = Binary(op, left, sub())
        return left

    def or_expr(self) -> Expr:
        self.enter()
        try:
            return self._binary(("or",), self.and_expr)
        finally:
            self.depth -= 1

    def and_expr(self) -> Expr:
        return self._binary(("and",), self.eq_expr)

    def eq_expr(self) -> Expr:
        return self._binary(("=", "!="), self.rel_expr)

    def rel_expr(self) -> Expr:
        return self._binary(("<", "<=", ">", ">="), self.add_expr)

    def add_expr(self) -> Expr:
        return self._binary(("+", "-"), self.mul_expr)

    def mul_expr(self) -> Expr:
        return self._binary(("*", "div", "mod"), self.unary_expr)

    def unary_expr(self) -> Expr:
        if self.at_op("-"):
            self.next()
            self.enter()
            try:
                return Unary(self.unary_expr())
            finally:
                self.depth -= 1
        return self.union_expr()

    def union_expr(self) -> Expr:
        expr = self.path_expr()
        if self.at_op("|"):
            raise ExpressionError("L'union « | » n'est pas prise en charge.", self.peek().pos)
        return expr

    def path_expr(self) -> Expr:
        token = self.peek()
        if token.kind == "op" and token.text == "/":
            # Absolute path such as /data/group/q: ODK exports use them for references.
            steps = self.steps(leading_slash=True)
            return Path(None, steps)
        if token.kind == "dotdot" and self._followed_by_slash():
            self.next()
            return Path(None, (Step(".."), *self.steps(leading_slash=True)))
        primary = self.primary()
        if self.at_op("["):
            primary = Filter(primary, self.predicates())
        if self.at_op("/"):
            return Path(primary, self.steps(leading_slash=True))
        return primary

    def _followed_by_slash(self) -> bool:
        nxt = self.tokens[self.i + 1]
        return nxt.kind == "op" and nxt.text == "/"

    def steps(self, leading_slash: bool) -> tuple[Step, ...]:
        steps: list[Step] = []
        while self.at_op("/"):
            self.next()
            token = self.next()
            if token.kind == "dotdot":
                steps.append(Step(".."))
                continue
            if token.kind != "name":
                raise ExpressionError("Nom attendu après « / ».", token.pos)
            steps.append(Step(token.text, self.predicates()))
        if not steps:
            raise ExpressionError("Chemin vide.", self.peek().pos)
        return tuple(steps)

    def predicates(self) -> tuple[Expr, ...]:
        preds: list[Expr] = []
        while self.at_op("["):
            self.next()
            preds.append(self.or_expr())
            self.expect("]")
        return tuple(preds)

    def primary(self) -> Expr:
        token = self.next()
        if token.kind == "num":
            return Literal(float(token.text))
        if token.kind == "str":
            return Literal(token.text)
        if token.kind == "ref":
            return Ref(token.text)
        if token.kind == "dot":
            return Current()
        if token.kind == "dotdot":
            return Parent()
        if token.kind == "op" and token.text == "(":
            expr = self.or_expr()
            self.expect(")")
            return expr
        if token.kind == "name":
            if self.at_op("("):
                return self.call(token)
            return Column(token.text)
        if token.kind == "end":
            raise ExpressionError("L'expression s'arrête trop tôt.", token.pos)
        raise ExpressionError(f"« {token.text} » inattendu.", token.pos)

    def call(self, name_token: Token) -> Expr:
        name = name_token.text
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise ExpressionError(f"Fonction inconnue : {name}().", name_token.pos)
        self.expect("(")
        args: list[Expr] = []
        if not self.at_op(")"):
            args.append(self.or_expr())
            while self.at_op(","):
                self.next()
                args.append(self.or_expr())
        self.expect(")")
        low, high = spec.arity
        if len(args) < low or (high is not None and len(args) > high):
            raise ExpressionError(
                f"La fonction {name}() n'attend pas {len(args)} argument(s).", name_token.pos
            )
        return Call(name, tuple(args))


def parse(source: str) -> Expr:
    """Parse an XLSForm expression into a syntax tree, or raise ExpressionError."""
    try:
        return _Parser(tokenize(source)).parse()
    except ExpressionError:
        raise
    except (RecursionError, ValueError, IndexError) as exc:
        raise ExpressionError("Expression illisible.") from exc


def references(expr: Expr) -> set[str]:
    """Return the question names an expression refers to through ${...}."""
    found: set[str] = set()
    for node in _nodes(expr):
        if isinstance(node, Ref):
            found.add(node.name)
    return found


def function_names(expr: Expr) -> set[str]:
    """Return the function names called by an expression."""
    return {node.name for node in _nodes(expr) if isinstance(node, Call)}


def instance_names(expr: Expr) -> set[str]:
    """Return the lists named in instance('...') calls with a literal argument."""
    names: set[str] = set()
    for node in _nodes(expr):
        if isinstance(node, Call) and node.name == "instance" and node.args:
            arg = node.args[0]
            if isinstance(arg, Literal) and isinstance(arg.value, str):
                names.add(arg.value)
    return names


def _nodes(expr: Expr) -> Iterator[Expr]:
    yield expr
    if isinstance(expr, Unary):
        yield from _nodes(expr.operand)
    elif isinstance(expr, Binary):
        yield from _nodes(expr.left)
        yield from _nodes(expr.right)
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from _nodes(arg)
    elif isinstance(expr, Filter):
        yield from _nodes(expr.base)
        for pred in expr.predicates:
            yield from _nodes(pred)
    elif isinstance(expr, Path):
        if expr.base is not None:
            yield from _nodes(expr.base)
        for step in expr.steps:
            for pred in step.predicates:
                yield from _nodes(pred)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class NodeSet:
    """The string values a reference reaches (several when it crosses a repeat)."""

    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemSet:
    """Rows of a choice list reached through instance('list')."""

    rows: tuple[dict[str, str], ...]


Value = str | float | bool | NodeSet | ItemSet


class Context:
    """What an expression can see. The engine subclasses it; the defaults see nothing."""

    def ref(self, name: str) -> NodeSet:
        """Return the value(s) of question `name`."""
        raise ExpressionError(f"Question inconnue : ${{{name}}}.")

    def current(self) -> Value:
        """Return the value of the question being checked (`.`)."""
        return ""

    def column(self, name: str) -> Value:
        """Return a column of the current choice row (choice_filter)."""
        raise ExpressionError(f"« {name} » n'a de sens que dans un filtre de choix.")

    def position(self) -> int:
        """Return the 1-based index of the current repeat instance."""
        raise ExpressionError("position() n'a de sens que dans une répétition.")

    def instance(self, list_name: str) -> tuple[dict[str, str], ...]:
        """Return the rows of a choice list for instance('list')."""
        raise ExpressionError(f"Liste inconnue : {list_name}.")

    def choice_label(self, question: str, code: str) -> str:
        """Return the label of choice `code` of question `question`."""
        return code

    def now(self) -> dt.datetime:
        """Return the current time (timezone-aware)."""
        return dt.datetime.now(dt.UTC)

    def pulldata(self, source: str, column: str, key_column: str, key: str) -> str:
        """Return pulldata('source', 'column', 'key_column', key) from an attached CSV."""
        raise ExpressionError(f"pulldata() : le fichier « {source}.csv » n'est pas joint.")

    def indexed(self, name: str, index: int) -> str:
        """Return question `name` in the 1-based `index`-th instance of its repeat."""
        values = self.ref(name).values
        return values[index - 1] if 1 <= index <= len(values) else ""

    def once(self) -> str | None:
        """Return the value already stored for once(), or None if there is none."""
        current = self.current()
        text = to_string(current)
        return text or None


class MappingContext(Context):
    """A context over a flat name -> value mapping (handy for tests and simple forms)."""

    def __init__(
        self,
        values: dict[str, str | list[str]] | None = None,
        current: Value = "",
        lists: dict[str, Sequence[dict[str, str]]] | None = None,
        row: dict[str, str] | None = None,
        now: dt.datetime | None = None,
        index: int | None = None,
    ) -> None:
        self.values = values or {}
        self._current = current
        self.lists = lists or {}
        self.row = row
        self._now = now
        self.index = index

    def ref(self, name: str) -> NodeSet:
        if name not in self.values:
            return super().ref(name)
        value = self.values[name]
        if isinstance(value, list):
            return NodeSet(tuple(value))
        return NodeSet((value,))

    def current(self) -> Value:
        return self._current

    def column(self, name: str) -> Value:
        if self.row is None:
            return super().column(name)
        return self.row.get(name, "")

    def position(self) -> int:
        if self.index is None:
            return super().position()
        return self.index

    def instance(self, list_name: str) -> tuple[dict[str, str], ...]:
        if list_name not in self.lists:
            return super().instance(list_name)
        return tuple(self.lists[list_name])

    def now(self) -> dt.datetime:
        return self._now or super().now()


class _RowContext(Context):
    """Inside an instance predicate: bare names read the row, the rest the outer context."""

    def __init__(self, outer: Context, row: dict[str, str]) -> None:
        self.outer = outer
        self.row = row

    def ref(self, name: str) -> NodeSet:
        return self.outer.ref(name)

    def current(self) -> Value:
        return self.outer.current()

    def column(self, name: str) -> Value:
        return self.row.get(name, "")

    def position(self) -> int:
        return self.outer.position()

    def instance(self, list_name: str) -> tuple[dict[str, str], ...]:
        return self.outer.instance(list_name)

    def choice_label(self, question: str, code: str) -> str:
        return self.outer.choice_label(question, code)

    def now(self) -> dt.datetime:
        return self.outer.now()


def _date_to_days(text: str) -> float | None:
    if _DATE_RE.fullmatch(text):
        try:
            return float((dt.date.fromisoformat(text) - _EPOCH).days)
        except ValueError:
            return None
    if _DATETIME_RE.fullmatch(text):
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return (moment - epoch).total_seconds() / 86400.0
    return None


def to_number(value: Value) -> float:
    """XPath number(): strings that are not numbers give NaN; ISO dates give days."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, NodeSet):
        return to_number(value.values[0]) if value.values else math.nan
    if isinstance(value, ItemSet):
        return math.nan
    text = value.strip()
    if _XPATH_NUMBER.fullmatch(text):
        return float(text)
    days = _date_to_days(text)
    return days if days is not None else math.nan


def to_string(value: Value) -> str:
    """XPath string(): integers print without '.0', NaN prints 'NaN'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, NodeSet):
        return value.values[0] if value.values else ""
    if isinstance(value, ItemSet):
        return ""
    return value


def to_bool(value: Value) -> bool:
    """XPath boolean(): a non-empty string, a non-zero number, a non-empty node-set."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, NodeSet):
        # Unlike pure XPath, an existing but empty answer counts as false, as forms expect.
        return any(v != "" for v in value.values)
    if isinstance(value, ItemSet):
        return bool(value.rows)
    return value != ""


def _items(value: Value) -> list[str]:
    if isinstance(value, NodeSet):
        return list(value.values)
    if isinstance(value, ItemSet):
        return [row.get("name", "") for row in value.rows]
    return [to_string(value)]


# --------------------------------------------------------------------------- evaluation


def evaluate(expr: Expr, context: Context) -> Value:
    """Evaluate a parsed expression; any failure becomes an ExpressionError."""
    try:
        return _eval(expr, context)
    except ExpressionError:
        raise
    except (
        ArithmeticError,
        AttributeError,
        ValueError,
        TypeError,
        RecursionError,
        IndexError,
        KeyError,
    ) as exc:
        raise ExpressionError("Le calcul de cette expression a échoué.") from exc
    except re.error as exc:
        raise ExpressionError("Expression régulière invalide.") from exc


def evaluate_text(source: str, context: Context) -> Value:
    """Parse then evaluate an expression given as text."""
    return evaluate(parse(source), context)


def _eval(expr: Expr, ctx: Context) -> Value:
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Ref):
        return ctx.ref(expr.name)
    if isinstance(expr, Current):
        return ctx.current()
    if isinstance(expr, Parent):
        raise ExpressionError("« .. » n'a de sens que dans position(..).")
    if isinstance(expr, Column):
        return ctx.column(expr.name)
    if isinstance(expr, Unary):
        return -to_number(_eval(expr.operand, ctx))
    if isinstance(expr, Binary):
        return _binary(expr, ctx)
    if isinstance(expr, Call):
        return FUNCTIONS[expr.name].impl(ctx, expr.args)
    if isinstance(expr, Filter):
        return _filter(expr, ctx)
    return _path(expr, ctx)


class _ValueContext(Context):
    """Inside `${q}[...]`: `.` is one value of the node-set, the rest the outer context."""

    def __init__(self, outer: Context, value: str, index: int) -> None:
        self.outer = outer
        self.value = value
        self.index = index

    def ref(self, name: str) -> NodeSet:
        return self.outer.ref(name)

    def current(self) -> Value:
        return NodeSet((self.value,))

    def position(self) -> int:
        return self.index

    def instance(self, list_name: str) -> tuple[dict[str, str], ...]:
        return self.outer.instance(list_name)

    def now(self) -> dt.datetime:
        return self.outer.now()


def _filter(expr: Filter, ctx: Context) -> Value:
    base = _eval(expr.base, ctx)
    if isinstance(base, ItemSet):
        rows = list(base.rows)
        for pred in expr.predicates:
            rows = _filter_rows(rows, pred, ctx)
        return ItemSet(tuple(rows))
    values = _items(base)
    for pred in expr.predicates:
        kept = []
        for position, value in enumerate(values, start=1):
            result = _eval(pred, _ValueContext(ctx, value, position))
            if isinstance(result, float) and not isinstance(result, bool):
                if result == position:
                    kept.append(value)
            elif to_bool(result):
                kept.append(value)
        values = kept
    return NodeSet(tuple(values))


def _binary(expr: Binary, ctx: Context) -> Value:
    op = expr.op
    if op == "and":
        return to_bool(_eval(expr.left, ctx)) and to_bool(_eval(expr.right, ctx))
    if op == "or":
        return to_bool(_eval(expr.left, ctx)) or to_bool(_eval(expr.right, ctx))
    left = _eval(expr.left, ctx)
    right = _eval(expr.right, ctx)
    if op in ("=", "!=", "<", "<=", ">", ">="):
        return _compare(op, left, right)
    a = to_number(left)
    b = to_number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        if b == 0:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)
        return a / b
    # mod: XPath's mod keeps the sign of the dividend, like C fmod.
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan
    return math.fmod(a, b)


def _compare_scalars(op: str, a: Value, b: Value) -> bool:
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            equal = to_bool(a) == to_bool(b)
        elif isinstance(a, float) or isinstance(b, float):
            equal = to_number(a) == to_number(b)
        else:
            equal = to_string(a) == to_string(b)
        return equal if op == "=" else not equal
    x, y = to_number(a), to_number(b)
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    return x >= y


def _compare(op: str, left: Value, right: Value) -> bool:
    left_set = isinstance(left, NodeSet | ItemSet)
    right_set = isinstance(right, NodeSet | ItemSet)
    if left_set and isinstance(right, bool):
        return _compare_scalars(op, to_bool(left), right)
    if right_set and isinstance(left, bool):
        return _compare_scalars(op, left, to_bool(right))
    lefts: list[Value] = list(_items(left)) if left_set else [left]
    rights: list[Value] = list(_items(right)) if right_set else [right]
    # XPath node-set comparisons are existential: true if any pair matches.
    return any(_compare_scalars(op, a, b) for a in lefts for b in rights)


def _path(expr: Path, ctx: Context) -> Value:
    if expr.base is None:
        # /data/g/q or ../q: names are unique in a form, so the last step is enough.
        last = expr.steps[-1]
        if last.name == ".." or last.predicates:
            raise ExpressionError("Ce chemin n'est pas pris en charge.")
        return ctx.ref(last.name)
    base = _eval(expr.base, ctx)
    if not isinstance(base, ItemSet):
        raise ExpressionError("Seul instance('liste')/root/item[...] est pris en charge.")
    rows = list(base.rows)
    result: Value = base
    for index, step in enumerate(expr.steps):
        if step.name in ("root", "item") and index < 2:
            for pred in step.predicates:
                rows = _filter_rows(rows, pred, ctx)
            result = ItemSet(tuple(rows))
            continue
        if index != len(expr.steps) - 1 or step.predicates:
            raise ExpressionError("Ce chemin n'est pas pris en charge.")
        result = NodeSet(tuple(row.get(step.name, "") for row in rows))
    return result


def _filter_rows(rows: list[dict[str, str]], pred: Expr, ctx: Context) -> list[dict[str, str]]:
    kept: list[dict[str, str]] = []
    for position, row in enumerate(rows, start=1):
        value = _eval(pred, _RowContext(ctx, row))
        if isinstance(value, float) and not isinstance(value, bool):
            if value == position:
                kept.append(row)
        elif to_bool(value):
            kept.append(row)
    return kept


# --------------------------------------------------------------------------- functions


Impl = Callable[[Context, tuple[Expr, ...]], Value]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A supported function: how many arguments it takes and how to compute it."""

    arity: tuple[int, int | None]
    impl: Impl = field(repr=False)


def _args(ctx: Context, args: tuple[Expr, ...]) -> list[Value]:
    return [_eval(a, ctx) for a in args]


def _s(ctx: Context, expr: Expr) -> str:
    return to_string(_eval(expr, ctx))


def _n(ctx: Context, expr: Expr) -> float:
    return to_number(_eval(expr, ctx))


def _selected(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return _s(ctx, a[1]).strip() in _s(ctx, a[0]).split()


def _count_selected(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return float(len(_s(ctx, a[0]).split()))


def _selected_at(ctx: Context, a: tuple[Expr, ...]) -> Value:
    codes = _s(ctx, a[0]).split()
    index = _n(ctx, a[1])
    if math.isnan(index) or not 0 <= index < len(codes):
        return ""
    return codes[int(index)]


def _choice_name(ctx: Context, a: tuple[Expr, ...]) -> Value:
    code = _s(ctx, a[0]).strip()
    target = a[1]
    if isinstance(target, Literal) and isinstance(target.value, str):
        match = _REF_RE.search(target.value)
        name = match.group(1) if match else target.value.rstrip("/").split("/")[-1]
    elif isinstance(target, Ref):
        name = target.name
    else:
        raise ExpressionError("jr:choice-name() attend le nom d'une question, comme '${q}'.")
    return ctx.choice_label(name, code)


def _string_length(ctx: Context, a: tuple[Expr, ...]) -> Value:
    text = _s(ctx, a[0]) if a else to_string(ctx.current())
    return float(len(text))


def _regex(ctx: Context, a: tuple[Expr, ...]) -> Value:
    text, pattern = _s(ctx, a[0]), _s(ctx, a[1])
    if len(pattern) > MAX_REGEX_LENGTH:
        raise ExpressionError("Expression régulière trop longue.")
    try:
        return re.search(pattern, text) is not None
    except (re.error, RecursionError, OverflowError) as exc:
        raise ExpressionError("Expression régulière invalide.") from exc


def _if(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return _eval(a[1], ctx) if to_bool(_eval(a[0], ctx)) else _eval(a[2], ctx)


def _coalesce(ctx: Context, a: tuple[Expr, ...]) -> Value:
    first = _eval(a[0], ctx)
    return first if to_string(first) != "" else _eval(a[1], ctx)


def _int(ctx: Context, a: tuple[Expr, ...]) -> Value:
    value = _n(ctx, a[0])
    if math.isnan(value) or math.isinf(value):
        return value
    return float(math.trunc(value))


def _round(ctx: Context, a: tuple[Expr, ...]) -> Value:
    value = _n(ctx, a[0])
    if math.isnan(value) or math.isinf(value):
        return value
    if len(a) == 1:
        # XPath 1.0 round(): halves go towards positive infinity.
        return float(math.floor(value + 0.5))
    digits = _n(ctx, a[1])
    if math.isnan(digits) or abs(digits) > 20:
        raise ExpressionError("round() : nombre de décimales invalide.")
    try:
        quantum = Decimal(1).scaleb(-int(digits))
        return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:
        raise ExpressionError("round() : valeur trop grande.") from exc


def _sum(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return float(sum(to_number(v) for v in _items(_eval(a[0], ctx))))


def _count(ctx: Context, a: tuple[Expr, ...]) -> Value:
    value = _eval(a[0], ctx)
    if isinstance(value, ItemSet):
        return float(len(value.rows))
    if isinstance(value, NodeSet):
        return float(len(value.values))
    return 1.0


def _minmax(pick: Callable[[list[float]], float]) -> Impl:
    def impl(ctx: Context, a: tuple[Expr, ...]) -> Value:
        numbers: list[float] = []
        for value in _args(ctx, a):
            numbers.extend(to_number(v) for v in _items(value))
        if not numbers or any(math.isnan(x) for x in numbers):
            return math.nan
        return pick(numbers)

    return impl


def _position(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return float(ctx.position())


def _once(ctx: Context, a: tuple[Expr, ...]) -> Value:
    # once() keeps the first computed value: the engine passes the stored one as current.
    stored = ctx.once()
    if stored is not None:
        return stored
    return _eval(a[0], ctx)


def _today(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return ctx.now().date().isoformat()


def _now(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return ctx.now().isoformat(timespec="seconds")


def _date(ctx: Context, a: tuple[Expr, ...]) -> Value:
    value = _eval(a[0], ctx)
    text = to_string(value).strip()
    if _DATE_RE.fullmatch(text):
        return text
    if _DATETIME_RE.fullmatch(text):
        return text[:10]
    days = to_number(value)
    if math.isnan(days) or abs(days) > 2_000_000:
        return ""
    return (_EPOCH + dt.timedelta(days=math.floor(days))).isoformat()


def _format_date(ctx: Context, a: tuple[Expr, ...]) -> Value:
    text = to_string(_date(ctx, a[:1]))
    if not text:
        return ""
    day = dt.date.fromisoformat(text)
    out = _s(ctx, a[1])
    replacements = {
        "%Y": f"{day.year:04d}",
        "%y": f"{day.year % 100:02d}",
        "%m": f"{day.month:02d}",
        "%n": str(day.month),
        "%d": f"{day.day:02d}",
        "%e": str(day.day),
    }
    for key, val in replacements.items():
        out = out.replace(key, val)
    return out


def _substr(ctx: Context, a: tuple[Expr, ...]) -> Value:
    text = _s(ctx, a[0])
    start = _n(ctx, a[1])
    end = _n(ctx, a[2]) if len(a) > 2 else float(len(text))
    if math.isnan(start) or math.isnan(end):
        return ""
    lo = max(0, min(len(text), int(start)))
    hi = max(lo, min(len(text), int(end)))
    return text[lo:hi]


def _join(ctx: Context, a: tuple[Expr, ...]) -> Value:
    sep = _s(ctx, a[0])
    parts: list[str] = []
    for value in _args(ctx, a[1:]):
        parts.extend(_items(value))
    return sep.join(parts)


def _instance(ctx: Context, a: tuple[Expr, ...]) -> Value:
    return ItemSet(ctx.instance(_s(ctx, a[0])))


def _simple(fn: Callable[[list[Value]], Value]) -> Impl:
    def impl(ctx: Context, a: tuple[Expr, ...]) -> Value:
        return fn(_args(ctx, a))

    return impl


def _floor_like(fn: Callable[[float], int]) -> Impl:
    def impl(ctx: Context, a: tuple[Expr, ...]) -> Value:
        value = _n(ctx, a[0])
        if math.isnan(value) or math.isinf(value):
            return value
        return float(fn(value))

    return impl


FUNCTIONS: dict[str, FunctionSpec] = {
    "selected": FunctionSpec((2, 2), _selected),
    "count-selected": FunctionSpec((1, 1), _count_selected),
    "selected-at": FunctionSpec((2, 2), _selected_at),
    "jr:choice-name": FunctionSpec((2, 2), _choice_name),
    "string-length": FunctionSpec((0, 1), _string_length),
    "regex": FunctionSpec((2, 2), _regex),
    "contains": FunctionSpec((2, 2), _simple(lambda v: to_string(v[1]) in to_string(v[0]))),
    "starts-with": FunctionSpec(
        (2, 2), _simple(lambda v: to_string(v[0]).startswith(to_string(v[1])))
    ),
    "ends-with": FunctionSpec((2, 2), _simple(lambda v: to_string(v[0]).endswith(to_string(v[1])))),
    "concat": FunctionSpec((0, None), _simple(lambda v: "".join("".join(_items(x)) for x in v))),
    "substr": FunctionSpec((2, 3), _substr),
    "join": FunctionSpec((1, None), _join),
    "normalize-space": FunctionSpec((1, 1), _simple(lambda v: " ".join(to_string(v[0]).split()))),
    "string": FunctionSpec((1, 1), _simple(lambda v: to_string(v[0]))),
    "boolean": FunctionSpec((1, 1), _simple(lambda v: to_bool(v[0]))),
    "not": FunctionSpec((1, 1), _simple(lambda v: not to_bool(v[0]))),
    "true": FunctionSpec((0, 0), _simple(lambda v: True)),
    "false": FunctionSpec((0, 0), _simple(lambda v: False)),
    "if": FunctionSpec((3, 3), _if),
    "coalesce": FunctionSpec((2, 2), _coalesce),
    "today": FunctionSpec((0, 0), _today),
    "now": FunctionSpec((0, 0), _now),
    "date": FunctionSpec((1, 1), _date),
    "format-date": FunctionSpec((2, 2), _format_date),
    "number": FunctionSpec((1, 1), _simple(lambda v: to_number(v[0]))),
    "int": FunctionSpec((1, 1), _int),
    "round": FunctionSpec((1, 2), _round),
    "floor": FunctionSpec((1, 1), _floor_like(math.floor)),
    "ceiling": FunctionSpec((1, 1), _floor_like(math.ceil)),
    "abs": FunctionSpec((1, 1), _simple(lambda v: abs(to_number(v[0])))),
    "min": FunctionSpec((1, None), _minmax(min)),
    "max": FunctionSpec((1, None), _minmax(max)),
    "sum": FunctionSpec((1, 1), _sum),
    "count": FunctionSpec((1, 1), _count),
    "position": FunctionSpec((0, 1), _position),
    "once": FunctionSpec((1, 1), _once),
    "instance": FunctionSpec((1, 1), _instance),
}

# The rest of ODK's function list lives in its own module (it imports the helpers above).
from surveys.odk_functions import EXTRA_FUNCTIONS  # noqa: E402

FUNCTIONS.update(EXTRA_FUNCTIONS)
