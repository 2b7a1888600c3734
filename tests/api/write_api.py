"""A private devorg for the rep's writes (quick-fix, check-in): tests change its records, so it
is not the session's shared devorg. Each test gets it registered as an org on its own store,
synced in full, with the demo's sales process set up and evaluated."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from auth.dev_tokens import issue_dev_token
from devorg.organization import demo_today
from services.demo_process import set_up_demo_process
from services.orgs import OrgRefresher
from store.mirror import Mirror
from store.models import Opportunity
from store.process_models import Alert, AlertRule
from tests.devorg_server import RunningDevorg, start_devorg
from tests.graphql_client import GraphQLClient, make_settings

WRITE_OPPORTUNITIES = 230  # a quickFixMany of 200 needs as many the admin may fix


@dataclass
class WriteOrg:
    engine: Engine
    devorg: RunningDevorg
    refresher: OrgRefresher

    @property
    def org_id(self) -> str:
        return self.devorg.seed.org_id

    def user_id(self, role: str) -> str:
        return self.devorg.seed.users[role].user_id

    def token(self, client: GraphQLClient, role: str) -> str:
        return self.token_of(client, self.user_id(role))

    def token_of(self, client: GraphQLClient, user_id: str) -> str:
        return issue_dev_token(client.settings, self.org_id, user_id)

    def api_used(self) -> int:
        """Requests counted against the org's daily budget so far, this read included: the
        requests between two reads are their difference minus one."""
        limits = self.devorg.sf().limits()["DailyApiRequests"]
        return int(limits["Max"]) - int(limits["Remaining"])

    def calls_since(self, used: int) -> int:
        """Salesforce API requests since `api_used()` answered `used` (this read excluded)."""
        return self.api_used() - used - 1

    def devorg_writes(self) -> int:
        """Records devorg has written through its API so far (creates, updates, deletes)."""
        return int(self.devorg.control("GET", "writes")["writes"])


def open_alerts_of_rule(engine: Engine, org_id: str, rule_name: str) -> dict[str, Alert]:
    """OPEN alerts of the rule named, by opportunity id."""
    query = (
        select(Alert)
        .join(AlertRule, col(AlertRule.id) == col(Alert.rule_id))
        .where(
            col(Alert.org_id) == org_id,
            col(AlertRule.org_id) == org_id,
            col(AlertRule.name) == rule_name,
            col(Alert.status) == "OPEN",
        )
    )
    with Session(engine) as session:
        return {a.opportunity_id: a for a in session.exec(query).all()}


def mirrored(engine: Engine, org_id: str, opportunity_id: str) -> Opportunity:
    with Session(engine) as session:
        row = session.get(Opportunity, (org_id, opportunity_id))
        assert row is not None
        return row


def owned_open(
    engine: Engine, org_id: str, owner_id: str | None, *, closed_too: bool = False
) -> list[Opportunity]:
    """The open opportunities of `owner_id` (None: of everyone), by id."""
    query = select(Opportunity).where(
        col(Opportunity.org_id) == org_id, col(Opportunity.is_deleted).is_(False)
    )
    if not closed_too:
        query = query.where(col(Opportunity.is_closed).is_(False))
    if owner_id is not None:
        query = query.where(col(Opportunity.owner_id) == owner_id)
    with Session(engine) as session:
        return list(session.exec(query.order_by(col(Opportunity.id))).all())


def busiest_owner(engine: Engine, org_id: str) -> tuple[str, list[Opportunity]]:
    """The owner of the most open opportunities, and those opportunities."""
    query = select(Opportunity.owner_id).where(
        col(Opportunity.org_id) == org_id,
        col(Opportunity.is_closed).is_(False),
        col(Opportunity.is_deleted).is_(False),
    )
    with Session(engine) as session:
        owners = list(session.exec(query).all())
    owner = max(sorted(set(owners)), key=owners.count)
    return owner, owned_open(engine, org_id, owner)


LATE_STAGES = frozenset({"Proposal/Price Quote", "Negotiation/Review"})


def writable(opportunities: list[Opportunity]) -> list[Opportunity]:
    """Those an unrelated update can be saved on: no devorg validation rule fires on them
    already (no late stage, whose rules want an amount and a decision maker, and no next
    meeting date in the past)."""
    today = demo_today().isoformat()
    return [
        o for o in opportunities
        if o.stage_name not in LATE_STAGES
        and (o.fields.get("Next_Meeting_Date__c") or today) >= today
    ]  # fmt: skip


def fix_input(
    opportunity: Opportunity, values: dict[str, Any], key: str, **overrides: Any
) -> dict[str, Any]:
    assert opportunity.last_modified_date is not None
    return {
        "opportunityId": opportunity.id,
        "values": values,
        "expectedLastModified": opportunity.last_modified_date.isoformat(),
        "idempotencyKey": key,
        **overrides,
    }


@pytest.fixture(scope="module")
def write_devorg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevorg]:
    running = start_devorg(
        Path(tmp_path_factory.mktemp("write-devorg")), opportunities=WRITE_OPPORTUNITIES,
        seed=23, api_daily_limit=10_000_000,
    )  # fmt: skip
    yield running
    running.stop()


@pytest.fixture
def write_org(
    store_engine: Engine, write_devorg: RunningDevorg, tmp_path: Path
) -> Iterator[WriteOrg]:
    seed = write_devorg.seed
    key = tmp_path / "jwt.pem"
    key.write_text(seed.jwt_private_key_pem)
    Mirror(store_engine, seed.org_id).ensure_org(
        name="write devorg", instance_url=write_devorg.url, auth_flow="jwt",
        client_id=seed.client_id, username=seed.users["admin"].username,
        private_key_file=str(key), is_devorg=True,
    )  # fmt: skip
    refresher = OrgRefresher(store_engine, make_settings())
    refresher.refresh(seed.org_id, "full")
    set_up_demo_process(
        store_engine, refresher.gateway(seed.org_id), seed.org_id, seed.users["admin"].user_id,
        datetime.now(UTC), evaluate=refresher.evaluate,
    )  # fmt: skip
    yield WriteOrg(store_engine, write_devorg, refresher)
    refresher.close()
    write_devorg.reset_faults()
