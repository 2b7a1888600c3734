"""What a formula reads of one opportunity, shaped from what the mirror holds: its mirrored
fields, the fields of its related records under their dotted names (`Account.Industry`,
`Owner.UserRole.Name`) and its derived facts at a moment. The same records feed the
interpreter (`CompiledFormula.evaluate(record, now)`) and the bulk path
(`evaluation_frame` -> `rules.formula.bulk.evaluate_bulk_many`), so both see the same values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rules.catalog import RELATED_FIELDS
from rules.fact_registry import Moment, fact_values
from rules.formula.bulk_frame import BulkFrame, frame_from_records


@dataclass(frozen=True)
class EvaluationSource:
    """One opportunity as the mirror holds it (see `store.evaluation`)."""

    opportunity_id: str
    # Every mirrored describe field, as the REST API returned it.
    fields: Mapping[str, Any]
    created_date: datetime | None
    # Its stored facts by `Fact.key`; empty before they are first computed.
    stored_facts: Mapping[str, Any]
    # Related fields by formula name (keys of RELATED_FIELDS); None where there is no record.
    related: Mapping[str, Any]


def evaluation_record(source: EvaluationSource, moment: Moment) -> dict[str, Any]:
    """The record a formula evaluates for `source` at `moment`: fields, related fields (every
    one of RELATED_FIELDS, blank when missing) and facts by formula name."""
    related = {name: source.related.get(name) for name in RELATED_FIELDS}
    facts = fact_values(source.stored_facts, created_date=source.created_date, moment=moment)
    return {**source.fields, **related, **facts}


def evaluation_frame(
    sources: Sequence[EvaluationSource], catalog: Mapping[str, str], moment: Moment
) -> BulkFrame:
    """The bulk frame of `sources` at `moment` for `catalog` (`rules.catalog.rule_catalog`),
    built once for all the formulas evaluated over it."""
    return frame_from_records([evaluation_record(s, moment) for s in sources], catalog)
