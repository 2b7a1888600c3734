"""Differential testing against formulon, the JavaScript implementation of Salesforce formulas.

Generated formulas over generated records (without blanks: see DEPARTURES) go through formulon
and through dealpulse's interpreter; every answer must agree (numbers to 1e-9 relative, as
formulon computes in binary doubles). Where formulon departs from Salesforce's documented
behaviour, `DEPARTURES` records the case: formulon's answer, ours, and why ours is right;
each is asserted, so a formulon upgrade that changes one shows up. An unexpected disagreement
fails the test.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rules.formula import FormulaType, compile_formula
from tests import node_packages
from tests.rules.formula.formulon import client

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)
FIELDS = {
    "Amount": "currency",
    "Qty": "double",
    "Probability": "percent",
    "CloseDate": "date",
    "Created": "datetime",
    "Name": "string",
    "Stage": "picklist",
    "Flag": "boolean",
}


@pytest.fixture(scope="session")
def formulon(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return node_packages.installed(request, tmp_path_factory, client.HERE)


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, Decimal) and isinstance(theirs, Decimal):
        scale = max(abs(ours), abs(theirs), Decimal(1))
        return abs(ours - theirs) <= scale * Decimal("1e-9")
    return type(ours) is type(theirs) and ours == theirs


def _evaluate(formulon: Path, cases: list[tuple[str, dict[str, Any]]]) -> list[tuple[Any, Any]]:
    payload = [
        {"formula": text, "identifiers": client.to_identifiers(FIELDS, record)}
        for text, record in cases
    ]
    answers = client.run(formulon, payload, NOW)
    return [
        (_ours(text, record), client.from_formulon(answer))
        for (text, record), answer in zip(cases, answers, strict=True)
    ]


def _ours(text: str, record: dict[str, Any]) -> Any:
    """Our answer in formulon's units: a percent result comes back in percent points from
    `evaluate` (12.5 for 12.5 %), while formulas, and formulon, compute with the fraction."""
    compiled = compile_formula(text, FIELDS)
    value = compiled.evaluate(record, NOW)
    if compiled.result_type is FormulaType.PERCENT and isinstance(value, Decimal):
        return value / 100
    return value


# -- generated formulas ----------------------------------------------------------------------


class _Gen:
    """Random well-typed formulas in the part of the language where formulon follows
    Salesforce (no blanks, no division by a field, no TEXT of numbers or datetimes)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, *options: str) -> str:
        return self.rng.choice(options)

    def number(self, depth: int) -> str:
        r = self.rng.randrange(9 if depth > 0 else 2)
        if r == 0:
            return self.pick("Amount", "Qty", "Probability")
        if r == 1:
            return self.pick("0", "1", "2", "3", "0.5", "1.25", "100", "30")
        d = depth - 1
        if r == 2:
            return f"({self.number(d)} {self.pick('+', '-', '*')} {self.number(d)})"
        if r == 3:
            return f"({self.number(d)} / {self.pick('2', '4', '8', '3', '7')})"
        if r == 4:
            name = self.pick("ABS", "CEILING", "FLOOR", "MCEILING", "MFLOOR")
            return f"{name}({self.number(d)})"
        if r == 5:
            return f"ROUND({self.number(d)}, {self.pick('0', '1', '2')})"
        if r == 6:
            return f"{self.pick('MAX', 'MIN')}({self.number(d)}, {self.number(d)})"
        if r == 7:
            return f"LEN({self.text(d)})"
        return f"IF({self.checkbox(d)}, {self.number(d)}, {self.number(d)})"

    def text(self, depth: int) -> str:
        r = self.rng.randrange(7 if depth > 0 else 2)
        if r == 0:
            return "Name"
        if r == 1:
            return self.pick("'Acme'", "'x y'", "'Call back'", "'b'")
        d = depth - 1
        if r == 2:
            return f"({self.text(d)} & {self.text(d)})"
        if r == 3:
            return f"{self.pick('UPPER', 'LOWER', 'TRIM')}({self.text(d)})"
        if r == 4:
            return f"{self.pick('LEFT', 'RIGHT')}({self.text(d)}, {self.pick('0', '1', '3')})"
        if r == 5:
            return "TEXT(Stage)"
        return f"SUBSTITUTE({self.text(d)}, 'a', '-')"

    def date(self, depth: int) -> str:
        r = self.rng.randrange(4 if depth > 0 else 2)
        if r == 0:
            return "CloseDate"
        if r == 1:
            return "TODAY()"
        if r == 2:
            return f"({self.date(depth - 1)} + {self.pick('1', '30', '-7')})"
        return f"ADDMONTHS({self.date(depth - 1)}, {self.pick('1', '-1', '12')})"

    def checkbox(self, depth: int) -> str:
        r = self.rng.randrange(10 if depth > 0 else 3)
        if r == 0:
            return "Flag"
        if r == 1:
            return f"ISPICKVAL(Stage, {self.pick(repr('Prospecting'), repr('Closed Won'))})"
        if r == 2:
            return self.pick("TRUE", "FALSE")
        d = depth - 1
        op = self.pick("=", "<>", "<", "<=", ">", ">=")
        if r == 3:
            return f"({self.number(d)} {op} {self.number(d)})"
        if r == 4:
            return f"({self.date(d)} {op} {self.date(d)})"
        if r == 5:
            return f"({self.text(d)} {self.pick('=', '<>')} {self.text(d)})"
        if r == 6:
            args = ", ".join(self.checkbox(d) for _ in range(self.rng.randint(1, 3)))
            return f"{self.pick('AND', 'OR')}({args})"
        if r == 7:
            return f"NOT({self.checkbox(d)})"
        if r == 8:
            return f"{self.pick('CONTAINS', 'BEGINS')}({self.text(d)}, {self.text(d)})"
        return f"({self.checkbox(d)} {self.pick('&&', '||')} {self.checkbox(d)})"

    def formula(self) -> str:
        kind = self.rng.randrange(4)
        if kind == 0:
            return self.number(3)
        if kind == 1:
            return self.text(3)
        if kind == 2:
            return self.date(2)
        return self.checkbox(3)

    def record(self) -> dict[str, Any]:
        return {
            "Amount": self.rng.choice([0, 1, -3, 1234.5, 100000, 0.125, 99.99]),
            "Qty": self.rng.choice([0, 1, 2, 7, 12, -4, 0.5]),
            "Probability": self.rng.choice([0, 10, 12.5, 50, 100]),
            "CloseDate": (NOW.date() + timedelta(days=self.rng.randint(-60, 60))).isoformat(),
            "Created": (NOW - timedelta(hours=self.rng.randint(0, 2000))).isoformat(),
            "Name": self.rng.choice(["Acme", "acme corp", "Call back", "b", "Zed"]),
            "Stage": self.rng.choice(["Prospecting", "Closed Won"]),
            "Flag": self.rng.random() < 0.5,
        }


