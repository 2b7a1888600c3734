"""The audit trail (store.audit) on SQLite and PostgreSQL: records are written in one INSERT
statement, values round-trip as exact JSON (money as decimal text, dates in ISO), errors are
truncated, and the log answers each opportunity's newest entries, capped per opportunity, in
one statement per chunk of ids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text

from rules.process import AuditAction, AuditOutcome
from store import audit
from store.audit import AuditRecord, audit_log, jsonable, record_audit
from store.write_models import ERROR_MAX_LENGTH
from tests import factories as f
from tests.store_backends import counting

REP = "005000000000001AAA"
DEAL, OTHER = "006000000000001AAA", "006000000000002AAA"


def _fix(
    field: str, old: object, new: object, opportunity_id: str = DEAL, **values: Any
) -> AuditRecord:
    """An applied quick-fix of one field of `opportunity_id` by the rep."""
    return AuditRecord(
        user_id=REP,
        action=AuditAction.QUICK_FIX,
        opportunity_id=opportunity_id,
        outcome=AuditOutcome.APPLIED,
        field=field,
        old_value=old,
        new_value=new,
        **values,
    )


def test_jsonable_keeps_money_exact_and_dates_iso() -> None:
    moment = datetime(2026, 3, 1, 13, 30, tzinfo=timezone(timedelta(hours=1)))
    assert jsonable(Decimal("58500.00")) == "58500.00"
    assert jsonable(Decimal("5.85E+4")) == "58500"  # never an exponent
    assert jsonable(date(2026, 3, 1)) == "2026-03-01"
    assert jsonable(moment) == "2026-03-01T12:30:00+00:00"  # in UTC
    assert jsonable(AuditOutcome.CONFLICT) == "CONFLICT"
    nested = {"Amount": Decimal("1.50"), "when": (date(2026, 1, 2),), 3: None}
    assert jsonable(nested) == {"Amount": "1.50", "when": ["2026-01-02"], "3": None}
    assert jsonable(True) is True


def test_jsonable_refuses_what_it_cannot_show_faithfully() -> None:
    with pytest.raises(TypeError):
        jsonable(object())
    with pytest.raises(ValueError, match="naive"):
        jsonable(datetime(2026, 3, 1, 12, 0))


def test_records_are_written_in_one_insert_and_read_back(store_engine: Engine) -> None:
    f.org(store_engine)
    records = [
        _fix("Amount", Decimal("50000.00"), Decimal("58500.00"), request_id="req-1"),
        _fix("CloseDate", date(2026, 2, 1), date(2026, 4, 30), connection="integration:ops"),
        _fix("NextStep", "call", None, alert_id="alert_1"),
    ]
    with counting(store_engine) as statements:
        written = record_audit(store_engine, f.ORG_A, records, f.NOW)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert [e.field for e in written] == ["Amount", "CloseDate", "NextStep"]
    assert len({e.id for e in written}) == 3
    assert all(e.id.startswith("aud_") for e in written)
    read = {e.field: e for e in audit_log(store_engine, f.ORG_A, [DEAL])[DEAL]}
    amount = read["Amount"]
    assert (amount.old_value, amount.new_value) == ("50000.00", "58500.00")
    assert (amount.action, amount.outcome, amount.at) == ("QUICK_FIX", "APPLIED", f.NOW)
    assert (amount.user_id, amount.request_id) == (REP, "req-1")
    assert read["CloseDate"].new_value == "2026-04-30"
    assert read["CloseDate"].connection == "integration:ops"
    assert (read["NextStep"].new_value, read["NextStep"].alert_id) == (None, "alert_1")


def test_a_none_value_is_stored_as_sql_null(store_engine: Engine) -> None:
    f.org(store_engine)
    dismissal = AuditRecord(REP, AuditAction.DISMISS, DEAL, AuditOutcome.APPLIED)
    record_audit(store_engine, f.ORG_A, [dismissal, _fix("Amount", None, 0)], f.NOW)
    with store_engine.connect() as connection:
        null_new = connection.execute(
            text("SELECT action FROM audit_entry WHERE new_value IS NULL")
        ).all()
        null_old = connection.execute(
            text("SELECT count(*) FROM audit_entry WHERE old_value IS NULL")
        ).scalar_one()
    assert [row.action for row in null_new] == ["DISMISS"]  # the fix's 0 is a value
    assert null_old == 2
    entries = audit_log(store_engine, f.ORG_A, [DEAL])[DEAL]
    assert sorted((e.field or "", e.new_value) for e in entries) == [("", None), ("Amount", 0)]


def test_a_long_error_is_truncated(store_engine: Engine) -> None:
    f.org(store_engine)
    failed = AuditRecord(REP, AuditAction.QUICK_FIX, DEAL, AuditOutcome.FAILED, error="x" * 5000)
    (entry,) = record_audit(store_engine, f.ORG_A, [failed], f.NOW)
    stored = audit_log(store_engine, f.ORG_A, [DEAL])[DEAL][0].error
    assert stored is not None
    assert len(stored) == ERROR_MAX_LENGTH
    assert stored == entry.error
    assert stored.startswith("x" * 999)


def test_nothing_is_written_when_a_value_cannot_be_stored(store_engine: Engine) -> None:
    f.org(store_engine)
    records = [_fix("Amount", 1, 2), _fix("Odd", object(), None)]
    with pytest.raises(TypeError):
        record_audit(store_engine, f.ORG_A, records, f.NOW)
    assert audit_log(store_engine, f.ORG_A, [DEAL]) == {}
    assert record_audit(store_engine, f.ORG_A, [], f.NOW) == []


def test_the_log_is_newest_first_and_capped_per_opportunity(store_engine: Engine) -> None:
    f.org(store_engine)
    for minute in range(5):
        at = f.NOW + timedelta(minutes=minute)
        record_audit(store_engine, f.ORG_A, [_fix("Amount", minute, minute + 1)], at)
    record_audit(store_engine, f.ORG_A, [_fix("Amount", 0, 1, opportunity_id=OTHER)], f.NOW)
    log = audit_log(store_engine, f.ORG_A, [DEAL, OTHER, "006000000000009AAA"], limit=3)
    assert set(log) == {DEAL, OTHER}  # an opportunity with no entry is absent
    assert [e.at for e in log[DEAL]] == [f.NOW + timedelta(minutes=m) for m in (4, 3, 2)]
    assert [e.new_value for e in log[OTHER]] == [1]  # the other's cap is its own
    assert all(e.at.tzinfo is UTC for e in log[DEAL])
    with pytest.raises(ValueError, match="limit"):
        audit_log(store_engine, f.ORG_A, [DEAL], limit=0)


def test_the_log_is_one_statement_per_chunk_of_ids(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    f.org(store_engine)
    deals = [f"006{n:012d}AAA" for n in range(1, 8)]
    records = [_fix("Amount", 0, n, opportunity_id=deal) for n, deal in enumerate(deals)]
    record_audit(store_engine, f.ORG_A, records, f.NOW)
    with counting(store_engine) as statements:
        log = audit_log(store_engine, f.ORG_A, deals)
    assert len(statements) == 1
    assert set(log) == set(deals)
    monkeypatch.setattr(audit, "CHUNK", 3)
    with counting(store_engine) as statements:
        chunked = audit_log(store_engine, f.ORG_A, deals + deals)  # duplicates asked once
    assert len(statements) == 3
    assert {k: [e.id for e in v] for k, v in chunked.items()} == {
        k: [e.id for e in v] for k, v in log.items()
    }
