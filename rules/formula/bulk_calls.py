"""Functions for the bulk compiler (semantics: `rules.formula.fn_*`).

Native: AND OR NOT IF CASE ISBLANK ISNULL BLANKVALUE NULLVALUE ISPICKVAL INCLUDES, ABS CEILING
FLOOR MCEILING MFLOOR ROUND TRUNC (digits a literal) MOD MAX MIN SQRT EXP LN LOG, LEN LEFT RIGHT
UPPER LOWER TRIM CONTAINS BEGINS SUBSTITUTE BR, REGEX and FIND (of a literal), TEXT of text,
picklist, date and checkbox, TODAY NOW DATE DATEVALUE (of a date or datetime) YEAR MONTH DAY
WEEKDAY ADDMONTHS (of a date, by a literal) DAYS_SINCE DAYS_UNTIL.

Dates are in `bulk_dates`. Everything else (and the argument shapes named in the Unsupported
messages) sends the whole formula to the interpreter, row by row: TEXT of a number (it prints the
value's own scale, which a fixed-scale column does not keep), VALUE, ISNUMBER, MID, LPAD,
RPAD, DATETIMEVALUE, TIMEVALUE, time functions,
DAYOFYEAR, ISOWEEK, ISOYEAR, UNIXTIMESTAMP, FROMUNIXTIME, BUSINESS_DAYS_BETWEEN.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import polars as pl

from rules.formula import ast
from rules.formula.bulk_dates import HANDLERS as DATE_HANDLERS
from rules.formula.bulk_frame import MAX_SCALE, NUMERIC, TEXTUAL
from rules.formula.bulk_nodes import Col, Compiler, Unsupported, any_of, dec, literal_int
from rules.formula.fn_regex import anchored
from rules.formula.signatures import case_compares_text
from rules.formula.types import FormulaType

T = FormulaType
Rounder = Callable[[pl.Expr], pl.Expr]


def _away(e: pl.Expr) -> pl.Expr:
    return pl.when(e >= dec(0, 0)).then(e.ceil()).otherwise(e.floor())


def _toward_zero(digits: int) -> Rounder:
    """Truncation at `digits` >= 0 places (Polars rounds only to nearest)."""
    unit = dec(Decimal(1).scaleb(-digits), digits)

    def op(e: pl.Expr) -> pl.Expr:
        return pl.when(e >= dec(0, 0)).then(e - e % unit).otherwise(e + (-e) % unit)

    return op


def _rounded(digits: int, name: str) -> Rounder:
    if name == "ROUND":
        return lambda e: e.round(digits, mode="half_away_from_zero")
    return _toward_zero(digits)


_ROUNDERS: dict[str, Rounder] = {
    "CEILING": _away,
    "FLOOR": _toward_zero(0),
    "MCEILING": lambda e: e.ceil(),
    "MFLOOR": lambda e: e.floor(),
}


def call(c: Compiler, node: ast.Call) -> Col:
    handler = _HANDLERS.get(node.name)
    if handler is None:
        raise Unsupported(f"{node.name} has no bulk form")
    return handler(c, node)


def _args(c: Compiler, node: ast.Call) -> list[Col]:
    return [c.node(arg) for arg in node.args]


# -- logic -----------------------------------------------------------------------------------


def _and_or(c: Compiler, node: ast.Call) -> Col:
    is_and = node.name == "AND"
    result: pl.Expr | None = None
    for arg in node.args:
        if result is None:
            col = c.node(arg)
        else:
            # evaluated only while no earlier argument decided the answer
            running = result.fill_null(True) if is_and else ~result.fill_null(False)
            with c.guarded(running):
                col = c.node(arg)
        expr = c.coerce(col, T.CHECKBOX).expr
        result = expr if result is None else (result & expr if is_and else result | expr)
    assert result is not None
    return Col(result, T.CHECKBOX)


def _not(c: Compiler, node: ast.Call) -> Col:
    return Col(~c.coerce(c.node(node.args[0]), T.CHECKBOX).expr, T.CHECKBOX)


def _unify(c: Compiler, kind: FormulaType, cols: list[Col]) -> list[Col]:
    if kind in NUMERIC:
        return c.numbers(*cols)
    return [c.coerce(col, kind) for col in cols]


def _choose(
    c: Compiler, kind: FormulaType, branches: list[tuple[pl.Expr, Col]], default: Col
) -> Col:
    cols = _unify(c, kind, [col for _, col in branches] + [default])
    chain: pl.Expr | None = None
    err: pl.Expr | None = None
    errs = [col.err for col in cols]
    any_err = any(e is not None for e in errs)
    for (condition, _), col, e in zip(branches, cols, errs, strict=False):
        chain = (pl.when(condition) if chain is None else chain.when(condition)).then(col.expr)  # type: ignore[attr-defined]
        if any_err:
            value = e if e is not None else pl.lit(0.0)
            err = (pl.when(condition) if err is None else err.when(condition)).then(value)  # type: ignore[attr-defined]
    last = cols[-1]
    expr = chain.otherwise(last.expr) if chain is not None else last.expr  # type: ignore[attr-defined]
    if any_err:
        tail = last.err if last.err is not None else pl.lit(0.0)
        err = err.otherwise(tail) if err is not None else tail  # type: ignore[attr-defined]
    return Col(expr, kind, cols[0].scale, err)


def _if(c: Compiler, node: ast.Call) -> Col:
    condition = c.coerce(c.node(node.args[0]), T.CHECKBOX).expr.fill_null(False)
    with c.guarded(condition):
        when_true = c.node(node.args[1])
    with c.guarded(~condition):
        when_false = c.node(node.args[2])
    return _choose(c, node.type or T.NULL, [(condition, when_true)], when_false)


def _case(c: Compiler, node: ast.Call) -> Col:
    subject_node = node.args[0]
    textual = case_compares_text(node)
    subject = c.node(subject_node)
    branches: list[tuple[pl.Expr, Col]] = []
    unmatched: pl.Expr = pl.lit(True)
    for index in range(1, len(node.args) - 1, 2):
        with c.guarded(unmatched):
            match = c.node(node.args[index])
            hit = _matches(c, subject, match, textual).fill_null(False) & unmatched
        with c.guarded(hit):
            result = c.node(node.args[index + 1])
        branches.append((hit, result))
        unmatched = unmatched & ~hit
    with c.guarded(unmatched):
        default = c.node(node.args[-1])
    return _choose(c, node.type or T.NULL, branches, default)


def _matches(c: Compiler, subject: Col, match: Col, textual: bool) -> pl.Expr:
    if textual:
        return c.coerce(subject, T.TEXT).expr == c.coerce(match, T.TEXT).expr
    if subject.type in NUMERIC or match.type in NUMERIC:
        a, b = c.numbers(c.exact(subject), c.exact(match))
    else:
        kind = match.type if subject.type is T.NULL else subject.type
        a, b = c.coerce(subject, kind), c.coerce(match, kind)
    both = a.expr.is_null() & b.expr.is_null()
    return both | (a.expr == b.expr)


def _blank(col: Col) -> pl.Expr:
    if col.type in TEXTUAL:
        return col.expr.fill_null("") == ""
    return col.expr.is_null()


def _isblank(c: Compiler, node: ast.Call) -> Col:
    return Col(_blank(c.node(node.args[0])), T.CHECKBOX)


def _isnull(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    if node.args[0].type is T.TEXT:
        return Col(pl.lit(False), T.CHECKBOX)
    return Col(_blank(col), T.CHECKBOX)


def _blankvalue(c: Compiler, node: ast.Call) -> Col:
    if node.name == "NULLVALUE" and node.args[0].type is T.TEXT:
        return c.node(node.args[0])
    value = c.node(node.args[0])
    blank = _blank(value)
    with c.guarded(blank):
        substitute = c.node(node.args[1])
    return _choose(c, node.type or T.NULL, [(~blank, value)], substitute)


def _ispickval(c: Compiler, node: ast.Call) -> Col:
    picklist, literal = _text_args(c, node)
    return Col(picklist == literal, T.CHECKBOX)


def _includes(c: Compiler, node: ast.Call) -> Col:
    values, wanted = _text_args(c, node)  # the checker made `wanted` a non-blank literal
    return Col(values.str.split(";").list.contains(wanted), T.CHECKBOX)


# -- math ------------------------------------------------------------------------------------


def _abs(c: Compiler, node: ast.Call) -> Col:
    col = c.as_number(c.node(node.args[0]))
    return Col(col.expr.abs(), node.type or T.NUMBER, col.scale, col.err)


def _rounder(c: Compiler, node: ast.Call) -> Col:
    return c.rounding(c.node(node.args[0]), _ROUNDERS[node.name], node.type or T.NUMBER)


def _round_digits(c: Compiler, node: ast.Call) -> Col:
    kind = node.type or T.NUMBER
    col = c.as_number(c.node(node.args[0]))
    digits = literal_int(node.args[1]) if len(node.args) > 1 else 0
    if digits >= col.scale and col.err is None:
        return Col(col.expr, kind, col.scale)
    if digits >= 0:
        return c.rounding(col, _rounded(digits, node.name), kind)
    if col.scale - digits > MAX_SCALE or -digits > 14:
        raise Unsupported("ROUND/TRUNC to so many tens")
    shift = Decimal(1).scaleb(digits)
    back = dec(Decimal(1).scaleb(-digits), 0)

    whole = _rounded(0, node.name)

    def op(e: pl.Expr) -> pl.Expr:
        return whole(e * dec(shift, -digits)) * back

    scaled = c.rescale(col, col.scale - digits)
    return c.rounding(scaled, op, kind)


def _mod(c: Compiler, node: ast.Call) -> Col:
    a, b = c.numbers(*(c.exact(c.as_number(col)) for col in _args(c, node)))
    zero = (b.expr == dec(0, 0)).fill_null(False)
    c.fault(zero & a.expr.is_not_null())  # MOD of a blank is blank, not #Error!
    b = c.neutralised(b, zero, 1)
    floor_mod = a.expr % b.expr
    flip = (floor_mod != dec(0, 0)) & ((a.expr < dec(0, 0)) != (b.expr < dec(0, 0)))
    result = pl.when(flip).then(floor_mod - b.expr).otherwise(floor_mod)
    return Col(result, node.type or T.NUMBER, a.scale)


def _max_min(c: Compiler, node: ast.Call) -> Col:
    cols = c.numbers(*_args(c, node))
    exprs = [col.expr for col in cols]
    pick = pl.max_horizontal(exprs) if node.name == "MAX" else pl.min_horizontal(exprs)
    blank = any_of([e.is_null() for e in exprs])
    errs = [col.err for col in cols if col.err is not None]
    err = pl.max_horizontal(errs) if errs else None
    return Col(pl.when(blank).then(None).otherwise(pick), node.type or T.NUMBER, cols[0].scale, err)


def _float_fn(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    zero = dec(0, 0)
    name = node.name
    if name == "SQRT":
        return c.float_function(col, lambda e: e.sqrt(), col.expr >= zero, T.NUMBER)
    if name == "EXP":
        return c.float_function(col, lambda e: e.exp(), col.expr <= dec(100, 0), T.NUMBER)
    if name == "LN":
        return c.float_function(col, lambda e: e.log(), col.expr > zero, T.NUMBER)
    return c.float_function(col, lambda e: e.log10(), col.expr > zero, T.NUMBER)


# -- text ------------------------------------------------------------------------------------


def _text_args(c: Compiler, node: ast.Call) -> list[pl.Expr]:
    return [c.coerce(col, T.TEXT).expr for col in _args(c, node)]


def _len(c: Compiler, node: ast.Call) -> Col:
    (value,) = _text_args(c, node)
    return Col(value.str.len_chars().cast(pl.Decimal(38, 0)), T.NUMBER, 0)


def _count(c: Compiler, col: Col) -> pl.Expr:
    """A character count argument: truncated, at least 0, #Error! beyond 10^12."""
    number = c.exact(c.as_number(col))
    whole = number.expr.cast(pl.Int64)
    far = (whole.abs() > 10**12).fill_null(False)
    c.fault(far)
    return pl.when(far).then(0).otherwise(whole).clip(lower_bound=0)


