"""The rows a simulated deal leaves behind (see `devorg.seed_deals` for the simulation).

`DealRows` writes a deal's activities (Tasks and Events, which also decide its next meeting),
its OpportunityCompetitor rows, and replays its saves in time order into the OpportunityHistory
and OpportunityFieldHistory rows Salesforce would have written, ending with the Opportunity row.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.seed_accounts import SeedAccount
from devorg.seed_common import DAY, IdAllocator, day_text, dt_text
from devorg.seed_model import (
    EVENT_SUBJECTS,
    FORECAST,
    FORECAST_NAME,
    MEETING_SCHEDULED_SHARE,
    NO_ACTIVITY_DAYS,
    PROBABILITY,
    SAVE_AMOUNT,
    SAVE_BUDGET,
    SAVE_CLOSE,
    SAVE_DM,
    SAVE_MEET,
    SAVE_NEXT,
    SAVE_STAGE,
    SECOND_COMPETITOR_SHARE,
    STAGE_NAMES,
    STRENGTHS,
    TASK_SUBJECTS,
    WEAKNESSES,
    WON,
    Chunk,
    money,
)


@dataclass
class Saves:
    """A deal's saves as (moment, sequence, kind, value): sorted, they replay in time order and,
    within one moment, in the order they were made."""

    items: list[tuple[int, int, int, Any]] = field(default_factory=list)

    def add(self, when: int, kind: int, value: Any) -> None:
        self.items.append((when, len(self.items) + 1, kind, value))


@dataclass(slots=True)
class Deal:
    """What the simulation decided about one deal, as the row writers need it."""

    opp_id: str
    account: SeedAccount
    owner: str
    creator: str
    deal_type: str
    source: str
    competitor: str | None
    offset: int  # the region's UTC offset in seconds
    is_open: bool
    late: bool  # open in Proposal/Price Quote or Negotiation/Review
    created: int
    created_day: int
    age_days: int
    close_moment: int | None
    last_day: int  # the closing day, or yesterday for an open deal
    stages: list[int]
    initial_close: int
    initial_amount: float | None
    next_step: str
    no_activity: bool
    meeting_past: bool
    saves: Saves


class DealRows:
    def __init__(
        self,
        db: OrgDatabase,
        rng: random.Random,
        today_day: int,
        work_moment: Callable[[int, int], int],
    ) -> None:
        self.rng = rng
        self.today = today_day
        self.today_s = today_day * DAY
        self.work_moment = work_moment
        self.history_ids = IdAllocator(db, catalog.OPPORTUNITY_HISTORY)
        self.field_ids = IdAllocator(db, catalog.OPPORTUNITY_FIELD_HISTORY)
        self.competitor_ids = IdAllocator(db, catalog.OPPORTUNITY_COMPETITOR)
        self.task_ids = IdAllocator(db, catalog.TASK)
        self.event_ids = IdAllocator(db, catalog.EVENT)
        self.allocators = (
            self.history_ids, self.field_ids, self.competitor_ids, self.task_ids, self.event_ids,
        )  # fmt: skip

    def activities(self, deal: Deal, out: Chunk) -> int:  # noqa: PLR0915 - told in order
        """Write the deal's Tasks and Events, save its next meeting; return the last activity
        day before today (-1 when there is none)."""
        rng = self.rng
        today, today_s = self.today, self.today_s
        work_moment = self.work_moment
        offset, owner, opp_id = deal.offset, deal.owner, deal.opp_id
        created, created_day = deal.created, deal.created_day
        is_open, no_activity = deal.is_open, deal.no_activity
        window_end = deal.last_day
        if no_activity:
            window_end = today - NO_ACTIVITY_DAYS - 1 - rng.randrange(max(1, deal.age_days - 75))
            window_end = max(window_end, created_day)
        life = window_end - created_day
        count = 1 + min(10, life // 12)
        days = sorted(rng.randint(created_day, window_end) for _ in range(count))
        if is_open and not no_activity and days[-1] < today - 21:
            days[-1] = rng.randint(max(created_day, today - 21), today - 1)
        meeting_day: int | None = None
        meeting_set: int | None = None
        last_activity = -1
        event_days: list[int] = []
        for position, day in enumerate(days):
            if rng.random() < 0.35:
                event_days.append(day)
            else:
                task_type, subject = TASK_SUBJECTS[rng.randrange(len(TASK_SUBJECTS))]
                due = max(work_moment(day, offset), created + 120)
                made = max(created + 60, due - rng.randrange(0, 3 * DAY))
                task_id = self.task_ids.take()
                out.tasks.append((
                    task_id, 0, dt_text(made), owner, dt_text(due), owner, dt_text(due), opp_id,
                    owner, subject if position else "Intro call", day_text(day), "Completed",
                    "Normal", task_type, 1,
                ))  # fmt: skip
            last_activity = max(last_activity, day)
        if is_open:
            if deal.meeting_past:
                if no_activity:
                    meeting_day = window_end
                else:
                    meeting_day = rng.randint(max(created_day, today - 45), today - 1)
                event_days.append(meeting_day)
                meeting_set = max(created + 120, (meeting_day - rng.randint(1, 7)) * DAY)
            elif not no_activity and rng.random() < MEETING_SCHEDULED_SHARE:
                meeting_day = today + rng.randint(1, 21)
                meeting_set = work_moment(
                    rng.randint(max(created_day, today - 7), today - 1), offset
                )
                meeting_set = max(meeting_set, created + 120)
        elif event_days and rng.random() < 0.7:
            meeting_day = max(event_days)
            meeting_set = max(created + 120, work_moment(meeting_day - rng.randint(1, 7), offset))
        for day in event_days:
            last_activity = max(last_activity, day) if day < today else last_activity
        if meeting_day is not None and meeting_day >= today:
            event_days.append(meeting_day)
        for day in event_days:
            start = day * DAY + 3600 * rng.randrange(9, 17) - offset
            if day < today:
                start = max(start, created + 3600)
            minutes = 30 if rng.random() < 0.4 else 60
            made = max(created + 60, start - rng.randrange(DAY, 10 * DAY))
            made = min(made, today_s - 60)
            changed = min(start + minutes * 60, today_s - 30) if day < today else made
            out.events.append((
                self.event_ids.take(), 0, dt_text(made), owner, dt_text(changed), owner,
                dt_text(changed), opp_id, owner, EVENT_SUBJECTS[rng.randrange(6)],
                dt_text(start), dt_text(start + minutes * 60), day_text(day), minutes, "Meeting",
            ))  # fmt: skip
        if is_open and not no_activity and rng.random() < 0.3:
            due = today + rng.randint(0, 14)
            made = max(created + 60, work_moment(today - rng.randint(1, 5), offset))
            out.tasks.append((
                self.task_ids.take(), 0, dt_text(made), owner, dt_text(made), owner,
                dt_text(made), opp_id, owner, "Prepare for next meeting", day_text(due),
                "Not Started", "High" if deal.late else "Normal", "Other", 0,
            ))  # fmt: skip
        if meeting_day is not None and meeting_set is not None:
            deal.saves.add(min(meeting_set, today_s - 1), SAVE_MEET, meeting_day)
        return last_activity

    def competitors(self, deal: Deal, out: Chunk) -> None:
        rng = self.rng
        competitor = deal.competitor
        if competitor is None:
            return
        names = [competitor]
        if rng.random() < SECOND_COMPETITOR_SHARE:
            other = rng.choice(catalog.COMPETITORS)
            if other != competitor:
                names.append(other)
        for name in names:
            when = min(
                deal.created + rng.randrange(0, 5 * DAY), (deal.close_moment or self.today_s) - 1
            )
            out.competitors.append((
                self.competitor_ids.take(), 0, dt_text(when), deal.owner, dt_text(when),
                deal.owner, dt_text(when), deal.opp_id, name, rng.choice(STRENGTHS[name]),
                rng.choice(WEAKNESSES[name]),
            ))  # fmt: skip

    def history(  # noqa: PLR0915 - one branch per kind of save
        self, deal: Deal, out: Chunk, last_activity: int, product: str
    ) -> None:
        """Replay the saves into OpportunityHistory and OpportunityFieldHistory, then write the
        Opportunity row as the last save left it."""
        owner, opp_id, creator = deal.owner, deal.opp_id, deal.creator
        stage = deal.stages[0]
        close = deal.initial_close
        amt = deal.initial_amount
        budget = 0
        dm_value: str | None = None
        step = deal.next_step
        meeting: int | None = None
        created_text = dt_text(deal.created)
        history = out.history
        fields = out.field_history
        take_history = self.history_ids.take
        take_field = self.field_ids.take
        fields.append(
            (take_field(), 0, created_text, creator, opp_id, "created", "Text", None, None)
        )
        prob = PROBABILITY[stage]
        history.append((
            take_history(), 0, created_text, creator, created_text, opp_id, STAGE_NAMES[stage],
            amt, None if amt is None else amt * prob / 100, day_text(close), prob,
            FORECAST[stage], None, None, None, None,
        ))  # fmt: skip
        last_change = deal.created
        last_stage_change = deal.created
        saves = sorted(deal.saves.items)
        count_saves = len(saves)
        i = 0
        while i < count_saves:
            when = saves[i][0]
            text = dt_text(when)
            old_stage, old_amount, old_close = stage, amt, close
            while i < count_saves and saves[i][0] == when:
                _, _, kind, value = saves[i]
                i += 1
                if kind == SAVE_STAGE:
                    if value != stage:
                        fields.append((take_field(), 0, text, owner, opp_id, "StageName",
                                       "Picklist", STAGE_NAMES[stage],
                                       STAGE_NAMES[value]))  # fmt: skip
                        if PROBABILITY[value] != PROBABILITY[stage]:
                            fields.append((take_field(), 0, text, owner, opp_id, "Probability",
                                           "Percent", f"{PROBABILITY[stage]:g}",
                                           f"{PROBABILITY[value]:g}"))  # fmt: skip
                        if FORECAST_NAME[value] != FORECAST_NAME[stage]:
                            fields.append((take_field(), 0, text, owner, opp_id,
                                           "ForecastCategoryName", "Picklist",
                                           FORECAST_NAME[stage], FORECAST_NAME[value]))  # fmt: skip
                        stage = value
                        last_stage_change = when
                elif kind == SAVE_AMOUNT:
                    if value != amt:
                        fields.append((take_field(), 0, text, owner, opp_id, "Amount",
                                       "Currency", money(amt), money(value)))  # fmt: skip
                        amt = value
                elif kind == SAVE_CLOSE:
                    if value != close:
                        fields.append((take_field(), 0, text, owner, opp_id, "CloseDate", "Date",
                                       day_text(close), day_text(value)))  # fmt: skip
                        close = value
                elif kind == SAVE_DM:
                    fields.append((take_field(), 0, text, owner, opp_id, "Decision_Maker__c",
                                   "Text", dm_value, value))  # fmt: skip
                    dm_value = value
                elif kind == SAVE_BUDGET:
                    fields.append((take_field(), 0, text, owner, opp_id, "Budget_Confirmed__c",
                                   "Boolean", "false", "true"))  # fmt: skip
                    budget = 1
                elif kind == SAVE_NEXT:
                    if value != step:
                        fields.append((take_field(), 0, text, owner, opp_id, "NextStep", "Text",
                                       step, value))  # fmt: skip
                        step = value
                else:
                    fields.append((take_field(), 0, text, owner, opp_id, "Next_Meeting_Date__c",
                                   "Date", None if meeting is None else day_text(meeting),
                                   day_text(value)))  # fmt: skip
                    meeting = value
            last_change = when
            if stage != old_stage or amt != old_amount or close != old_close:
                prob = PROBABILITY[stage]
                history.append((
                    take_history(), 0, text, owner, text, opp_id, STAGE_NAMES[stage], amt,
                    None if amt is None else amt * prob / 100, day_text(close), prob,
                    FORECAST[stage], FORECAST[old_stage], STAGE_NAMES[old_stage],
                    old_amount, day_text(old_close),
                ))  # fmt: skip

        account = deal.account
        modified_text = dt_text(last_change)
        out.opportunities.append((
            opp_id, 0, created_text, creator, modified_text, owner, modified_text,
            account.account_id,
            f"{account.brand} - {product}"[:120], STAGE_NAMES[stage], amt, PROBABILITY[stage],
            day_text(close), deal.deal_type, step, deal.source, int(stage >= WON),
            int(stage == WON), FORECAST[stage], FORECAST_NAME[stage], owner,
            day_text(last_activity) if last_activity >= 0 else None, dt_text(last_stage_change),
            deal.competitor, None if meeting is None else day_text(meeting), budget, dm_value,
        ))  # fmt: skip
