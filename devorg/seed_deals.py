"""Opportunities with their history, competitors and activities (see `devorg.seed` for the story).

One `DealFactory` generates opportunities in chunks: each deal is simulated as a list of saves
(moment, field, value); `devorg.seed_deal_rows` writes its activities and competitors and
replays the saves in time order into the OpportunityHistory and OpportunityFieldHistory rows
Salesforce would have written, and the final Opportunity row. All rows of a chunk are plain
tuples, inserted with one `executemany` per table.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.seed_accounts import SeedAccount
from devorg.seed_common import DAY, TZ_OFFSETS, IdAllocator
from devorg.seed_deal_rows import Deal, DealRows, Saves
from devorg.seed_model import (
    ACME,
    ACME_STALL_DAYS,
    ACME_STALL_ODDS,
    ACME_STALL_SHARE,
    AMOUNT_MISSING_SHARE,
    BASE_DAYS,
    BASE_ODDS,
    CLOSE_PAST_SHARE,
    COMPETITOR_COLUMNS,
    COMPETITOR_SHARE,
    COMPETITOR_WEIGHTS,
    DECISION_MAKER_MISSING_SHARE,
    DM_FIRST,
    DM_LAST,
    DM_TITLES,
    EVENT_COLUMNS,
    EXISTING_TYPE_WEIGHTS,
    EXISTING_TYPES,
    FIELD_HISTORY_COLUMNS,
    HEALTHCARE,
    HEALTHCARE_OTHER_ODDS,
    HEALTHCARE_PARTNER_ODDS,
    HEALTHCARE_SOURCE_WEIGHTS,
    HISTORY_COLUMNS,
    LATE_STAGES,
    LOST,
    LOST_AT_WEIGHTS,
    MANY_PUSHES,
    MANY_PUSHES_ODDS,
    MEETING_PAST_SHARE,
    MIDDLE_STAGES,
    NEXT_STEPS,
    NO_ACTIVITY_DAYS,
    NO_ACTIVITY_SHARE,
    OPEN_SHARE,
    OPPORTUNITY_COLUMNS,
    PARTNER,
    PRODUCTS,
    PUSH_WEIGHTS,
    REOPEN_SHARE,
    SAVE_AMOUNT,
    SAVE_BUDGET,
    SAVE_CLOSE,
    SAVE_DM,
    SAVE_NEXT,
    SAVE_STAGE,
    SKIPPABLE,
    SOURCE_ODDS,
    SOURCE_WEIGHTS,
    SOURCES,
    TASK_COLUMNS,
    TYPE_AMOUNT,
    TYPE_ODDS,
    WON,
    Chunk,
    Quota,
)
from devorg.seed_people import REGIONS, People


class DealFactory:
    def __init__(
        self,
        db: OrgDatabase,
        rng: random.Random,
        people: People,
        accounts: list[SeedAccount],
        today_day: int,
    ) -> None:
        self.db = db
        self.rng = rng
        self.accounts = accounts
        self.today = today_day
        self.today_s = today_day * DAY
        self.start = today_day - 3 * 365
        self.admin_id = people.admin.user_id
        self.reps = people.reps_by_region
        self.managers = people.managers
        self.offsets = [TZ_OFFSETS[r.time_zone] * 3600 for r in REGIONS]
        self.opp_ids = IdAllocator(db, catalog.OPPORTUNITY)
        self.rows = DealRows(db, rng, today_day, self._work_moment)
        self.quotas = {
            name: Quota(share, rng.random())
            for name, share in (
                ("amount", AMOUNT_MISSING_SHARE),
                ("decision_maker", DECISION_MAKER_MISSING_SHARE),
                ("no_activity", NO_ACTIVITY_SHARE),
                ("meeting", MEETING_PAST_SHARE),
                ("close", CLOSE_PAST_SHARE),
            )
        }

    # -- chunks ---------------------------------------------------------------------------
    def write(
        self, count: int, chunk_size: int, progress: Callable[[int, int], None] | None
    ) -> None:
        done = 0
        while done < count:
            size = min(chunk_size, count - done)
            chunk = Chunk()
            for _ in range(size):
                self._deal(chunk)
            conn = self.db.conn
            conn.execute("BEGIN")
            try:
                db = self.db
                db.insert_many(catalog.OPPORTUNITY, OPPORTUNITY_COLUMNS, chunk.opportunities)
                db.insert_many(catalog.OPPORTUNITY_HISTORY, HISTORY_COLUMNS, chunk.history)
                db.insert_many(
                    catalog.OPPORTUNITY_FIELD_HISTORY, FIELD_HISTORY_COLUMNS, chunk.field_history
                )
                db.insert_many(
                    catalog.OPPORTUNITY_COMPETITOR, COMPETITOR_COLUMNS, chunk.competitors
                )
                db.insert_many(catalog.TASK, TASK_COLUMNS, chunk.tasks)
                db.insert_many(catalog.EVENT, EVENT_COLUMNS, chunk.events)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            for allocator in (self.opp_ids, *self.rows.allocators):
                allocator.sync()
            done += size
            if progress is not None:
                progress(done, count)

    # -- one deal -------------------------------------------------------------------------
    def _work_moment(self, day: int, offset: int) -> int:
        """A moment during working hours (9:00-18:00 local) of `day`, before today."""
        moment = day * DAY + self.rng.randrange(32_400, 64_800) - offset
        if moment >= self.today_s - 7200:
            # Keep clear of today: later saves of the same deal land a few minutes after.
            moment = self.today_s - 7200 - self.rng.randrange(3600)
        return moment

    def _owner(self, account: SeedAccount, end_day: int) -> str:
        """Mostly the account owner; 5% the regional manager; else a rep of the region who was
        still with the company when the deal closed (former reps only own closed deals)."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.05:
            return self.managers[account.region].user_id
        if draw < 0.70:
            return account.owner_id
        eligible = [
            r for r in self.reps[account.region] if r.left_day is None or r.left_day > end_day + 1
        ]
        return rng.choice(eligible).user_id

    def _deal(self, out: Chunk) -> None:  # noqa: PLR0915 - one deal's story, told in order
        rng = self.rng
        today, today_s = self.today, self.today_s
        account = self.accounts[rng.randrange(len(self.accounts))]
        offset = self.offsets[account.region]
        healthcare = account.industry == HEALTHCARE

        deal_type = (
            rng.choices(EXISTING_TYPES, EXISTING_TYPE_WEIGHTS)[0]
            if account.is_customer
            else "New Customer"
        )
        source = rng.choices(SOURCES, HEALTHCARE_SOURCE_WEIGHTS if healthcare else SOURCE_WEIGHTS)[
            0
        ]
        competitor = (
            rng.choices(catalog.COMPETITORS, COMPETITOR_WEIGHTS)[0]
            if rng.random() < COMPETITOR_SHARE
            else None
        )
        acme = competitor == ACME
        raw = (
            9000.0
            * (account.employees / 100) ** 0.5
            * TYPE_AMOUNT[deal_type]
            * rng.lognormvariate(0, 0.45)
        )
        amount = float(round(raw, -2) if raw < 10_000 else round(raw / 500) * 500)
        amount = max(amount, 1000.0)
        size = min(max((amount / 40_000) ** 0.25, 0.6), 2.2)

        path = [0] if rng.random() < 0.8 else [1]
        for stage in range(path[0] + 1, 8):
            if stage in SKIPPABLE and rng.random() < 0.12:
                continue
            path.append(stage)
        durations = [BASE_DAYS[s] * size * rng.lognormvariate(0, 0.6) for s in path]

        is_open = rng.random() < OPEN_SHARE
        pushes = 0
        end_stage: int | None = None
        reopen_at = -1
        if not is_open:
            pushes = rng.choices(range(len(PUSH_WEIGHTS)), PUSH_WEIGHTS)[0]
            stall = acme and rng.random() < ACME_STALL_SHARE
            odds = BASE_ODDS * TYPE_ODDS[deal_type] * SOURCE_ODDS[source]
            if healthcare:
                odds *= HEALTHCARE_PARTNER_ODDS if source == PARTNER else HEALTHCARE_OTHER_ODDS
            if stall:
                odds *= ACME_STALL_ODDS
            if pushes >= MANY_PUSHES:
                odds *= MANY_PUSHES_ODDS
            won = rng.random() * (1 + odds) < odds
            end_stage = WON if won else LOST
            if not won:
                lost_at = rng.choices(range(8), LOST_AT_WEIGHTS)[0]
                if stall:
                    lost_at = max(lost_at, 3 + rng.randrange(3))
                keep = [i for i, s in enumerate(path) if s <= lost_at] or [0]
                path = [path[i] for i in keep]
                durations = [durations[i] for i in keep]
            if acme:
                for i, stage in enumerate(path):
                    if stage in MIDDLE_STAGES:
                        durations[i] = min(durations[i], ACME_STALL_DAYS - 1.5)
                if stall:
                    middle = [i for i, s in enumerate(path) if s in MIDDLE_STAGES]
                    durations[rng.choice(middle)] = rng.uniform(ACME_STALL_DAYS + 2, 100)
            if 6 in path and rng.random() < REOPEN_SHARE:
                # Lost from Proposal, reopened weeks later: Proposal -> Closed Lost -> Proposal.
                reopen_at = path.index(6) + 1
                path[reopen_at:reopen_at] = [LOST, 6]
                durations[reopen_at:reopen_at] = [rng.uniform(7, 40), rng.uniform(5, 20)]
            for i, value in enumerate(durations):
                durations[i] = max(value, 0.3)
            total = sum(durations)
            min_life = 12 * pushes + 5
            if total < min_life:
                # A deal that slipped several times took that long: stretch the stages the
                # planted Acme pattern does not measure.
                stretch = [i for i, s in enumerate(path) if not acme or s not in MIDDLE_STAGES]
                extra = (min_life - total) / len(stretch)
                for i in stretch:
                    durations[i] += extra
                total = sum(durations)
            room = today - 2 - self.start - total
            if room < 0:
                factor = (today - 2 - self.start) / total * 0.9
                durations = [d * factor for d in durations]
                total = sum(durations)
                room = today - 2 - self.start - total
            created_day = self.start + int(room * rng.random() ** 0.8)
        else:
            if rng.random() < 0.8:
                age = 1 + min(360.0, rng.expovariate(1 / 45))
            else:
                age = rng.uniform(90, 720)
            created_day = max(today - int(age), self.start)
            age = today - created_day - 0.5
            cumulative = 0.0
            current = -1
            for i, value in enumerate(durations):
                if cumulative + value >= age:
                    current = i
                    break
                cumulative += value
            if current < 0:
                # A stale deal: it stopped moving at some stage long ago.
                current = min(int(rng.random() ** 1.5 * len(path)), len(path) - 1)
                before = sum(durations[:current])
                if before > age * 0.9:
                    factor = age * 0.9 / before
                    durations = [d * factor for d in durations]
            path = path[: current + 1]
            durations = durations[: current + 1]

        # -- stage timeline --------------------------------------------------------------
        created = self._work_moment(created_day, offset)
        entries = [created]
        moment = created
        for value in durations[:-1] if is_open else durations:
            raw_moment = entries[-1] + int(value * DAY)
            moment = self._work_moment(raw_moment // DAY, offset)
            moment = max(moment, entries[-1] + 600)
            entries.append(moment)
        # For closed deals the last entry is the closing moment.
        stages = [*path, end_stage] if end_stage is not None else list(path)
        close_moment = entries[-1] if end_stage is not None else None
        last_day = today - 1 if close_moment is None else close_moment // DAY
        current_stage = stages[-1]

        # -- flags for bad data on open deals ---------------------------------------------
        late = current_stage in LATE_STAGES
        age_days = today - created_day
        amount_missing = dm_missing = no_activity = meeting_past = close_past = False
        if is_open:
            quotas = self.quotas
            if late:
                amount_missing = quotas["amount"].draw(True)
                dm_missing = quotas["decision_maker"].draw(True)
            no_activity = quotas["no_activity"].draw(age_days >= NO_ACTIVITY_DAYS + 15)
            meeting_past = quotas["meeting"].draw(True)
            close_past = quotas["close"].draw(age_days >= 3)

        saves = Saves()
        save = saves.add

        for i in range(1, len(stages)):
            save(entries[i], SAVE_STAGE, stages[i])

        # -- close dates ------------------------------------------------------------------
        created_close_limit = entries[reopen_at] if reopen_at > 0 else (close_moment or today_s)
        if is_open:
            pushes = rng.choices(range(len(PUSH_WEIGHTS)), PUSH_WEIGHTS)[0] + int(age_days // 90)
        pushes = min(pushes, max(0, (created_close_limit - created) // DAY - 3) // 10)
        push_moments = sorted(
            self._work_moment(
                rng.randrange(created_day + 2, created_close_limit // DAY) if pushes else 0,
                offset,
            )
            for _ in range(pushes)
        )
        estimates: list[int] = []
        previous = created_day + 3
        for when in push_moments:
            value = max(when // DAY + rng.randint(-4, 7), previous + 7 if estimates else previous)
            estimates.append(value)
            previous = value
        if close_moment is not None:
            close_day = close_moment // DAY
            floor = previous + 7 if estimates else max(close_day, created_day + 21)
            final = max(close_day, floor) + rng.randint(0, 20 if estimates else 30)
        elif close_past:
            final = rng.randint(max(created_day + 1, today - 60), today - 1)
            while estimates and estimates[-1] >= final:
                estimates.pop()
                push_moments.pop()
        else:
            final = today + rng.randint(3, 20 + 15 * (8 - current_stage))
            if estimates:
                final = max(final, estimates[-1] + 7)
        values = [*estimates, final]
        initial_close = values[0]
        for when, value in zip(push_moments, values[1:], strict=True):
            save(when, SAVE_CLOSE, value)
        if close_moment is not None:
            save(close_moment, SAVE_CLOSE, close_moment // DAY)
        if reopen_at > 0:
            lost_moment, reopen_moment = entries[reopen_at], entries[reopen_at + 1]
            save(lost_moment, SAVE_CLOSE, lost_moment // DAY)
            assert close_moment is not None
            save(
                reopen_moment,
                SAVE_CLOSE,
                max(close_moment // DAY, reopen_moment // DAY + 14) + rng.randint(0, 10),
            )

        # -- amount, decision maker, budget, next step -------------------------------------
        def entry_of(first_stage: int) -> int | None:
            for index, stage in enumerate(stages):
                if first_stage <= stage < WON:
                    return index
            return None

        initial_amount: float | None = amount
        if amount_missing:
            initial_amount = None
        else:
            revised = rng.random() < 0.3 and 6 in stages
            start_amount = (
                float(round(amount * rng.uniform(0.75, 1.35) / 500) * 500 or 500)
                if revised
                else amount
            )
            if rng.random() < 0.18:
                initial_amount = None
                index = entry_of(2)
                if index is not None and index > 0:
                    save(entries[index], SAVE_AMOUNT, start_amount)
                elif index == 0:
                    initial_amount = start_amount
            else:
                initial_amount = start_amount
            if revised and start_amount != amount:
                index = stages.index(6)
                if index > 0:
                    save(entries[index], SAVE_AMOUNT, amount)
                else:
                    initial_amount = amount

        decision_maker = None
        if 4 in stages and not dm_missing and (end_stage != LOST or rng.random() < 0.92):
            decision_maker = (
                f"{rng.choice(DM_FIRST)} {rng.choice(DM_LAST)}, {rng.choice(DM_TITLES)}"
            )
            index = stages.index(4)
            if index > 0:
                save(entries[index] + 60, SAVE_DM, decision_maker)
        if 3 in stages and rng.random() < (0.95 if end_stage == WON else 0.75):
            index = stages.index(3)
            if index > 0:
                save(entries[index] + 120, SAVE_BUDGET, 1)
        last_open = max(i for i, s in enumerate(stages) if s < WON)
        next_step = NEXT_STEPS[stages[0]]
        if last_open > 0 and stages[last_open] != stages[0]:
            save(entries[last_open] + 180, SAVE_NEXT, NEXT_STEPS[stages[last_open]])

        # -- owner ------------------------------------------------------------------------
        owner = self._owner(account, last_day)
        creator = self.admin_id if rng.random() < 0.06 else owner
        deal = Deal(
            opp_id=self.opp_ids.take(), account=account, owner=owner, creator=creator,
            deal_type=deal_type, source=source, competitor=competitor, offset=offset,
            is_open=is_open, late=late, created=created, created_day=created_day,
            age_days=age_days, close_moment=close_moment, last_day=last_day, stages=stages,
            initial_close=initial_close, initial_amount=initial_amount, next_step=next_step,
            no_activity=no_activity, meeting_past=meeting_past, saves=saves,
        )  # fmt: skip
        last_activity = self.rows.activities(deal, out)
        self.rows.competitors(deal, out)
        product = rng.choice(PRODUCTS[deal_type])
        self.rows.history(deal, out, last_activity, product)