def _left_right(c: Compiler, node: ast.Call) -> Col:
    value = c.coerce(c.node(node.args[0]), T.TEXT).expr
    count = _count(c, c.node(node.args[1]))
    cut = value.str.head(count) if node.name == "LEFT" else value.str.tail(count)
    return Col(cut, T.TEXT)


def _case_fn(c: Compiler, node: ast.Call) -> Col:
    value = _text_args(c, node)[0]
    return Col(
        value.str.to_uppercase() if node.name == "UPPER" else value.str.to_lowercase(), T.TEXT
    )


def _trim(c: Compiler, node: ast.Call) -> Col:
    (value,) = _text_args(c, node)
    return Col(value.str.strip_chars(" \t\r\n"), T.TEXT)


def _contains(c: Compiler, node: ast.Call) -> Col:
    value, part = _text_args(c, node)
    if node.name == "CONTAINS":
        return Col(value.str.contains(part, literal=True), T.CHECKBOX)
    return Col(value.str.starts_with(part), T.CHECKBOX)


def _substitute(c: Compiler, node: ast.Call) -> Col:
    old_node = node.args[1]
    if not isinstance(old_node, ast.StringLit):
        raise Unsupported("SUBSTITUTE of a text that is not a literal")
    value = c.coerce(c.node(node.args[0]), T.TEXT).expr
    new = c.coerce(c.node(node.args[2]), T.TEXT).expr
    if not old_node.value:
        return Col(value, T.TEXT)
    if not isinstance(node.args[2], ast.StringLit):
        raise Unsupported("SUBSTITUTE by a text that is not a literal")
    return Col(value.str.replace_all(old_node.value, new, literal=True), T.TEXT)


