"""`dealpulse formula check|eval`: compile and evaluate a formula from the command line.

Output is one JSON object on stdout: `{"type": ..., "value": ...}` (check prints the type and
the referenced fields), or `{"error": {"code", "message", "line", "column", "suggestion"}}` with
exit status 2. Numbers are printed as JSON *strings* holding the exact decimal ("1250000.00"),
so no JSON reader turns them into binary floats; dates, datetimes and times are ISO 8601
strings; checkbox values are JSON booleans; blank is null. `eval` reports a #Error! result as
an error with code "evaluation" and the failing position. `eval --tz America/Los_Angeles`
takes dates in that IANA time zone (TODAY() is the date of --now there; default UTC); an
unknown zone is an error with code "unknown_time_zone".
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

formula_app = typer.Typer(no_args_is_help=True, help="Check and evaluate Salesforce formulas.")

FieldsOption = Annotated[
    Path, typer.Option("--fields", help="JSON file: {field name: Salesforce field type}.")
]


class InputError(Exception):
    """A problem with the command's input files (not with the formula)."""


def to_json(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _emit(payload: dict[str, object], status: int = 0) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False))
    if status:
        raise typer.Exit(status)


def _error(code: str, message: str, line: int = 0, column: int = 0) -> dict[str, object]:
    detail = {"code": code, "message": message, "line": line, "column": column}
    return {"error": {**detail, "suggestion": None}}


def _read_json(path: Path, what: str) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read the {what} file {str(path)!r}: {error}") from None
    if not isinstance(data, dict):
        raise InputError(f"the {what} file must hold a JSON object")
    return data


def _now(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--now {raw!r} is not an ISO 8601 date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _run(
    formula: str, fields: Path, record: Path | None, now: str | None, tz: str | None = None
) -> None:
    from rules.formula import FormulaError, compile_formula

    try:
        catalog = _read_json(fields, "fields")
        compiled = compile_formula(formula, catalog)  # type: ignore[arg-type]
        if record is None:
            _emit({"type": str(compiled.result_type), "references": sorted(compiled.references)})
            return
        values = _read_json(record, "record")
        result = compiled.evaluate(values, now=_now(now), tz=tz, errors="raise")
    except InputError as error:
        _emit(_error("bad_input", str(error)), 2)
        return
    except FormulaError as error:
        _emit({"error": error.to_dict()}, 2)
        return
    _emit({"type": str(compiled.result_type), "value": to_json(result)})


@formula_app.command("check")
def check(
    formula: Annotated[str, typer.Argument(help="The formula text.")],
    fields: FieldsOption,
) -> None:
    """Parse and type-check FORMULA; print its result type and referenced fields."""
    _run(formula, fields, None, None)


@formula_app.command("eval")
def evaluate(
    formula: Annotated[str, typer.Argument(help="The formula text.")],
    fields: FieldsOption,
    record: Annotated[Path, typer.Option("--record", help="JSON file: the record's values.")],
    now: Annotated[
        str | None, typer.Option("--now", help="ISO 8601 moment for TODAY()/NOW().")
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="IANA time zone dates are taken in (default UTC)."),
    ] = None,
) -> None:
    """Evaluate FORMULA over one record; print its type and value."""
    _run(formula, fields, record, now, tz)
