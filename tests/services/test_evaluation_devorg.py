"""Evaluation over a devorg synced through its REST API: alerts exactly on the records the
conditions select, checked against plain Python predicates over the mirror rows (not the
formula engine); records changed in devorg resolve or open alerts after the next sync; a
deal that closes or is deleted ends its alerts; midnight in the org's zone (Los Angeles)
opens date alerts with no record change."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, select

from services.orgs import OrgRefresher
from store.models import Opportunity, SfUser, UserRole
from tests.devorg_server import RunningDevorg
from tests.services import evaluation_rows as rows

LA = ZoneInfo("America/Los_Angeles")
LATE_STAGES = ("Proposal/Price Quote", "Negotiation/Review")


@dataclass(frozen=True)
class Known:
    """What the predicates read besides the deal: the org's date, each owner's role name."""

    today: date
    owner_roles: dict[str, str]


Predicate = Callable[[Opportunity, Known], bool]


def _day(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _meeting_past(opp: Opportunity, known: Known) -> bool:
    meeting = _day(opp.fields.get("Next_Meeting_Date__c"))
    return meeting is not None and meeting < known.today


def _no_decision_maker_late(opp: Opportunity, _: Known) -> bool:
    return opp.stage_name in LATE_STAGES and not opp.fields.get("Decision_Maker__c")


def _big_without_next_step(opp: Opportunity, _: Known) -> bool:
    return opp.amount is not None and opp.amount > Decimal(50000) and not opp.fields.get("NextStep")


def _large_by_manager(opp: Opportunity, known: Known) -> bool:
    role = known.owner_roles.get(opp.owner_id or "", "")
    return opp.amount is not None and opp.amount >= Decimal(100000) and "Manager" in role


RULES: dict[str, tuple[str, Predicate]] = {
    "Next meeting date is in the past": (
        "NOT(ISBLANK(Next_Meeting_Date__c)) && Next_Meeting_Date__c < TODAY()", _meeting_past,
    ),
    "No decision maker in a late stage": (
        'AND(OR(ISPICKVAL(StageName, "Proposal/Price Quote"), '
        'ISPICKVAL(StageName, "Negotiation/Review")), ISBLANK(Decision_Maker__c))',
        _no_decision_maker_late,
    ),
    # The seed gives every deal a next step: this one is for the deals the test changes.
    "Big deal with no next step": ("ISBLANK(NextStep) && Amount > 50000", _big_without_next_step),
    "Large deal owned by a manager": (
        'Amount >= 100000 && CONTAINS(Owner.UserRole.Name, "Manager")', _large_by_manager,
    ),
}  # fmt: skip
SEED_FINDS = set(RULES) - {"Big deal with no next step"}


def open_deals(engine: Engine, org_id: str) -> list[Opportunity]:
    with Session(engine) as session:
        query = select(Opportunity).where(
            Opportunity.org_id == org_id,
            Opportunity.is_closed == False,  # noqa: E712
            Opportunity.is_deleted == False,  # noqa: E712
        )
        return list(session.exec(query).all())


def owner_roles(engine: Engine, org_id: str) -> dict[str, str]:
    with Session(engine) as session:
        query = select(SfUser.id, UserRole.name).where(
            SfUser.org_id == org_id,
            UserRole.org_id == org_id,
            SfUser.user_role_id == UserRole.id,
        )
        return dict(session.exec(query).all())


def firing(engine: Engine, org_id: str, rule_id: str) -> set[str]:
    return {opp for rule, opp in rows.live(engine, org_id) if rule == rule_id}


def test_alerts_are_exactly_on_the_records_the_conditions_select_then_follow_devorg(
    store_engine: Engine, devorg: RunningDevorg, refresher: OrgRefresher
) -> None:
    org_id = devorg.seed.org_id
    made = {
        name: rows.rule(store_engine, condition, name=name, org_id=org_id).id
        for name, (condition, _) in RULES.items()
    }
    now = datetime.now(UTC)
    report = refresher.evaluate(org_id, now=now)
    assert report.errors == {}
    assert report.rules_evaluated == len(RULES)
    known = Known(now.astimezone(LA).date(), owner_roles(store_engine, org_id))
    deals = open_deals(store_engine, org_id)
    assert report.opportunities_evaluated == len(deals)
    for name, (_, predicate) in RULES.items():
        expected = {opp.id for opp in deals if predicate(opp, known)}
        if name in SEED_FINDS:
            assert 0 < len(expected) < len(deals), f"the seed gives {name!r} something to find"
        assert firing(store_engine, org_id, made[name]) == expected, name
    assert report.alerts_open == report.alerts_opened == len(rows.live(store_engine, org_id))
    health = rows.health(store_engine, org_id)
    assert set(health) == {opp.id for opp in deals}

    # In devorg: one deal is made bad, another good; the next sync's evaluation follows.
    sf = devorg.sf("admin")
    deal = {"StageName": "Prospecting", "CloseDate": "2031-01-15", "Amount": 90000}
    good = sf.Opportunity.create({**deal, "Name": "Eval good", "NextStep": "Call"})["id"]
    bad = sf.Opportunity.create({**deal, "Name": "Eval bad"})["id"]
    refresher.refresh(org_id, "full")
    big = made["Big deal with no next step"]
    assert bad in firing(store_engine, org_id, big)
    assert good not in firing(store_engine, org_id, big)
    sf.Opportunity.update(good, {"NextStep": None})
    sf.Opportunity.update(bad, {"NextStep": "Send the proposal"})
    result = refresher.refresh(org_id, "full")
    assert result.evaluation is not None
    # What the sync changed (its overlap window re-reads the latest changes), not everything.
    assert 2 <= result.evaluation.opportunities_evaluated < len(deals)
    assert good in firing(store_engine, org_id, big)
    assert bad not in firing(store_engine, org_id, big)
    by_deal = {a.opportunity_id: a for a in rows.alerts(store_engine, org_id) if a.rule_id == big}
    assert (by_deal[bad].status, by_deal[bad].resolution) == ("RESOLVED", "CONDITION_CLEARED")

    # The deal closes: its alert ends and its health is frozen; a deleted deal's alert ends.
    sf.Opportunity.update(good, {"StageName": "Closed Lost"})
    doomed = sf.Opportunity.create({**deal, "Name": "Eval doomed"})["id"]
    refresher.refresh(org_id, "full")
    assert doomed in firing(store_engine, org_id, big)
    sf.Opportunity.delete(doomed)
    refresher.refresh(org_id, "full")
    ended = {a.opportunity_id: a.resolution for a in rows.alerts(store_engine, org_id)}
    assert (ended[good], ended[doomed]) == ("OPPORTUNITY_CLOSED", "OPPORTUNITY_DELETED")
    assert rows.health(store_engine, org_id)[good].closed_at is not None
    assert doomed not in rows.health(store_engine, org_id)


def test_midnight_in_the_org_s_zone_opens_date_alerts_with_no_record_change(
    store_engine: Engine, devorg: RunningDevorg, refresher: OrgRefresher
) -> None:
    org_id = devorg.seed.org_id
    deals = open_deals(store_engine, org_id)
    closing = sorted(d.close_date for d in deals if d.close_date is not None)
    day = closing[len(closing) // 2]  # a day some open deals close on
    rule = rows.rule(store_engine, "CloseDate < TODAY()", fix_fields=["CloseDate"], org_id=org_id)
    # 11 pm in Los Angeles is already the next day in UTC: not past due yet there.
    late_evening = datetime.combine(day, time(23, 0), tzinfo=LA)
    refresher.evaluate(org_id, now=late_evening)
    before = firing(store_engine, org_id, rule.id)
    assert before == {d.id for d in deals if d.close_date is not None and d.close_date < day}
    just_after_midnight = late_evening + timedelta(hours=1, seconds=5)
    report = refresher.evaluate(org_id, now=just_after_midnight)
    due_that_day = {d.id for d in deals if d.close_date == day}
    assert due_that_day
    assert firing(store_engine, org_id, rule.id) == before | due_that_day
    assert report.alerts_opened == len(due_that_day)


def test_a_changed_account_re_evaluates_its_open_deals_at_the_next_sync(
    store_engine: Engine, devorg: RunningDevorg, refresher: OrgRefresher
) -> None:
    """A rule reading Account.Name fires once the account is renamed, though no opportunity
    changed: the sync evaluates the open deals that reach the changed account, not all."""
    org_id = devorg.seed.org_id
    sf = devorg.sf("admin")
    token = uuid.uuid4().hex[:8]  # the session's devorg outlives each backend's run
    account = sf.Account.create({"Name": f"Relatives {token}"})["id"]
    deal = {"StageName": "Prospecting", "CloseDate": "2031-01-15", "AccountId": account}
    opened = sf.Opportunity.create({**deal, "Name": "Relatives open"})["id"]
    won = sf.Opportunity.create({**deal, "Name": "Relatives won", "StageName": "Closed Won"})
    rule = rows.rule(store_engine, f'CONTAINS(Account.Name, "Renamed {token}")', org_id=org_id)
    refresher.refresh(org_id, "full")
    refresher.evaluate(org_id)
    assert firing(store_engine, org_id, rule.id) == set()
    # The deals' own changes (and their history rows) out of the next sync's overlap window:
    # it must not bring them.
    long_ago = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    with closing(sqlite3.connect(devorg.database)) as conn, conn:
        for table, stamp, key in [
            ("Opportunity", "SystemModstamp", "Id"),
            ("OpportunityHistory", "SystemModstamp", "OpportunityId"),
            ("OpportunityFieldHistory", "CreatedDate", "OpportunityId"),
        ]:
            conn.execute(
                f'UPDATE "{table}" SET "{stamp}" = ? WHERE "{key}" IN (?, ?)',
                [long_ago, opened, won["id"]],
            )  # fmt: skip
    sf.Account.update(account, {"Name": f"Renamed {token}"})
    result = refresher.refresh(org_id, "full")
    assert result.sync.changed_related_ids.get("Account", set()) >= {account}
    assert opened not in result.sync.changed_opportunity_ids
    assert result.evaluation is not None
    assert result.evaluation.opportunities_evaluated < len(open_deals(store_engine, org_id))
    assert firing(store_engine, org_id, rule.id) == {opened}
    assert won["id"] not in firing(store_engine, org_id, rule.id)
