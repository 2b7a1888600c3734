"""refresh_facts reads what it needs straight from the mirror, the `fields` JSON included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from services.refresh import refresh_facts
from store.models import DerivedFacts, Opportunity
from tests.store.test_mirror import opp_row, org

NOW = datetime(2026, 1, 25, 12, tzinfo=UTC)


def test_facts_use_the_mirrored_fields_when_there_is_no_history(store_engine: Engine) -> None:
    mirror = org(store_engine, "00DA")
    fields = {
        "LastStageChangeDate": "2026-01-05T10:00:00.000+0000",
        "LastActivityDate": "2026-01-20",
        "Next_Meeting_Date__c": "2026-02-01",
    }
    mirror.upsert(Opportunity, [opp_row("006X", "Deal", NOW, fields=fields)])
    assert refresh_facts(store_engine, "00DA", ["006X"], now=NOW) == 1
    with Session(store_engine) as session:
        facts = session.get(DerivedFacts, ("00DA", "006X"))
    assert facts is not None
    assert facts.stage_entered_at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert facts.last_activity_date == date(2026, 1, 20)
    assert facts.next_meeting_date == date(2026, 2, 1)
