"""Evaluation sources from the mirror: open opportunities with their stored facts and related
records' fields, one org only, in one query however many there are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from rules.catalog import RELATED_FIELDS, rule_catalog
from rules.evaluation_records import evaluation_frame, evaluation_record
from rules.fact_registry import Moment
from rules.facts import days_in_stage
from rules.formula import compile_formula
from rules.formula.bulk import evaluate_bulk_many, plan_bulk
from rules.formula.errors import ErrorCode, FormulaError
from rules.time_zones import org_time_zone
from services.refresh import refresh_org
from store.evaluation import load_evaluation_sources
from store.mirror import READ_CHUNK, Mirror
from store.models import Account, DerivedFacts, Opportunity, SfUser, UserRole
from tests import factories as f
from tests.devorg_server import RunningDevorg
from tests.salesforce.conftest import gateway, new_mirror
from tests.store_backends import counting


def test_sources_carry_fields_facts_and_related_values(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    acme = f.account(store_engine, "Acme", type="Customer - Direct")
    entered = f.NOW - timedelta(days=9, hours=2)
    with_facts = f.opportunity(
        store_engine,
        rep,
        account=acme,
        stage="Proposal",
        amount=Decimal("1234567890123456.78"),
        fields={"Competitor__c": "Globex", "Amount": 1234567890123456.78},  # a JSON double
    )
    f.facts(store_engine, with_facts, stage_entered_at=entered, stage_number=3)
    bare = f.opportunity(store_engine, team.admin)  # no account, no facts yet
    f.opportunity(store_engine, rep, account=acme, stage="Closed Won")  # closed: not evaluated
    f.opportunity(store_engine, rep, is_deleted=True)  # deleted: not evaluated

    sources = load_evaluation_sources(store_engine, f.ORG_A)
    assert [s.opportunity_id for s in sources] == sorted([with_facts.id, bare.id])
    by_id = {s.opportunity_id: s for s in sources}
    record = evaluation_record(by_id[with_facts.id], Moment(f.NOW))
    assert record["Competitor__c"] == "Globex"
    assert record["StageName"] == "Proposal"
    assert record["Amount"] == Decimal("1234567890123456.78")  # the exact column, not the double
    assert (record["DaysInStage"], record["StageNumber"], record["AgeInDays"]) == (9, 3, 40)
    assert {name: record[name] for name in RELATED_FIELDS} == {
        "Account.Id": acme.id, "Account.Name": "Acme", "Account.Type": "Customer - Direct",
        "Account.Industry": "Technology", "Account.BillingCountry": "Germany",
        "Account.NumberOfEmployees": 250, "Account.AnnualRevenue": 1e7,
        "Account.OwnerId": None,
        "Owner.Id": rep.id, "Owner.Name": "East Rep1", "Owner.Username": rep.username,
        "Owner.Email": rep.email, "Owner.Title": "Account Executive", "Owner.IsActive": True,
        "Owner.ManagerId": team.managers[0].id, "Owner.UserRoleId": rep.user_role_id,
        "Owner.Profile.Name": "Standard User",
        "Owner.UserRole.Id": rep.user_role_id, "Owner.UserRole.Name": "East Rep",
        "Owner.UserRole.ParentRoleId": team.managers[0].user_role_id,
    }  # fmt: skip
    bare_record = evaluation_record(by_id[bare.id], Moment(f.NOW))
    assert by_id[bare.id].stored_facts == {}
    assert bare_record["DaysInStage"] is None
    assert bare_record["AgeInDays"] == 40
    assert bare_record["Account.Name"] is None
    assert bare_record["Owner.Profile.Name"] == "System Administrator"
    assert bare_record["Owner.UserRole.Name"] == "Sales Operations"


def test_only_the_org_s_own_rows_are_read_even_when_ids_are_shared(store_engine: Engine) -> None:
    team = f.team(store_engine)
    acme = f.account(store_engine, "Acme A")
    opp = f.opportunity(store_engine, team.reps[0], account=acme)
    f.facts(store_engine, opp, stage_number=1)
    # Org B holds rows with the very same ids: an opportunity, its account and its owner.
    f.org(store_engine, f.ORG_B)
    f.add(
        store_engine,
        SfUser(org_id=f.ORG_B, id=team.reps[0].id, name="B owner", username="b@x"),
        Account(org_id=f.ORG_B, id=acme.id, name="Acme B"),
        Opportunity(org_id=f.ORG_B, id=opp.id, name="B deal", owner_id=team.reps[0].id,
                    account_id=acme.id, stage_name="Proposal", fields={"Name": "B deal"}),
    )  # fmt: skip
    [a] = load_evaluation_sources(store_engine, f.ORG_A)
    [b] = load_evaluation_sources(store_engine, f.ORG_B, [opp.id])
    assert (a.related["Account.Name"], a.related["Owner.Name"]) == ("Acme A", "East Rep1")
    assert a.stored_facts["stage_number"] == 1
    assert (b.related["Account.Name"], b.related["Owner.Name"]) == ("Acme B", "B owner")
    assert b.related["Owner.UserRole.Name"] is None
    assert (b.fields, b.stored_facts) == ({"Name": "B deal"}, {})


def test_a_batch_costs_one_query_whatever_its_size(store_engine: Engine) -> None:
    team = f.team(store_engine)
    acme = f.account(store_engine)
    few = [f.opportunity(store_engine, rep, account=acme) for rep in team.reps]
    with counting(store_engine) as statements:
        assert len(load_evaluation_sources(store_engine, f.ORG_A)) == len(few)
    assert len(statements) == 1
    rows = [
        {"org_id": f.ORG_A, "id": f"006{n:012d}BBB", "name": f"Deal {n}", "account_id": acme.id,
         "owner_id": team.reps[n % 4].id, "stage_name": "Prospecting", "fields": {},
         "created_date": datetime(2026, 1, 1, tzinfo=UTC)}
        for n in range(READ_CHUNK + 100)
    ]  # fmt: skip
    f.add(store_engine, *(Opportunity(**row) for row in rows))
    with counting(store_engine) as statements:
        everything = load_evaluation_sources(store_engine, f.ORG_A)
    assert len(everything) == len(few) + len(rows)
    assert len(statements) == 1
    ids = [row["id"] for row in rows]
    with counting(store_engine) as statements:
        chosen = load_evaluation_sources(store_engine, f.ORG_A, ids)
    assert [s.opportunity_id for s in chosen] == sorted(ids)
    assert len(statements) == 2  # one per READ_CHUNK ids


# Healthcare accounts with revenue, owned by someone with a role, in a stage for 0+ days.
# Industry is a picklist: Salesforce (and dealpulse) reject `Account.Industry = "Healthcare"`.
RULE = (
    'AND(ISPICKVAL(Account.Industry, "Healthcare"), Owner.UserRole.Name <> "", '
    "Account.AnnualRevenue > 0, DaysInStage >= 3)"
)


def _kleene_and(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _by_hand(engine: Engine, org_id: str, now: datetime, tz: tzinfo) -> dict[str, bool | None]:
    """RULE over the mirror rows, without the formula engine or store.evaluation."""
    with Session(engine) as session:
        opportunities = session.exec(select(Opportunity).where(Opportunity.org_id == org_id)).all()
        accounts = {a.id: a for a in session.exec(select(Account).where(Account.org_id == org_id))}
        users = {u.id: u for u in session.exec(select(SfUser).where(SfUser.org_id == org_id))}
        roles = {r.id: r for r in session.exec(select(UserRole).where(UserRole.org_id == org_id))}
        facts = {
            row.opportunity_id: row
            for row in session.exec(select(DerivedFacts).where(DerivedFacts.org_id == org_id))
        }
    answers: dict[str, bool | None] = {}
    for opp in opportunities:
        if opp.is_closed or opp.is_deleted:
            continue
        account = accounts.get(opp.account_id or "")
        if account is not None and account.is_deleted:
            account = None
        owner = users.get(opp.owner_id)
        role = roles.get(owner.user_role_id or "") if owner is not None else None
        entered = facts[opp.id].stage_entered_at if opp.id in facts else None
        revenue = account.annual_revenue if account is not None else None
        answers[opp.id] = _kleene_and(
            account is not None and account.industry == "Healthcare",
            role is not None and role.name != "",
            None if revenue is None else revenue > 0,
            None if entered is None else days_in_stage(entered, now, tz=tz) >= 3,
        )
    return answers


def _open_account_ids(session: Session, org_id: str) -> set[str | None]:
    query = select(Opportunity.account_id).where(
        Opportunity.org_id == org_id,
        Opportunity.is_closed == False,  # noqa: E712
    )
    return set(session.exec(query).all())


def synced_devorg(engine: Engine, devorg: RunningDevorg, now: datetime) -> dict[str, str]:
    """devorg's seeded org synced (with its facts) into `engine` at `now`: its rule catalog."""
    mirror = new_mirror(engine, devorg)
    refresh_org(engine, gateway(devorg), devorg.seed.org_id, now=now)
    describe = mirror.load_catalog("Opportunity")
    assert describe is not None
    return rule_catalog(describe)