def test_generated_formulas_agree_with_formulon(formulon: Path) -> None:
    gen = _Gen(seed=20260615)
    cases = [(gen.formula(), gen.record()) for _ in range(600)]
    disagreements = [
        (text, record, ours, theirs)
        for (text, record), (ours, theirs) in zip(cases, _evaluate(formulon, cases), strict=True)
        if not _same(ours, theirs)
    ]
    assert disagreements == []


# -- where formulon departs from Salesforce ---------------------------------------------------


@dataclass(frozen=True)
class Departure:
    formula: str
    record: dict[str, Any]
    formulon: Any  # formulon's answer (("error", type) for an error or a crash)
    dealpulse: Any  # ours, which follows Salesforce's documentation
    reason: str


BASE: dict[str, Any] = {
    "Amount": 100,
    "Qty": 2,
    "Probability": 50,
    "CloseDate": "2026-06-01",
    "Created": "2026-06-01T10:00:00Z",
    "Name": "Acme",
    "Stage": "Prospecting",
    "Flag": True,
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**BASE, **changes}


DEPARTURES = [
    Departure(
        "Amount + 1",
        _with(Amount=None),
        ("error", "ArgumentError"),
        None,
        "Salesforce treats blank fields as blanks: arithmetic with a blank number is blank; "
        "formulon gives a blank field the type 'null' and rejects it as an argument.",
    ),
    Departure(
        "Amount > 1",
        _with(Amount=None),
        False,
        None,
        "A comparison with a blank is unknown in dealpulse (documented: it never fires an "
        "alert, and NOT() of it does not fire either); formulon answers false, so "
        "NOT(Amount > 1) would fire on a blank Amount.",
    ),
    Departure(
        "LEN(Name)",
        _with(Name=None),
        ("error", "crash"),
        Decimal(0),
        "Salesforce reads blank text as the empty string (LEN is 0); formulon throws a "
        "TypeError reading the length of null.",
    ),
    Departure(
        "IF(Qty = 0, 0, 1 / Qty) = 0",
        _with(Qty=0),
        True,
        True,
        "Agreement, but only by accident: formulon evaluates both IF branches eagerly "
        "(Salesforce evaluates lazily); its 1/0 is Infinity, not #Error!, so it does not fail.",
    ),
    Departure(
        "1 / Qty",
        _with(Qty=0),
        None,
        None,
        "Both blank: division by zero is #Error! in Salesforce, which dealpulse shows as blank "
        "for that record; formulon's Infinity becomes null.",
    ),
    Departure(
        "MAX(Amount, 1)",
        _with(Amount=None),
        Decimal(1),
        None,
        "A blank argument makes a math function blank in Salesforce; formulon's Math.max "
        "reads null as 0.",
    ),
    Departure(
        "0.1 * 3 = 0.3",
        BASE,
        True,
        True,
        "Agreement: formulon uses decimal.js for + - * / (then converts to a double), and "
        "dealpulse uses Decimal, so the binary-float surprise does not appear.",
    ),
    Departure(
        "ROUND(1.005, 2)",
        BASE,
        Decimal(1),
        Decimal("1.01"),
        "ROUND is half away from zero on the decimal value (1.005 -> 1.01); formulon rounds "
        "the binary double 100.49999... and gets 1.",
    ),
    Departure(
        "TEXT(Created)",
        BASE,
        "2026-06-01 10:00:00Z",
        "2026-06-01 10:00:00Z",
        "Salesforce prints TEXT(datetime) in GMT with a trailing Z; formulon drops the Z.",
    ),
    Departure(
        "TEXT(Amount)",
        _with(Amount=1.5),
        "1.5",
        "1.5",
        "Agreement for this value; formulon formats the double, dealpulse the decimal.",
    ),
    Departure(
        "ISBLANK(Amount) && NOT(Amount > 1)",
        _with(Amount=None),
        True,
        None,
        "How the blank-comparison departure reaches an alert: formulon would fire this rule on "
        "a blank Amount, dealpulse does not (unknown never fires).",
    ),
]


@pytest.mark.parametrize("departure", DEPARTURES, ids=[d.formula for d in DEPARTURES])
def test_documented_departures(formulon: Path, departure: Departure) -> None:
    ((ours, theirs),) = _evaluate(formulon, [(departure.formula, departure.record)])
    assert theirs == departure.formulon, departure.reason
    assert ours == departure.dealpulse, departure.reason
