"""The org-level passes: the clock tick moves the time-dependent facts of the open
opportunities when a meeting happens, with no record change; closed deals are left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services.passes import clock_tick
from services.refresh import refresh_facts
from store.models import Activity, DerivedFacts, Opportunity
from tests.store.test_mirror import T0, opp_row, org

pytestmark = pytest.mark.sqlite_only

MEETING_AT = T0 + timedelta(days=1)


def facts_of(engine: Engine, opp_id: str) -> DerivedFacts:
    with Session(engine) as session:
        facts = session.get(DerivedFacts, ("00DA", opp_id))
    assert facts is not None
    return facts


def test_the_clock_tick_moves_a_meeting_that_happened_from_next_to_last(
    store_engine: Engine,
) -> None:
    mirror = org(store_engine, "00DA")
    deals = [opp_row("006OPEN", "Open", T0), opp_row("006WON", "Won", T0, is_closed=True)]
    mirror.upsert(Opportunity, deals)
    meetings = [
        {"id": f"00U{deal['id']}", "kind": "Event", "what_id": deal["id"],
         "start_datetime": MEETING_AT, "system_modstamp": T0}
        for deal in deals
    ]  # fmt: skip
    mirror.upsert(Activity, meetings)
    assert refresh_facts(store_engine, "00DA", now=T0) == 2
    for deal in ("006OPEN", "006WON"):
        facts = facts_of(store_engine, deal)
        assert (facts.next_meeting_date, facts.last_activity_date) == (MEETING_AT.date(), None)

    assert clock_tick(store_engine, "00DA", now=MEETING_AT + timedelta(hours=1)) == 1

    moved = facts_of(store_engine, "006OPEN")
    assert (moved.next_meeting_date, moved.last_activity_date) == (None, MEETING_AT.date())
    closed = facts_of(store_engine, "006WON")
    assert (closed.next_meeting_date, closed.computed_at) == (MEETING_AT.date(), T0)


def test_a_clock_tick_of_an_org_with_no_open_deal_does_nothing(store_engine: Engine) -> None:
    org(store_engine, "00DA").upsert(Opportunity, [opp_row("006WON", "Won", T0, is_closed=True)])
    assert clock_tick(store_engine, "00DA", now=T0) == 0
