"""An evaluation pass refused by a unique index (another process evaluating the same org:
`dealpulse evaluate` beside `dealpulse serve`; the pass lock is per process) is run once more;
refused again, the scheduler and the CLI say so in words, with no traceback."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from api.cli_evaluate import evaluate_orgs
from services import passes
from services.evaluation import EvaluationReport
from services.orgs import OrgRefresher
from services.passes import PassCollision, clock_tick
from store.engine import make_engine
from store.migrate import upgrade
from tests import factories as f
from tests.graphql_client import make_settings
from tests.services import evaluation_rows as rows

pytestmark = pytest.mark.sqlite_only

ALWAYS = 1_000
COLLIDED = "collided twice with another process evaluating it at the same time"


def _refused() -> IntegrityError:
    """What SQLAlchemy raises when uq_alert_live refuses an alert (SQLite's wording)."""
    orig = Exception("UNIQUE constraint failed: alert.org_id, alert.rule_id, alert.opportunity_id")
    return IntegrityError("INSERT INTO alert ...", {}, orig)


def _colliding(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """evaluate_org refused `times` times, then run for real; returns the list of calls."""
    real = passes.evaluate_org
    calls: list[int] = []

    def evaluate_org(engine: Engine, org_id: str, **kwargs: Any) -> EvaluationReport:
        calls.append(1)
        if len(calls) <= times:
            raise _refused()
        return real(engine, org_id, **kwargs)

    monkeypatch.setattr(passes, "evaluate_org", evaluate_org)
    return calls


def _deal_with_a_rule(engine: Engine) -> None:
    team = f.team(engine)
    rows.describe(engine)
    f.opportunity(engine, team.reps[0])
    rows.rule(engine, "true")


def test_a_pass_refused_once_is_run_again(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deal_with_a_rule(store_engine)
    calls = _colliding(monkeypatch, times=1)
    report = OrgRefresher(store_engine, make_settings()).evaluate(f.ORG_A, now=f.NOW)
    assert len(calls) == 2
    assert (report.alerts_opened, report.alerts_open) == (1, 1)
    assert len(rows.live(store_engine)) == 1


def test_a_clock_tick_refused_once_evaluates_again(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deal_with_a_rule(store_engine)
    calls = _colliding(monkeypatch, times=1)
    clock_tick(store_engine, f.ORG_A, now=f.NOW)
    assert len(calls) == 2
    assert len(rows.live(store_engine)) == 1


def test_the_scheduler_reports_a_second_refusal_in_words(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _deal_with_a_rule(store_engine)
    calls = _colliding(monkeypatch, times=ALWAYS)
    refresher = OrgRefresher(store_engine, make_settings())
    with pytest.raises(PassCollision, match=COLLIDED):
        refresher.evaluate(f.ORG_A, now=f.NOW)
    assert len(calls) == 2  # once more, not for ever
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert refresher.evaluate_all() == [f.ORG_A]
    [failure] = [r for r in caplog.records if "failed" in r.getMessage()]
    assert COLLIDED in failure.getMessage()
    assert failure.exc_info is None  # no traceback: it is no bug
    assert rows.live(store_engine) == {}  # nothing of a refused pass stands


def test_the_cli_reports_a_second_refusal_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'dealpulse.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        _deal_with_a_rule(engine)
    finally:
        engine.dispose()
    _colliding(monkeypatch, times=ALWAYS)
    out = io.StringIO()
    console = Console(file=out, width=400)
    assert evaluate_orgs(make_settings(database_url=url), None, False, console) is False
    said = out.getvalue()
    assert f"{f.ORG_A}: evaluation failed: the evaluation of org {f.ORG_A} {COLLIDED}" in said
    assert "Traceback" not in said