def _text(c: Compiler, node: ast.Call) -> Col:
    col = c.node(node.args[0])
    kind = node.args[0].type or T.NULL
    if kind in TEXTUAL or kind is T.NULL:
        return c.coerce(col, T.TEXT)
    if kind is T.DATE:
        return Col(col.expr.dt.strftime("%Y-%m-%d").fill_null(""), T.TEXT)
    if kind is T.CHECKBOX:
        return Col(
            pl.when(col.expr).then(pl.lit("true")).otherwise(pl.lit("false")).fill_null(""),
            T.TEXT,
        )
    raise Unsupported(f"TEXT of a {kind}")


def _regex(c: Compiler, node: ast.Call) -> Col:
    pattern = node.args[1]
    if not isinstance(pattern, ast.StringLit):
        raise Unsupported("REGEX with a pattern that is not a literal")
    value = c.coerce(c.node(node.args[0]), T.TEXT).expr
    # the interpreter runs the same Rust engine on the same anchored pattern (fn_regex)
    return Col(value.str.contains(anchored(pattern.value), strict=True), T.CHECKBOX)


def _find(c: Compiler, node: ast.Call) -> Col:
    search = node.args[0]
    if len(node.args) > 2 or not isinstance(search, ast.StringLit) or not search.value:
        raise Unsupported("FIND other than of a literal text from the start")
    value = c.coerce(c.node(node.args[1]), T.TEXT).expr
    before = value.str.splitn(search.value, 2).struct.field("field_0").str.len_chars()
    found = value.str.contains(search.value, literal=True)
    position = pl.when(found).then(before + 1).otherwise(0)
    return Col(position.cast(pl.Decimal(38, 0)), T.NUMBER, 0)


