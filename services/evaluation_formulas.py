"""The formulas of one evaluation pass, compiled once and evaluated together over one frame:
each rule's condition and the merge fields of its message, and each formula milestone's
formula. All go to one `evaluate_bulk_many` call (shared scans); messages are put together
from their merge fields' bulk values, so rendering costs no interpreter run per alert.

A formula that no longer compiles (the org's catalog changed under it), or whose evaluation
raises, is reported as its owner's error; the others are evaluated regardless.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import TypeVar

from rules.catalog import FACT_FIELDS
from rules.formula import compile_formula
from rules.formula.bulk import BulkResult, BulkValues, evaluate_bulk_many
from rules.formula.bulk_frame import BulkFrame
from rules.formula.compiler import CompiledFormula
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.templates import CompiledTemplate, compile_template, format_for_people
from rules.formula.types import FormulaType
from store.evaluation_state import RuleState

logger = logging.getLogger(__name__)
# Up to this many rows (a write's re-evaluation), formulas run in the interpreter.
INTERPRETED_ROWS = 32
ERROR_TEXT = "#Error!"


class Unevaluable(Exception):
    """Why a rule's or a milestone's formula could not be evaluated this pass."""


@dataclass(frozen=True)
class Outcome:
    """One formula over the frame: its value per row, and the rows that could not be
    evaluated (#Error!, or a value the record does not hold validly) with why."""

    values: Sequence[object]
    failed_rows: Mapping[int, str]
    summary: str | None = None  # why rows failed, for rule health; None when none did

    def true_rows(self) -> list[int]:
        if isinstance(self.values, BulkValues):  # without making every value
            return self.values.true_rows()
        return [row for row, value in enumerate(self.values) if value is True]


@dataclass(frozen=True)
class RuleOutcome:
    condition: Outcome
    message: Sequence[str | Outcome]  # the template's text, its merge fields' outcomes
    types: Sequence[FormulaType | None]  # the result type of each merge field (None: text)
    # Its merge fields read the clock or a fact (days in stage...): the message may change
    # with no record change.
    moves_with_time: bool = False
    zone: tzinfo = UTC  # the org's: where a datetime merge field is shown

    def render(self, row: int) -> str:
        out: list[str] = []
        for part, formula_type in zip(self.message, self.types, strict=True):
            if isinstance(part, str):
                out.append(part)
            elif row in part.failed_rows:
                out.append(ERROR_TEXT)
            else:
                assert formula_type is not None
                out.append(format_for_people(part.values[row], formula_type, self.zone))  # type: ignore[arg-type]
        return "".join(out)


Catalog = tuple[tuple[str, str], ...]  # a field catalog in hashable form


def catalog_key(catalog: Mapping[str, str]) -> Catalog:
    return tuple(sorted(catalog.items()))


@lru_cache(maxsize=4096)
def _compiled(
    kind: str, text: str, catalog: Catalog
) -> CompiledFormula | CompiledTemplate | Unevaluable:
    """A formula or message compiled once per catalog (compiled values are immutable): an
    evaluation of one opportunity must not re-parse every rule of the org."""
    fields = dict(catalog)
    try:
        if kind == "template":
            return compile_template(text, fields)
        compiled = compile_formula(text, fields)
    except FormulaError as error:
        what = "message" if kind == "template" else "formula"
        return Unevaluable(f"the {what} no longer compiles: {error.message}")
    if compiled.result_type is not FormulaType.CHECKBOX:
        return Unevaluable(
            f"the formula returns {compiled.result_type.value.lower()}, not a checkbox"
        )
    return compiled


Compiled = TypeVar("Compiled", CompiledFormula, CompiledTemplate)


def _ready(kind: str, expected: type[Compiled], text: str, catalog: Catalog) -> Compiled:
    """The compiled formula or template; Unevaluable (raised) when it does not compile."""
    compiled = _compiled(kind, text, catalog)
    if isinstance(compiled, Unevaluable):
        raise compiled
    assert isinstance(compiled, expected)
    return compiled


def _outcome(values: Sequence[object], failed: Mapping[int, str]) -> Outcome:
    # BulkResult's own wording ("12 records could not be evaluated: division by zero"), over
    # the rows the record's values made unreadable too.
    summary = BulkResult(values=[], faults=dict(failed)).fault_summary()
    return Outcome(values, failed, summary)


def _bulk_outcome(result: BulkResult) -> Outcome:
    errors = {row: error.message for row, error in result.errors.items()}
    return _outcome(result.values, {**result.faults, **errors})


def _fault(error: FormulaError) -> str:
    """What a row's #Error! says, worded as BulkResult.faults words it ("division by zero")."""
    if error.code is not ErrorCode.EVALUATION:
        return error.message
    message = error.message.removeprefix("#Error!: ")
    return message.removesuffix(f" at {error.line}:{error.column}") if error.line else message


def _interpreted(
    formulas: Sequence[CompiledFormula], frame: BulkFrame, now: datetime, tz: tzinfo
) -> list[Outcome | Unevaluable]:
    """Every formula record by record: for a few rows, the interpreter costs less than
    planning the bulk expressions (and gives the same values: the bulk path is held to it)."""
    outcomes: list[Outcome | Unevaluable] = []
    for formula in formulas:
        values: list[object] = []
        failed: dict[int, str] = {}
        for row in range(frame.height):
            try:
                values.append(formula.evaluate(frame.records[row], now, tz=tz, errors="raise"))
            except FormulaError as error:
                values.append(None)
                failed[row] = _fault(error)
        outcomes.append(_outcome(values, failed))
    return outcomes


def _evaluate(
    formulas: Sequence[CompiledFormula], frame: BulkFrame, now: datetime, tz: tzinfo
) -> list[Outcome | Unevaluable]:
    """Every formula over `frame` in one go (the interpreter's for a few rows); if that
    raises, one by one, so one formula's failure is its own."""
    if frame.height <= INTERPRETED_ROWS:
        return _interpreted(formulas, frame, now, tz)
    try:
        return [_bulk_outcome(r) for r in evaluate_bulk_many(formulas, frame, now, tz=tz)]
    except Exception:  # a bug in one formula's bulk plan must not stop the others
        logger.exception("bulk evaluation of %d formulas failed; one by one", len(formulas))
    outcomes: list[Outcome | Unevaluable] = []
    for formula in formulas:
        try:
            [result] = evaluate_bulk_many([formula], frame, now, tz=tz)
        except Exception as error:
            outcomes.append(Unevaluable(f"evaluation failed: {type(error).__name__}"))
        else:
            outcomes.append(_bulk_outcome(result))
    return outcomes


@dataclass(frozen=True)
class PassFormulas:
    rules: dict[str, RuleOutcome | Unevaluable]  # by rule id
    milestones: dict[str, Outcome | Unevaluable]  # by milestone id


@dataclass(frozen=True)
class CompiledPass:
    """The pass's formulas compiled, in the order `evaluate_compiled` evaluates them, and
    what did not compile."""

    formulas: list[CompiledFormula]
    rules: dict[str, tuple[int, CompiledTemplate]]  # rule id -> (its condition's index, message)
    milestones: dict[str, int]  # milestone id -> its formula's index
    failed: PassFormulas  # the rules and milestones that did not compile, and why

    @property
    def references(self) -> frozenset[str]:
        """Every field the formulas read (the catalog's spelling): what the frame needs."""
        return frozenset().union(*(formula.references for formula in self.formulas))


def compile_formulas(
    rules: Sequence[RuleState], milestones: Mapping[str, str], catalog: Mapping[str, str]
) -> CompiledPass:
    """Compile `rules` (conditions and messages) and `milestones` (id -> formula) against the
    org's `catalog`."""
    formulas: list[CompiledFormula] = []
    compiled_rules: dict[str, tuple[int, CompiledTemplate]] = {}
    compiled_milestones: dict[str, int] = {}
    failed = PassFormulas({}, {})
    key = catalog_key(catalog)
    for rule in rules:
        try:
            condition = _ready("checkbox", CompiledFormula, rule.condition, key)
            template = _ready("template", CompiledTemplate, rule.message, key)
        except Unevaluable as why:
            failed.rules[rule.id] = why
            continue
        compiled_rules[rule.id] = (len(formulas), template)
        formulas.append(condition)
        formulas += [part for part in template.parts if not isinstance(part, str)]
    for milestone_id, text in milestones.items():
        try:
            compiled = _ready("checkbox", CompiledFormula, text, key)
        except Unevaluable as why:
            failed.milestones[milestone_id] = why
            continue
        compiled_milestones[milestone_id] = len(formulas)
        formulas.append(compiled)
    return CompiledPass(formulas, compiled_rules, compiled_milestones, failed)


def evaluate_compiled(
    compiled: CompiledPass, frame: BulkFrame, now: datetime, tz: tzinfo
) -> PassFormulas:
    """Every formula of `compiled` over `frame` (which has a column for each of its
    references) at `now`, in the org's zone `tz`."""
    outcomes = _evaluate(compiled.formulas, frame, now, tz) if compiled.formulas else []
    rule_results = dict(compiled.failed.rules)
    milestone_results = dict(compiled.failed.milestones)
    for rule_id, (first, template) in compiled.rules.items():
        rule_results[rule_id] = _rule_outcome(template, outcomes, first, tz)
    for milestone_id, index in compiled.milestones.items():
        milestone_results[milestone_id] = outcomes[index]
    return PassFormulas(rule_results, milestone_results)


def evaluate_formulas(
    rules: Sequence[RuleState],
    milestones: Mapping[str, str],
    catalog: Mapping[str, str],
    frame: BulkFrame,
    now: datetime,
    tz: tzinfo,
) -> PassFormulas:
    """`compile_formulas` then `evaluate_compiled`, over a frame built for `catalog`."""
    return evaluate_compiled(compile_formulas(rules, milestones, catalog), frame, now, tz)


def _rule_outcome(
    template: CompiledTemplate, outcomes: Sequence[Outcome | Unevaluable], first: int, tz: tzinfo
) -> RuleOutcome | Unevaluable:
    condition = outcomes[first]
    if isinstance(condition, Unevaluable):
        return condition
    parts: list[str | Outcome] = []
    types: list[FormulaType | None] = []
    index = first + 1
    for part in template.parts:
        if isinstance(part, str):
            parts.append(part)
            types.append(None)
            continue
        outcome = outcomes[index]
        index += 1
        if isinstance(outcome, Unevaluable):
            return Unevaluable(f"the message could not be rendered: {outcome}")
        parts.append(outcome)
        types.append(part.result_type)
    formulas = [part for part in template.parts if not isinstance(part, str)]
    moves = any(f.uses_now or f.references & FACT_FIELDS.keys() for f in formulas)
    return RuleOutcome(condition, parts, types, moves, tz)
