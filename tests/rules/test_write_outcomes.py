"""A record's outcome survives its idempotency key's JSON: a replay answers what the first
call answered, including that a check-in's field updates stood though its Task failed."""

from __future__ import annotations

import json
from dataclasses import replace

from rules.process import AuditOutcome
from rules.write_outcomes import QuickFixErrorCode, RecordOutcome, WriteProblem


def test_an_outcome_round_trips_through_json_as_a_replay() -> None:
    outcome = RecordOutcome(
        "006000000000001AAA",
        AuditOutcome.FAILED,
        (WriteProblem(None, QuickFixErrorCode.API_LIMIT, "the Task was not written"),),
        current_values={"NextStep": "Call"},
        resolved_alert_ids=("alert-1",),
        fields_applied=True,
    )
    again = RecordOutcome.from_json(json.loads(json.dumps(outcome.as_json())))
    assert again == replace(outcome, replayed=True)
    assert (again.fields_applied, again.ok) == (True, False)


def test_an_outcome_stored_before_fields_applied_existed_reads_as_not_applied() -> None:
    stored = RecordOutcome("006000000000001AAA", AuditOutcome.REFUSED).as_json()
    del stored["fields_applied"]
    assert RecordOutcome.from_json(stored).fields_applied is False
