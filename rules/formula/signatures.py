"""Function signatures: arity and the result type of each function given its argument types.

`SIGNATURES[name]` is a `Signature`; its `result(node, types)` checks the argument types
(raising FormulaError at the offending argument) and returns the call's type. Semantics live
in the `fn_*` modules; this module is what the checker (and the bulk evaluator) rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rules.formula import ast
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.types import (
    NUMERIC_TYPES,
    TEXTUAL_TYPES,
    FormulaType,
    is_numeric,
    numeric_result,
)

T = FormulaType
NUMERIC = NUMERIC_TYPES
TEXT = frozenset({T.TEXT})
CHECKBOX = frozenset({T.CHECKBOX})
DATE = frozenset({T.DATE})
DATE_OR_DATETIME = frozenset({T.DATE, T.DATETIME})
TIME = frozenset({T.TIME})
ANY_VALUE = frozenset(set(T) - {T.PICKLIST, T.MULTIPICKLIST})

ResultFn = Callable[[ast.Call, Sequence[ast.Node]], FormulaType]


@dataclass(frozen=True)
class Signature:
    min_args: int
    max_args: int | None  # None: any number
    result: ResultFn
    family: str  # logic, math, text, date, dealpulse: where the semantics live


def type_error(node: ast.Node, message: str) -> FormulaError:
    return FormulaError(
        ErrorCode.TYPE_MISMATCH,
        f"{message} at {node.line}:{node.column}",
        node.line,
        node.column,
    )


def describe(types: frozenset[FormulaType]) -> str:
    names = sorted(str(t) for t in types)
    return names[0] if len(names) == 1 else " or ".join(names)


def expect(call: ast.Call, args: Sequence[ast.Node], index: int, allowed: frozenset[T]) -> T:
    arg = args[index]
    got = arg.type or T.NULL
    if got is T.NULL or got in allowed:
        return got
    raise type_error(
        arg, f"{call.name} argument {index + 1} must be {describe(allowed)}, not {got}"
    )


def unify(node: ast.Node, types: Sequence[FormulaType], what: str) -> FormulaType:
    """One type for alternatives (IF branches, CASE results): NULL fits anything, numbers mix."""
    real = [t for t in types if t is not T.NULL]
    if not real:
        return T.NULL
    if all(is_numeric(t) for t in real):
        return numeric_result(*real)
    if all(t is real[0] for t in real):
        return real[0]
    shown = ", ".join(str(t) for t in real)
    raise type_error(node, f"{what} must all have the same type; got {shown}")


def fixed(result: T, *params: frozenset[T]) -> ResultFn:
    """All arguments (those present: optional ones may be missing) of the given types."""

    def check(call: ast.Call, args: Sequence[ast.Node]) -> T:
        for index in range(len(args)):
            expect(call, args, index, params[min(index, len(params) - 1)])
        return result

    return check


def same_as_first(*params: frozenset[T]) -> ResultFn:
    def check(call: ast.Call, args: Sequence[ast.Node]) -> T:
        fixed(T.NULL, *params)(call, args)
        first = args[0].type or T.NULL
        return T.NUMBER if first is T.NULL and params[0] >= NUMERIC else first

    return check


def numeric_of_all(call: ast.Call, args: Sequence[ast.Node]) -> T:
    fixed(T.NULL, NUMERIC)(call, args)
    return numeric_result(*(a.type or T.NULL for a in args))


def _if(call: ast.Call, args: Sequence[ast.Node]) -> T:
    expect(call, args, 0, CHECKBOX)
    return unify(call, [args[1].type or T.NULL, args[2].type or T.NULL], "IF results")


def _case(call: ast.Call, args: Sequence[ast.Node]) -> T:
    if len(args) % 2:
        raise FormulaError(
            ErrorCode.ARGUMENT_COUNT,
            f"CASE needs an expression, value/result pairs and an else result "
            f"(an even number of arguments), got {len(args)} at {call.line}:{call.column}",
            call.line,
            call.column,
        )
    subject = args[0].type or T.NULL
    match_type = T.TEXT if subject is T.PICKLIST else subject
    for index in range(1, len(args) - 1, 2):
        unify(args[index], [match_type, args[index].type or T.NULL], "CASE values")
    results = [args[i].type or T.NULL for i in range(2, len(args), 2)] + [args[-1].type or T.NULL]
    return unify(call, results, "CASE results")


def case_compares_text(call: ast.Call) -> bool:
    """Whether CASE matches its values as text (a blank is ""), not with blank-unknown `=`."""
    subject = call.args[0].type or T.NULL
    return subject in TEXTUAL_TYPES or any(a.type is T.TEXT for a in call.args[1:-1:2])


def _blankvalue(call: ast.Call, args: Sequence[ast.Node]) -> T:
    return unify(call, [args[0].type or T.NULL, args[1].type or T.NULL], f"{call.name} arguments")


def _text_literal(call: ast.Call, args: Sequence[ast.Node]) -> str:
    """The value compared with a picklist: Salesforce accepts only a text literal in quotes
    ("it cannot be a merge field or the result of a function"), so a rule cannot compare two
    fields this way; TEXT(picklist) = expression is the documented route for that."""
    literal = args[1]
    if isinstance(literal, ast.StringLit):
        return literal.value
    raise FormulaError(
        ErrorCode.PICKLIST_USAGE,
        f"{call.name} argument 2 at {literal.line}:{literal.column} must be a text literal in "
        "quotes, not a field or a function result (compare TEXT(...) with = instead)",
        literal.line,
        literal.column,
    )


def _ispickval(call: ast.Call, args: Sequence[ast.Node]) -> T:
    expect(call, args, 0, frozenset({T.PICKLIST}))
    _text_literal(call, args)
    return T.CHECKBOX


def _includes(call: ast.Call, args: Sequence[ast.Node]) -> T:
    expect(call, args, 0, frozenset({T.MULTIPICKLIST}))
    if not _text_literal(call, args).strip():  # Salesforce: an error for "" or " "
        raise FormulaError(
            ErrorCode.INVALID_ARGUMENT,
            f"INCLUDES at {call.line}:{call.column} needs a value to look for, not a blank text",
            args[1].line,
            args[1].column,
        )
    return T.CHECKBOX


def _addmonths(call: ast.Call, args: Sequence[ast.Node]) -> T:
    first = expect(call, args, 0, DATE_OR_DATETIME)
    expect(call, args, 1, NUMERIC)
    return T.DATE if first is T.NULL else first


TEXTABLE = frozenset(
    {T.NUMBER, T.CURRENCY, T.PERCENT, T.DATE, T.DATETIME, T.TIME, T.TEXT, T.PICKLIST, T.CHECKBOX}
)

SIGNATURES: dict[str, Signature] = {
    # logic
    "AND": Signature(1, None, fixed(T.CHECKBOX, CHECKBOX), "logic"),
    "OR": Signature(1, None, fixed(T.CHECKBOX, CHECKBOX), "logic"),
    "NOT": Signature(1, 1, fixed(T.CHECKBOX, CHECKBOX), "logic"),
    "IF": Signature(3, 3, _if, "logic"),
    "CASE": Signature(4, None, _case, "logic"),
    "ISBLANK": Signature(1, 1, fixed(T.CHECKBOX, frozenset(T)), "logic"),
    "ISNULL": Signature(1, 1, fixed(T.CHECKBOX, frozenset(T)), "logic"),
    "BLANKVALUE": Signature(2, 2, _blankvalue, "logic"),
    "NULLVALUE": Signature(2, 2, _blankvalue, "logic"),
    "ISPICKVAL": Signature(2, 2, _ispickval, "logic"),
    "INCLUDES": Signature(2, 2, _includes, "logic"),
    "ISNUMBER": Signature(1, 1, fixed(T.CHECKBOX, TEXT), "logic"),
    # math
    "ABS": Signature(1, 1, same_as_first(NUMERIC), "math"),
    "CEILING": Signature(1, 1, same_as_first(NUMERIC), "math"),
    "FLOOR": Signature(1, 1, same_as_first(NUMERIC), "math"),
    "ROUND": Signature(2, 2, same_as_first(NUMERIC, NUMERIC), "math"),
    "TRUNC": Signature(1, 2, same_as_first(NUMERIC, NUMERIC), "math"),
    "MCEILING": Signature(1, 1, same_as_first(NUMERIC), "math"),
    "MFLOOR": Signature(1, 1, same_as_first(NUMERIC), "math"),
    "MOD": Signature(2, 2, same_as_first(NUMERIC, NUMERIC), "math"),
    "MAX": Signature(1, None, numeric_of_all, "math"),
    "MIN": Signature(1, None, numeric_of_all, "math"),
    "SQRT": Signature(1, 1, fixed(T.NUMBER, NUMERIC), "math"),
    "EXP": Signature(1, 1, fixed(T.NUMBER, NUMERIC), "math"),
    "LN": Signature(1, 1, fixed(T.NUMBER, NUMERIC), "math"),
    "LOG": Signature(1, 1, fixed(T.NUMBER, NUMERIC), "math"),
    # text
    "LEN": Signature(1, 1, fixed(T.NUMBER, TEXT), "text"),
    "LEFT": Signature(2, 2, fixed(T.TEXT, TEXT, NUMERIC), "text"),
    "RIGHT": Signature(2, 2, fixed(T.TEXT, TEXT, NUMERIC), "text"),
    "MID": Signature(3, 3, fixed(T.TEXT, TEXT, NUMERIC), "text"),
    "UPPER": Signature(1, 2, fixed(T.TEXT, TEXT), "text"),
    "LOWER": Signature(1, 2, fixed(T.TEXT, TEXT), "text"),
    "TRIM": Signature(1, 1, fixed(T.TEXT, TEXT), "text"),
    "LPAD": Signature(2, 3, fixed(T.TEXT, TEXT, NUMERIC, TEXT), "text"),
    "RPAD": Signature(2, 3, fixed(T.TEXT, TEXT, NUMERIC, TEXT), "text"),
    "CONTAINS": Signature(2, 2, fixed(T.CHECKBOX, TEXT), "text"),
    "BEGINS": Signature(2, 2, fixed(T.CHECKBOX, TEXT), "text"),
    "FIND": Signature(2, 3, fixed(T.NUMBER, TEXT, TEXT, NUMERIC), "text"),
    "SUBSTITUTE": Signature(3, 3, fixed(T.TEXT, TEXT), "text"),
    "TEXT": Signature(1, 1, fixed(T.TEXT, TEXTABLE), "text"),
    "VALUE": Signature(1, 1, fixed(T.NUMBER, TEXT), "text"),
    "REGEX": Signature(2, 2, fixed(T.CHECKBOX, TEXT), "text"),
    "BR": Signature(0, 0, fixed(T.TEXT), "text"),
    # date and time
    "TODAY": Signature(0, 0, fixed(T.DATE), "date"),
    "NOW": Signature(0, 0, fixed(T.DATETIME), "date"),
    "TIMENOW": Signature(0, 0, fixed(T.TIME), "date"),
    "DATE": Signature(3, 3, fixed(T.DATE, NUMERIC), "date"),
    "DATEVALUE": Signature(1, 1, fixed(T.DATE, frozenset({T.TEXT, T.DATE, T.DATETIME})), "date"),
    "DATETIMEVALUE": Signature(
        1, 1, fixed(T.DATETIME, frozenset({T.TEXT, T.DATE, T.DATETIME})), "date"
    ),
    "TIMEVALUE": Signature(1, 1, fixed(T.TIME, frozenset({T.TEXT, T.DATETIME, T.TIME})), "date"),
    "YEAR": Signature(1, 1, fixed(T.NUMBER, DATE), "date"),
    "MONTH": Signature(1, 1, fixed(T.NUMBER, DATE), "date"),
    "DAY": Signature(1, 1, fixed(T.NUMBER, DATE), "date"),
    "WEEKDAY": Signature(1, 1, fixed(T.NUMBER, DATE), "date"),
    "DAYOFYEAR": Signature(1, 1, fixed(T.NUMBER, DATE), "date"),
    "ISOWEEK": Signature(1, 1, fixed(T.NUMBER, DATE), "date"),
    "ISOYEAR": Signature(1, 1, fixed(T.NUMBER, DATE), "date"),
    "ADDMONTHS": Signature(2, 2, _addmonths, "date"),
    "HOUR": Signature(1, 1, fixed(T.NUMBER, TIME), "date"),
    "MINUTE": Signature(1, 1, fixed(T.NUMBER, TIME), "date"),
    "SECOND": Signature(1, 1, fixed(T.NUMBER, TIME), "date"),
    "MILLISECOND": Signature(1, 1, fixed(T.NUMBER, TIME), "date"),
    "UNIXTIMESTAMP": Signature(1, 1, fixed(T.NUMBER, DATE_OR_DATETIME), "date"),
    "FROMUNIXTIME": Signature(1, 1, fixed(T.DATETIME, NUMERIC), "date"),
    # dealpulse
    "DAYS_SINCE": Signature(1, 1, fixed(T.NUMBER, DATE_OR_DATETIME), "dealpulse"),
    "DAYS_UNTIL": Signature(1, 1, fixed(T.NUMBER, DATE_OR_DATETIME), "dealpulse"),
    "BUSINESS_DAYS_BETWEEN": Signature(2, 2, fixed(T.NUMBER, DATE), "dealpulse"),
}

# Functions that read the clock (`now`): a formula using one needs `now` to evaluate.
CLOCK_FUNCTIONS = frozenset({"TODAY", "NOW", "TIMENOW", "DAYS_SINCE", "DAYS_UNTIL"})

# Where a picklist / multi-select picklist may appear: function name -> argument positions
# (None: any position). Anywhere else is a picklist_usage error, as in Salesforce.
PICKLIST_PLACES: dict[str, frozenset[int] | None] = {
    "ISPICKVAL": frozenset({0}),
    "CASE": frozenset({0}),
    "TEXT": None,
    "ISBLANK": None,
    "ISNULL": None,
}
MULTIPICKLIST_PLACES: dict[str, frozenset[int] | None] = {
    "INCLUDES": frozenset({0}),
    "ISBLANK": None,
    "ISNULL": None,
}

EDIT_TIME_FUNCTIONS = frozenset({"ISCHANGED", "PRIORVALUE", "ISNEW", "ISCLONE"})
UNSUPPORTED_FUNCTIONS = frozenset(
    {
        "HYPERLINK", "IMAGE", "GETSESSIONID", "GEOLOCATION", "DISTANCE", "INCLUDE", "LINKTO",
        "URLFOR", "REQUIRESCRIPT", "GETRECORDIDS", "VLOOKUP", "CURRENCYRATE", "PREDICT",
        "IMAGEPROXYURL", "JUNCTIONIDLIST", "JSENCODE", "JSINHTMLENCODE", "HTMLENCODE",
        "URLENCODE", "PARENTGROUPVAL", "PREVGROUPVAL", "CASESAFEID", "ISOWEEKDAY", "FORMATDURATION",
        "INITCAP", "REVERSE", "TIMEZONEOFFSET",
    }
)  # fmt: skip
