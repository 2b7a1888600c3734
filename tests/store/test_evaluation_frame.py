"""The evaluation pass's fast read (`load_evaluation_frame`) gives exactly the frame of the
reference path (`load_evaluation_sources` + `evaluation_frame`): every column's values and
dtype, the unfit rows, the records the interpreter reads, and so every formula's results, over
devorg's seeded mirror and over crafted rows (blanks, money precision, dates, checkboxes,
related fields, day counts in the org's zone), on both databases."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from rules import evaluation_columns
from rules.catalog import rule_catalog
from rules.evaluation_records import evaluation_frame
from rules.fact_registry import Moment
from rules.formula import compile_formula
from rules.formula.bulk import evaluate_bulk_many
from rules.formula.bulk_frame import raw_value
from store.evaluation import EvaluationFrame, load_evaluation_frame, load_evaluation_sources
from store.mirror import READ_CHUNK, Mirror
from store.models import Opportunity
from tests import factories as f
from tests.devorg_server import RunningDevorg
from tests.store.test_evaluation import synced_devorg
from tests.store_backends import counting

LA = ZoneInfo("America/Los_Angeles")


def assert_same_as_reference(
    engine: Engine,
    org_id: str,
    catalog: dict[str, str],
    moment: Moment,
    *,
    references: Collection[str] | None = None,
    opportunity_ids: Sequence[str] | None = None,
) -> EvaluationFrame:
    fast = load_evaluation_frame(
        engine, org_id, catalog, moment, references=references, opportunity_ids=opportunity_ids
    )
    sources = load_evaluation_sources(engine, org_id, opportunity_ids)
    reference = evaluation_frame(sources, catalog, moment)
    names = fast.frame.frame.columns
    assert fast.ids == [source.opportunity_id for source in sources]
    expected = reference.frame.select(names)
    assert fast.frame.frame.schema == expected.schema
    assert fast.frame.frame.equals(expected)
    assert fast.frame.types == {name: reference.types[name] for name in names}
    assert fast.frame.unfit == {n: r for n, r in reference.unfit.items() if n in names}
    assert len(fast.frame.records) == len(sources)
    for row, record in enumerate(fast.frame.records):
        assert dict(record) == {n: raw_value(reference.records[row], n) for n in names}
    return fast


def _edge_catalog() -> dict[str, str]:
    kinds = {
        "Name": "string", "StageName": "picklist", "Amount": "currency", "Probability": "percent",
        "NextStep": "string", "Budget_Confirmed__c": "boolean", "Next_Meeting_Date__c": "date",
        "LastStageChangeDate": "datetime", "Seats__c": "double", "Tags__c": "multipicklist",
        "Discount__c": "percent", "Missing__c": "string",
    }  # fmt: skip
    return rule_catalog({"fields": [{"name": n, "type": t} for n, t in kinds.items()]})


def _edge_rows(engine: Engine) -> list[Opportunity]:
    team = f.team(engine)
    rep, no_role = team.reps[0], f.user(engine, "No Role")
    acme = f.account(engine, "Acme", type="Customer - Direct")
    gone = f.account(engine, "Gone", is_deleted=True)
    poor = f.account(engine, "Poor", annual_revenue=None, type=None)
    rows = [
        f.opportunity(engine, rep, account=acme, amount=Decimal("1234567890123456.78"), fields={
            "Name": 'Zoë "quoted" \\ back', "Probability": 12.5, "Budget_Confirmed__c": True,
            "Next_Meeting_Date__c": "2026-02-28",
            "LastStageChangeDate": "2026-02-20T07:30:00.000+0000",
            "Seats__c": 2.5, "Tags__c": ["a", "b"], "Discount__c": 10, "NextStep": "Call",
            "Amount": 1234567890123456.8,
        }),
        f.opportunity(engine, rep, account=gone, amount=Decimal("0.10"), fields={
            "Name": "Ünïcode ✓", "Probability": 0.5, "Budget_Confirmed__c": False,
            "Next_Meeting_Date__c": "2026-02-30", "LastStageChangeDate": None,
            "Seats__c": 1e-05, "Tags__c": "a;b", "Discount__c": 1200, "NextStep": "",
        }),
        f.opportunity(engine, no_role, account=poor, amount=None, fields={
            "Name": None, "Probability": None, "Budget_Confirmed__c": None,
            "Next_Meeting_Date__c": None, "Seats__c": 10**20, "Discount__c": None,
        }),
        f.opportunity(engine, team.admin, amount=Decimal("200000.00"), fields={
            "Name": "Integral", "Probability": 100, "Budget_Confirmed__c": "true",
            "Next_Meeting_Date__c": " 2026-03-02", "Seats__c": -0.0, "Discount__c": "50",
            "Amount": 200000.0,
        }),
        f.opportunity(engine, rep, amount=Decimal("-3.50"), fields={
            "Name": True, "Next_Meeting_Date__c": "0000-01-01", "Seats__c": "12.50",
            "Amount": -3.5,
        }),
    ]  # fmt: skip
    # no Amount key in the JSON at all: the reference then reads no Amount (not the column)
    bare = Opportunity(org_id=f.ORG_A, id=f.sf_id("006"), name="Bare", owner_id=rep.id,
                       stage_name="Prospecting", amount=Decimal(5), fields={"Name": "Bare"},
                       created_date=f.NOW - timedelta(hours=20))  # fmt: skip
    f.add(engine, bare)
    # stage entered 23:30 in Los Angeles on Feb 27 (07:30 UTC on the 28th); one with NULL facts
    f.facts(engine, rows[0], stage_entered_at=datetime(2026, 2, 28, 7, 30, tzinfo=UTC),
            stage_number=2, close_date_push_count=3, amount_change_since_creation=Decimal("-1.25"),
            last_activity_date=datetime(2026, 2, 27).date(), next_meeting_date=None)  # fmt: skip
    f.facts(engine, rows[1])
    f.opportunity(engine, rep, stage="Closed Won")  # closed and deleted: never read
    f.opportunity(engine, rep, is_deleted=True)
    return [*rows, bare]


@pytest.mark.parametrize("few", [0, evaluation_columns.FEW])
def test_crafted_rows_give_the_reference_frame(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    # few=0: even these few rows take the column-at-once paths
    monkeypatch.setattr(evaluation_columns, "FEW", few)
    _edge_rows(store_engine)
    catalog = _edge_catalog()
    # just after midnight in Los Angeles, and at noon UTC (04:00 there)
    for now in (datetime(2026, 3, 1, 8, 5, tzinfo=UTC), f.NOW):
        for zone in (LA, UTC):
            fast = assert_same_as_reference(store_engine, f.ORG_A, catalog, Moment(now, zone))
    assert fast.frame.unfit.keys() >= {"Amount", "Next_Meeting_Date__c", "Seats__c", "Name"}
    assert Decimal("200000.00") in fast.amounts
    assert None in fast.amounts


def test_a_subset_of_columns_reads_only_what_it_needs(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluation_columns, "FEW", 0)
    rows = _edge_rows(store_engine)
    catalog = _edge_catalog()
    moment = Moment(f.NOW, LA)
    for references in (
        ["amount", "DaysInStage"],  # any case, as formulas may write them
        ["Owner.UserRole.Name", "Account.AnnualRevenue", "Owner.IsActive"],
        ["AgeInDays"], ["NextStep"], ["StageEnteredAt", "NextMeetingDate", "DaysSinceLastActivity"],
        [],
    ):  # fmt: skip
        fast = assert_same_as_reference(
            store_engine, f.ORG_A, catalog, moment, references=references
        )
        assert len(fast.frame.frame.columns) == len({r.lower() for r in references})
    fast = assert_same_as_reference(
        store_engine, f.ORG_A, catalog, moment, opportunity_ids=[rows[1].id, rows[0].id, "x"]
    )
    assert fast.ids == sorted([rows[0].id, rows[1].id])


def test_results_of_formulas_are_the_reference_s(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evaluation_columns, "FEW", 0)
    _edge_rows(store_engine)
    catalog = _edge_catalog()
    now = datetime(2026, 3, 1, 8, 5, tzinfo=UTC)
    moment = Moment(now, LA)
    formulas = [
        compile_formula(text, catalog)
        for text in (
            "Amount > 100",  # unfit rows (money beyond 10^15) go to the interpreter
            "AND(NOT(ISBLANK(Next_Meeting_Date__c)), Next_Meeting_Date__c < TODAY())",
            "DaysInStage >= 1",
            "Probability > 0.1",
            "INCLUDES(Tags__c, 'a')",  # multipicklist
            "REGEX(Name, '.*quoted.*')",
            'ISPICKVAL(Account.Industry, "Technology") && Owner.UserRole.Name <> ""',
        )
    ]
    references = {name for formula in formulas for name in formula.references}
    fast = load_evaluation_frame(store_engine, f.ORG_A, catalog, moment, references=references)
    reference = evaluation_frame(load_evaluation_sources(store_engine, f.ORG_A), catalog, moment)
    for ours, theirs in zip(
        evaluate_bulk_many(formulas, fast.frame, now, tz=LA),
        evaluate_bulk_many(formulas, reference, now, tz=LA),
        strict=True,
    ):
        assert ours.values == theirs.values
        assert ours.errors.keys() == theirs.errors.keys()
        assert ours.fallback_rows == theirs.fallback_rows


def test_one_query_per_chunk_of_ids(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rows: list[dict[str, Any]] = [
        {"org_id": f.ORG_A, "id": f"006{n:012d}BBB", "name": f"Deal {n}",
         "owner_id": team.reps[0].id, "stage_name": "Prospecting",
         "fields": {"Name": f"Deal {n}", "Amount": n + 0.5},
         "amount": Decimal(n) + Decimal("0.5"), "created_date": datetime(2026, 1, 1, tzinfo=UTC)}
        for n in range(READ_CHUNK + 10)
    ]  # fmt: skip
    f.add(store_engine, *(Opportunity(**row) for row in rows))
    catalog = _edge_catalog()
    moment = Moment(f.NOW, LA)
    with counting(store_engine) as statements:
        load_evaluation_frame(store_engine, f.ORG_A, catalog, moment, references=["Amount"])
    assert len(statements) == 1
    ids = [row["id"] for row in rows]
    with counting(store_engine) as statements:
        fast = load_evaluation_frame(
            store_engine, f.ORG_A, catalog, moment, opportunity_ids=ids, references=["Name"]
        )
    assert len(statements) == 2
    assert fast.ids == sorted(ids)
    assert_same_as_reference(store_engine, f.ORG_A, catalog, moment, opportunity_ids=ids[:20])


def test_devorg_s_seeded_mirror_gives_the_reference_frame(
    devorg: RunningDevorg, store_engine: Engine
) -> None:
    org_id = devorg.seed.org_id
    now = datetime.now(UTC)
    catalog = synced_devorg(store_engine, devorg, now)
    zone = ZoneInfo(Mirror(store_engine, org_id).time_zone() or "UTC")
    fast = assert_same_as_reference(store_engine, org_id, catalog, Moment(now, zone))
    assert len(fast.ids) > 100
    # the day counts change at midnight in the org's zone: a moment just after one
    local_midnight = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
    after = (local_midnight + timedelta(minutes=1)).astimezone(UTC)
    assert_same_as_reference(
        store_engine, org_id, catalog, Moment(after, zone),
        references=["DaysInStage", "AgeInDays", "DaysSinceLastActivity", "Amount", "CloseDate"],
    )  # fmt: skip
