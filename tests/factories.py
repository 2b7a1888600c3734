"""Small factories that write store rows, so each test arranges exactly the data it needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import SQLModel

from store.engine import session_scope
from store.models import (
    Account,
    DerivedFacts,
    FieldCatalog,
    Opportunity,
    OpportunityCompetitor,
    OpportunityHistory,
    OpportunityStage,
    Org,
    SfUser,
    SyncState,
    UserRole,
)

ORG_A = "00D000000000001AAA"
ORG_B = "00D000000000002AAA"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_serial = itertools.count(1)

STAGES = [
    # api name, sort order, closed, won, probability, forecast category
    ("Prospecting", 1, False, False, 10.0, "Pipeline"),
    ("Qualification", 2, False, False, 20.0, "Pipeline"),
    ("Proposal", 3, False, False, 60.0, "BestCase"),
    ("Negotiation", 4, False, False, 80.0, "Commit"),
    ("Closed Won", 5, True, True, 100.0, "Closed"),
    ("Closed Lost", 6, True, False, 0.0, "Omitted"),
]


def sf_id(prefix: str) -> str:
    """A well-formed 18-character Salesforce id with the given 3-character key prefix."""
    return f"{prefix}{next(_serial):012d}AAA"


def add(engine: Engine, *rows: SQLModel) -> None:
    with session_scope(engine) as session:
        for row in rows:
            session.add(row)
            session.flush()


def org(engine: Engine, org_id: str = ORG_A, *, with_stages: bool = True) -> Org:
    row = Org(
        id=org_id,
        name=f"Org {org_id[-6:]}",
        instance_url="http://x",
        auth_flow="jwt",
        client_id="c",
    )
    add(engine, row)
    if with_stages:
        add(
            engine,
            *(
                OpportunityStage(
                    org_id=org_id,
                    id=sf_id("01J"),
                    api_name=name,
                    label=name,
                    sort_order=order,
                    is_active=True,
                    is_closed=closed,
                    is_won=won,
                    default_probability=probability,
                    forecast_category_name=forecast,
                )
                for name, order, closed, won, probability, forecast in STAGES
            ),
        )
    return row


def role(
    engine: Engine, name: str, parent: UserRole | None = None, *, org_id: str = ORG_A
) -> UserRole:
    row = UserRole(
        org_id=org_id, id=sf_id("00E"), name=name, parent_role_id=parent.id if parent else None
    )
    add(engine, row)
    return row


def user(
    engine: Engine,
    name: str,
    user_role: UserRole | None = None,
    *,
    org_id: str = ORG_A,
    profile: str = "Standard User",
    manager: SfUser | None = None,
    active: bool = True,
) -> SfUser:
    row = SfUser(
        org_id=org_id,
        id=sf_id("005"),
        name=name,
        username=f"{name.lower().replace(' ', '.')}@x",
        email=f"{name.lower().replace(' ', '.')}@example.com",
        title="Account Executive",
        is_active=active,
        manager_id=manager.id if manager else None,
        user_role_id=user_role.id if user_role else None,
        profile_name=profile,
    )
    add(engine, row)
    return row


def account(engine: Engine, name: str = "Acme", *, org_id: str = ORG_A, **values: Any) -> Account:
    row = Account(
        org_id=org_id,
        id=sf_id("001"),
        name=name,
        industry="Technology",
        billing_country="Germany",
        number_of_employees=250,
        **{"annual_revenue": Decimal(10_000_000), **values},
    )
    add(engine, row)
    return row


def opportunity(
    engine: Engine,
    owner: SfUser,
    *,
    name: str | None = None,
    account: Account | None = None,
    stage: str = "Prospecting",
    amount: Decimal | int | None = Decimal("1000.00"),
    close_date: date | None = None,
    modified: datetime | None = None,
    fields: dict[str, Any] | None = None,
    **values: Any,
) -> Opportunity:
    closed = stage.startswith("Closed")
    opp_id = sf_id("006")
    row = Opportunity(
        org_id=owner.org_id,
        id=opp_id,
        name=name or f"Deal {opp_id[-7:-3]}",
        account_id=account.id if account else None,
        owner_id=owner.id,
        stage_name=stage,
        amount=amount,
        close_date=close_date or date(2026, 6, 30),
        probability=10.0,
        forecast_category_name="Pipeline",
        is_closed=closed,
        is_won=stage == "Closed Won",
        created_date=NOW - timedelta(days=40),
        last_modified_date=modified or NOW,
        system_modstamp=modified or NOW,
        # `fields` holds JSON as the sync writes it: numbers as JSON numbers.
        fields={
            "Id": opp_id,
            "StageName": stage,
            "Amount": None if amount is None else float(amount),
            **(fields or {}),
        },
        **values,
    )
    add(engine, row)
    return row


def competitor(engine: Engine, opp: Opportunity, name: str) -> OpportunityCompetitor:
    row = OpportunityCompetitor(
        org_id=opp.org_id, id=sf_id("00J"), opportunity_id=opp.id, competitor_name=name
    )
    add(engine, row)
    return row


def history(engine: Engine, opp: Opportunity, stage: str, at: datetime, **values: Any) -> None:
    add(
        engine,
        OpportunityHistory(
            org_id=opp.org_id,
            id=sf_id("008"),
            opportunity_id=opp.id,
            stage_name=stage,
            created_date=at,
            **values,
        ),
    )


def facts(engine: Engine, opp: Opportunity, **values: Any) -> DerivedFacts:
    row = DerivedFacts(org_id=opp.org_id, opportunity_id=opp.id, computed_at=NOW, **values)
    add(engine, row)
    return row


def catalog(engine: Engine, org_id: str, fields: list[dict[str, Any]]) -> None:
    add(
        engine,
        FieldCatalog(
            org_id=org_id, sobject="Opportunity", describe={"fields": fields}, fetched_at=NOW
        ),
    )


def synced(engine: Engine, org_id: str, at: datetime, *, error: str | None = None) -> None:
    add(
        engine,
        *(
            SyncState(
                org_id=org_id,
                sobject=sobject,
                watermark=at,
                last_success_at=at,
                last_attempt_at=at,
                last_error=error,
                records_synced=1,
            )
            for sobject in ("_org", "Opportunity", "User")
        ),
    )


@dataclass
class Team:
    """One org: an admin, a VP over two managers, each manager over two reps."""

    admin: SfUser
    vp: SfUser
    managers: list[SfUser]
    reps: list[SfUser]  # reps[0], reps[1] under managers[0]; reps[2], reps[3] under managers[1]
    roles: dict[str, UserRole] = field(default_factory=dict)


def team(engine: Engine, org_id: str = ORG_A) -> Team:
    org(engine, org_id)
    top = role(engine, "CEO", org_id=org_id)
    vp_role = role(engine, "VP Sales", top, org_id=org_id)
    ops = role(engine, "Sales Operations", vp_role, org_id=org_id)
    admin = user(engine, "Ada Admin", ops, org_id=org_id, profile="System Administrator")
    vp = user(engine, "Vera Vp", vp_role, org_id=org_id)
    managers, reps = [], []
    for region in ("East", "West"):
        manager_role = role(engine, f"{region} Manager", vp_role, org_id=org_id)
        rep_role = role(engine, f"{region} Rep", manager_role, org_id=org_id)
        manager = user(engine, f"{region} Boss", manager_role, org_id=org_id, manager=vp)
        managers.append(manager)
        reps += [
            user(engine, f"{region} Rep{i}", rep_role, org_id=org_id, manager=manager)
            for i in (1, 2)
        ]
    return Team(admin=admin, vp=vp, managers=managers, reps=reps)
