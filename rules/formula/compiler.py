"""`compile_formula`: text + field catalog -> `CompiledFormula`, evaluated many times.

Evaluation errors: a Salesforce "#Error!" (division by zero, SQRT of a negative, an impossible
DATE(), VALUE("abc"), a result too large) is not an exception by default: the formula's result
for that record is blank (None), exactly as the formula field shows #Error! for that record
only, and a blank never fires an alert. `evaluate(..., errors="raise")` raises FormulaError
(code "evaluation", with the position of the failing call) instead, for tools that explain
results (`dealpulse formula eval`). A record value that does not fit its field's type is always
FormulaError(bad_record_value): that is a data or catalog problem, not a formula result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from rules.formula import ast
from rules.formula.checker import ORIGIN_DATETIME, Catalog, check
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.evaluator import build
from rules.formula.parser import parse
from rules.formula.runtime import Compiled, Env
from rules.formula.signatures import CLOCK_FUNCTIONS
from rules.formula.types import FormulaType
from rules.formula.values import (
    Fault,
    Value,
    decimal_context,
    formula_zone,
    from_record,
    local_today,
    to_result,
    utc_now,
)
from rules.time_zones import TimeZoneLike


@dataclass(frozen=True, eq=False)
class CompiledFormula:
    source: str
    tree: ast.Node  # the typed tree (see rules.formula.ast)
    result_type: FormulaType
    references: frozenset[str]  # the catalog's spelling of every field read
    field_types: Mapping[str, FormulaType]  # of the fields in `references`
    uses_now: bool  # TODAY(), NOW(), DAYS_SINCE()...: evaluate needs `now`
    _run: Compiled = field(repr=False)

    def read_record(self, record: Mapping[str, object]) -> dict[str, Value]:
        """The formula values of the referenced fields (names matched ignoring case)."""
        values: dict[str, Value] = {}
        folded: dict[str, object] | None = None
        for name, formula_type in self.field_types.items():
            if name in record:
                raw = record[name]
            else:
                if folded is None:
                    folded = {str(key).lower(): value for key, value in record.items()}
                raw = folded.get(name.lower())
            values[name] = from_record(name, formula_type, raw)
        return values

    def clock(self, now: object) -> datetime | None:
        """`now` in UTC; FormulaError(missing_now) when the formula reads the clock without it."""
        moment = utc_now(now)
        if moment is None and self.uses_now:
            raise FormulaError(
                ErrorCode.MISSING_NOW, "this formula reads the clock (TODAY, NOW...): pass now="
            )
        return moment

    def evaluate(
        self,
        record: Mapping[str, object],
        now: datetime | None = None,
        *,
        tz: TimeZoneLike = None,
        errors: Literal["blank", "raise"] = "blank",
    ) -> Value:
        """The formula's value for one record (see the module docstring for #Error!).

        `tz` (an IANA name such as "America/Los_Angeles", or a tzinfo; default UTC) is the zone
        dates are taken in: TODAY() is the date of `now` there (see rules.formula.fn_date).
        FormulaError(unknown_time_zone) for a name that is no zone."""
        if not isinstance(record, Mapping):
            raise FormulaError(ErrorCode.BAD_RECORD_VALUE, "a record must be a mapping")
        zone = formula_zone(tz)
        moment = self.clock(now)
        today = local_today(moment, zone) if moment is not None and self.uses_now else None
        env = Env(self.read_record(record), moment, zone, today)
        try:
            with decimal_context():
                value = self._run(env)
        except Fault as fault:
            if errors == "raise":
                where = f" at {fault.line}:{fault.column}" if fault.line else ""
                raise FormulaError(
                    ErrorCode.EVALUATION,
                    f"#Error!: {fault.message}{where}",
                    fault.line,
                    fault.column,
                ) from None
            return None
        return to_result(self.result_type, value)


def compile_formula(text: str, fields: Mapping[str, str]) -> CompiledFormula:
    """Parse, type-check and compile `text` against the field catalog `fields`
    (name -> Salesforce field type). FormulaError on any problem."""
    if not isinstance(fields, Mapping):
        raise FormulaError(ErrorCode.BAD_FIELD_TYPE, "fields must map names to field types")
    catalog = Catalog(fields)
    tree = check(parse(text), catalog)
    field_types: dict[str, FormulaType] = {}
    uses_now = False
    for node in ast.walk(tree):
        if isinstance(node, ast.FieldRef) and node.field not in (None, ORIGIN_DATETIME):
            field_types[str(node.field)] = node.type or FormulaType.NULL
        elif isinstance(node, ast.Call) and node.name in CLOCK_FUNCTIONS:
            uses_now = True
    with decimal_context():
        run = build(tree)
    return CompiledFormula(
        source=text,
        tree=tree,
        result_type=tree.type or FormulaType.NULL,
        references=frozenset(field_types),
        field_types=field_types,
        uses_now=uses_now,
        _run=run,
    )
