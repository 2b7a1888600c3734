"""Salesforce's published formula examples (../shared/data/formula-vectors) through the engine.

The vectors are read from the shared data folder at test time, never copied into the repository.
Every case runs: in-scope cases must give the expected result; the cases in LEFT_OUT must fail
to compile with the stated error code (so a case cannot silently drift in or out of scope).
README.md, section "Formula engine", lists the same cases and reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from rules.formula import FormulaError, compile_formula
from tests.shared_data import shared_data

VECTORS = shared_data("formula-vectors")
NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)

LINK = "builds a link (HYPERLINK) for a page layout; an alert condition has no page to put it on"
IMAGE = "renders an image (IMAGE) on a page layout; an alert condition has no page to put it on"
SESSION = "needs the viewing user's session (GETSESSIONID) and builds a link (HYPERLINK)"

# (file, example name) -> reason. Each must fail to compile with unsupported_function.
# The same list is in README.md, section "Formula engine".
LEFT_OUT: dict[tuple[str, str], str] = {
    ("02_account_media_service", "BBC™ News Search"): LINK,
    ("02_account_media_service", "Bloomberg™ News Search"): LINK,
    ("02_account_media_service", "CNN™ News Search"): LINK,
    ("02_account_media_service", "MarketWatch™ Search"): LINK,
    ("02_account_media_service", "Google™ Search"): LINK,
    ("02_account_media_service", "Google News Search"): LINK,
    ("02_account_media_service", "Yahoo!™ Search"): LINK,
    ("02_account_media_service", "Yahoo! News Search"): LINK,
    ("03_case_management", "Autodial"): LINK,
    ("12_image_link", "Stars for Ratings"): IMAGE,
    ("12_image_link", "Consumer Reports™—Style Colored Circles for Ratings"): IMAGE,
    ("12_image_link", "Flags for Case Priority"): IMAGE,
    ("12_image_link", "Color Squares for Case Age"): IMAGE,
    ("12_image_link", "Horizontal Bars to Indicate Scoring"): IMAGE,
    ("12_image_link", "Yahoo! Instant Messenger™ Image"): IMAGE,
    ("13_integration_link", "Shipment Tracking Integration"): LINK,
    ("13_integration_link", "Skype™ Auto Dialer Integration"): LINK,
    ("13_integration_link", "Application API Link"): SESSION,
    ("16_opportunity_management", "Sales Coach"): LINK,
}


@dataclass(frozen=True)
class Case:
    file: str
    example: str
    context: str
    formula: str
    identifiers: dict[str, Any]
    expected: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.example}:{self.context}"


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(VECTORS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for example in data["examples"]:
            for suite in example["suites"]:
                cases.append(
                    Case(
                        file=path.stem,
                        example=example["name"],
                        context=suite.get("context", ""),
                        formula=example["formula"],
                        identifiers=suite["identifiers"],
                        expected=suite["expectedResult"],
                    )
                )
    return cases


CASES = load_cases()


def _matches(actual: object, expected: dict[str, Any]) -> bool:
    kind, value = expected["dataType"], expected["value"]
    if kind == "null" or value is None:
        return actual is None
    if kind == "text":
        return (actual or "") == value
    if kind == "checkbox":
        return actual is value
    if kind == "number":
        if not isinstance(actual, Decimal):
            return False
        return abs(actual - Decimal(str(value))) <= Decimal("1e-9") * max(1, abs(actual))
    if kind == "date":
        return isinstance(actual, date) and actual.isoformat() == value
    if kind == "datetime":
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return actual == moment
    raise AssertionError(f"unknown expected type {kind}")


def test_vectors_are_present() -> None:
    assert len(CASES) == 241
    examples = {(case.file, case.example) for case in CASES}
    assert set(LEFT_OUT) <= examples
    in_scope = [case for case in CASES if (case.file, case.example) not in LEFT_OUT]
    assert len(in_scope) == 200


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_vector(case: Case) -> None:
    fields = {name: spec["dataType"] for name, spec in case.identifiers.items()}
    record = {name: spec["value"] for name, spec in case.identifiers.items()}
    if (case.file, case.example) in LEFT_OUT:
        with pytest.raises(FormulaError) as caught:
            compile_formula(case.formula, fields)
        assert caught.value.code == "unsupported_function"
        return
    formula = compile_formula(case.formula, fields)
    actual = formula.evaluate(record, now=NOW, errors="raise")
    assert _matches(actual, case.expected), (case.formula, actual, case.expected)
