"""The reads behind live alert updates: who owns the opportunities a pass changed alerts on
(the publisher tags each event with it, so a subscriber filters without a query), and the
alerts an event names, read fresh for each event (a subscription lives for hours: nothing of
it may be cached). One statement each, through store.tenancy.OrgScope. Blocking."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Engine
from sqlmodel import Session, col

from store.models import Opportunity
from store.process_models import Alert
from store.tenancy import OrgScope


def opportunity_owners(engine: Engine, org_id: str, ids: Collection[str]) -> dict[str, str]:
    """The owner of each of `ids` (deleted ones included: their alerts resolve too)."""
    if not ids:
        return {}
    query = OrgScope(org_id).select(Opportunity).where(col(Opportunity.id).in_(sorted(set(ids))))
    with Session(engine) as session:
        return {row.id: row.owner_id for row in session.exec(query).all()}


def alerts_by_ids(engine: Engine, org_id: str, ids: Collection[str]) -> dict[str, Alert]:
    query = OrgScope(org_id).select(Alert).where(col(Alert.id).in_(sorted(set(ids))))
    with Session(engine) as session:
        return {row.id: row for row in session.exec(query).all()}