def _br(_c: Compiler, _node: ast.Call) -> Col:
    return Col(pl.lit("\n"), T.TEXT)


Handler = Callable[[Compiler, ast.Call], Col]
_HANDLERS: dict[str, Handler] = {
    **DATE_HANDLERS,
    "AND": _and_or,
    "OR": _and_or,
    "NOT": _not,
    "IF": _if,
    "CASE": _case,
    "ISBLANK": _isblank,
    "ISNULL": _isnull,
    "BLANKVALUE": _blankvalue,
    "NULLVALUE": _blankvalue,
    "ISPICKVAL": _ispickval,
    "INCLUDES": _includes,
    "ABS": _abs,
    "CEILING": _rounder,
    "FLOOR": _rounder,
    "MCEILING": _rounder,
    "MFLOOR": _rounder,
    "ROUND": _round_digits,
    "TRUNC": _round_digits,
    "MOD": _mod,
    "MAX": _max_min,
    "MIN": _max_min,
    "SQRT": _float_fn,
    "EXP": _float_fn,
    "LN": _float_fn,
    "LOG": _float_fn,
    "LEN": _len,
    "LEFT": _left_right,
    "RIGHT": _left_right,
    "UPPER": _case_fn,
    "LOWER": _case_fn,
    "TRIM": _trim,
    "CONTAINS": _contains,
    "BEGINS": _contains,
    "SUBSTITUTE": _substitute,
    "TEXT": _text,
    "REGEX": _regex,
    "FIND": _find,
    "BR": _br,
}
