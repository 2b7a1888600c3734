"""A mirror of N opportunities written straight into a dealpulse database, for the evaluation
benchmark: the org, its Organization (Los Angeles), stages, roles, users, accounts,
opportunities (typed columns + the `fields` JSON as the sync writes it: numbers as JSON
numbers) and their derived facts, with the shapes of bench_data.make_records.

Syncing 100,000 opportunities from devorg takes minutes (bench_sync.py); evaluation reads only
the mirror, so the bench writes it directly with multi-row inserts, in about 10-30 s.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bench_data import FIELDS, STAGES, make_records
from sqlalchemy import Engine, insert
from sqlmodel import SQLModel

from rules.catalog import FACT_FIELDS
from store.models import (
    Account,
    DerivedFacts,
    FieldCatalog,
    Opportunity,
    OpportunityStage,
    Org,
    Organization,
    SfUser,
    UserRole,
)

ORG_ID = "00DBENCH000000001A"
TIME_ZONE = "America/Los_Angeles"
ACCOUNTS = 12_500
INSERT_CHUNK = 2_000
# The describe fields of make_records (the facts are dealpulse's, not Salesforce's).
DESCRIBE_FIELDS = {name: kind for name, kind in FIELDS.items() if name not in FACT_FIELDS}
READ_ONLY = {"ExpectedRevenue", "IsClosed", "IsWon", "CreatedDate", "LastStageChangeDate",
             "LastActivityDate"}  # fmt: skip
INDUSTRIES = ("Technology", "Healthcare", "Finance", "Retail", "Manufacturing", None)


def sf_id(prefix: str, number: int) -> str:
    return f"{prefix}{number:012d}AAA"


def describe() -> dict[str, Any]:
    """The Opportunity describe of the bench org: make_records' fields."""
    return {
        "name": "Opportunity",
        "fields": [
            {"name": name, "type": kind, "label": name, "updateable": name not in READ_ONLY,
             "nillable": True}
            for name, kind in DESCRIBE_FIELDS.items()
        ],
    }  # fmt: skip


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), INSERT_CHUNK):
        yield rows[start : start + INSERT_CHUNK]


def _write(engine: Engine, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    table = SQLModel.metadata.tables[str(model.__tablename__)]
    with engine.begin() as connection:
        for chunk in _chunks(rows):
            connection.execute(insert(table), list(chunk))


def _people(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    roles = [{"org_id": ORG_ID, "id": sf_id("00E", 0), "name": "VP Sales",
              "parent_role_id": None}]  # fmt: skip
    for region in range(12):
        roles.append({"org_id": ORG_ID, "id": sf_id("00E", region + 1),
                      "name": f"Region {region} Rep",
                      "parent_role_id": roles[0]["id"]})  # fmt: skip
    users = []
    for number in range(42):
        role = roles[number % len(roles)]
        users.append({
            "org_id": ORG_ID, "id": sf_id("005", number), "name": f"Rep {number}",
            "username": f"rep{number}@bench", "email": f"rep{number}@example.com",
            "title": rng.choice(("Account Executive", "Sales Manager", None)),
            "is_active": number != 41, "manager_id": None, "user_role_id": role["id"],
            "profile_name": "System Administrator" if number == 0 else "Standard User",
        })  # fmt: skip
    return roles, users


def _accounts(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"org_id": ORG_ID, "id": sf_id("001", number), "name": f"Account {number}",
         "type": rng.choice(("Customer - Direct", "Prospect", None)),
         "industry": rng.choice(INDUSTRIES), "billing_country": rng.choice(("US", "DE", None)),
         "number_of_employees": rng.choice((None, 10, 250, 5000)),
         "annual_revenue": rng.choice((None, Decimal(1_000_000), Decimal(250_000_000))),
         "owner_id": None, "is_deleted": False}
        for number in range(ACCOUNTS)
    ]  # fmt: skip


def _opportunity(number: int, record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    opp_id = sf_id("006", number)
    fields = {"Id": opp_id, **{k: v for k, v in record.items() if k in DESCRIBE_FIELDS}}
    amount = record["Amount"]
    created = datetime.fromisoformat(record["CreatedDate"])
    return {
        "org_id": ORG_ID, "id": opp_id, "name": record["Name"],
        "account_id": sf_id("001", rng.randrange(ACCOUNTS)),
        "owner_id": sf_id("005", rng.randrange(42)), "stage_name": record["StageName"],
        "amount": None if amount is None else Decimal(repr(amount)),
        "close_date": date.fromisoformat(record["CloseDate"]),
        "probability": float(record["Probability"]),
        "forecast_category_name": record["ForecastCategoryName"],
        "is_closed": record["IsClosed"], "is_won": record["IsWon"], "type": record["Type"],
        "lead_source": record["LeadSource"], "next_step": record["NextStep"],
        "created_date": created, "last_modified_date": created, "system_modstamp": created,
        "is_deleted": False, "fields": fields,
    }  # fmt: skip


def _facts(opp_id: str, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    meeting = record["Next_Meeting_Date__c"]
    return {
        "org_id": ORG_ID, "opportunity_id": opp_id,
        "stage_entered_at": datetime.fromisoformat(record["LastStageChangeDate"]),
        "stage_number": record["StageNumber"],
        "close_date_push_count": record["CloseDatePushCount"],
        "amount_change_since_creation": None,
        "last_activity_date": date.fromisoformat(record["LastActivityDate"]),
        "next_meeting_date": None if meeting is None else date.fromisoformat(meeting),
        "computed_at": now,
    }  # fmt: skip


def build_mirror(engine: Engine, opportunities: int, *, seed: int, now: datetime) -> None:
    """Write the bench org into the (migrated, empty) database of `engine`."""
    rng = random.Random(seed)
    _write(engine, Org, [{"id": ORG_ID, "name": "Bench org", "instance_url": "http://bench",
                          "auth_flow": "jwt", "client_id": "bench",
                          "created_at": now}])  # fmt: skip
    _write(engine, Organization, [{"org_id": ORG_ID, "id": ORG_ID, "name": "Bench org",
                                   "time_zone_sid_key": TIME_ZONE,
                                   "default_currency_iso_code": "USD"}])  # fmt: skip
    _write(engine, FieldCatalog, [{"org_id": ORG_ID, "sobject": "Opportunity",
                                   "describe": describe(), "fetched_at": now}])  # fmt: skip
    _write(engine, OpportunityStage, [
        {"org_id": ORG_ID, "id": sf_id("01J", order), "api_name": name, "label": name,
         "sort_order": order, "is_active": True, "is_closed": name.startswith("Closed"),
         "is_won": name == "Closed Won", "default_probability": float(probability),
         "forecast_category_name": None}
        for order, (name, probability) in enumerate(STAGES)
    ])  # fmt: skip
    roles, users = _people(rng)
    _write(engine, UserRole, roles)
    _write(engine, SfUser, users)
    _write(engine, Account, _accounts(rng))
    records = make_records(opportunities, seed=seed, today=now.astimezone(UTC).date())
    rows = [_opportunity(number, record, rng) for number, record in enumerate(records)]
    _write(engine, Opportunity, rows)
    _write(engine, DerivedFacts, [
        _facts(row["id"], record, now) for row, record in zip(rows, records, strict=True)
    ])  # fmt: skip