def test_a_rule_over_related_records_agrees_per_record_in_bulk_and_by_hand(
    devorg: RunningDevorg, store_engine: Engine
) -> None:
    org_id = devorg.seed.org_id
    now = datetime.now(UTC)
    catalog = synced_devorg(store_engine, devorg, now)
    rule = compile_formula(RULE, fields=catalog)
    with pytest.raises(FormulaError) as picklist:
        compile_formula('Account.Industry = "Healthcare"', fields=catalog)
    assert picklist.value.code is ErrorCode.PICKLIST_USAGE

    # Every synced account has a revenue: one Healthcare account loses it in the mirror, so
    # the rule is unknown (blank) for its open deals.
    with Session(store_engine) as session:
        healthcare = session.exec(
            select(Account).where(Account.org_id == org_id, Account.industry == "Healthcare")
        ).all()
        unknown = next(a for a in healthcare if a.id in _open_account_ids(session, org_id))
        unknown.annual_revenue = None
        session.add(unknown)
        session.commit()

    sources = load_evaluation_sources(store_engine, org_id)
    # the org's zone (devorg: America/Los_Angeles), for the facts and the formula alike
    tz = org_time_zone(Mirror(store_engine, org_id).time_zone())
    assert tz is not UTC
    moment = Moment(now, tz)
    per_record = [rule.evaluate(evaluation_record(s, moment), now=now, tz=tz) for s in sources]
    frame = evaluation_frame(sources, catalog, moment)
    [bulk] = evaluate_bulk_many([rule], frame, now, tz=tz)
    assert plan_bulk(rule, frame, now, tz=tz).native
    assert bulk.values == per_record
    assert bulk.errors == {}
    expected = _by_hand(store_engine, org_id, now, tz)
    assert dict(zip([s.opportunity_id for s in sources], per_record, strict=True)) == expected
    # The data exercise every branch: matches, misses, and a blank that makes the rule unknown.
    assert set(per_record) == {True, False, None}
    # Account.Type came through the sync for the accounts that have one in devorg.
    types = {s.related["Account.Type"] for s in sources}
    assert {"Customer - Direct", "Prospect"} <= types
