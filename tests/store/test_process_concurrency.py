"""Concurrent writes of the same definition or completion take turns, on SQLite and
PostgreSQL: a double click completes a milestone once, two edits of a rule make two versions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import Engine

from store import alert_rules, milestones
from tests import factories as f
from tests import process_factories as pf

T = TypeVar("T")
WRITERS = 4
DEAL, REP = "006000000000001AAA", "005000000000001AAA"


def _at_once(write: Callable[[int], T]) -> list[T]:
    """`write(i)` for each writer, all started together in their own threads."""
    start = threading.Barrier(WRITERS)

    def run(index: int) -> T:
        start.wait()
        return write(index)

    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(run, range(WRITERS)))


def test_a_milestone_completed_at_once_is_completed_once(store_engine: Engine) -> None:
    f.org(store_engine)
    milestone = pf.milestone(store_engine, f.ORG_A)
    done = _at_once(
        lambda i: milestones.complete_milestone(
            store_engine, f.ORG_A, milestone.id, DEAL, REP, f"click {i}", f.NOW
        )
    )
    assert sum(completion is not None for completion in done) == 1
    history = milestones.completion_history(store_engine, f.ORG_A, [DEAL])
    assert len(history[DEAL]) == 1


def test_edits_at_once_each_make_a_version(store_engine: Engine) -> None:
    f.org(store_engine)
    rule = pf.rule(store_engine, f.ORG_A)
    edited = _at_once(
        lambda i: alert_rules.update_rule(
            store_engine, f.ORG_A, rule.id, {"condition": f"Amount > {i}"}, None,
            f.NOW + timedelta(minutes=i),
        )
    )  # fmt: skip
    assert sorted(row.version for row in edited if row is not None) == [2, 3, 4, 5]
    versions = alert_rules.rule_versions(store_engine, f.ORG_A, rule.id)
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]
    final = alert_rules.rules_by_ids(store_engine, f.ORG_A, [rule.id])[rule.id]
    assert final.condition == versions[-1].condition


def test_milestones_created_at_once_each_go_last(store_engine: Engine) -> None:
    f.org(store_engine)
    pf.milestone(store_engine, f.ORG_A, name="first")
    _at_once(lambda i: pf.milestone(store_engine, f.ORG_A, name=f"new {i}"))
    positions = [m.position for m in milestones.list_milestones(store_engine, f.ORG_A)]
    assert positions == list(range(WRITERS + 1))
