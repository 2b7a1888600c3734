"""Tenancy through store.tenancy.OrgScope: two orgs hold records with the same ids, and every
repository function answers (or changes) only its own org's rows.

Org B has the same records as org A under the same ids, with other values, plus records A does
not have: a statement that forgot the org would answer B's values, extra rows or duplicates.
The last tests check that every repository function is exercised here; the sales process's
repositories (store.alert_rules, store.milestones, store.alerts) are checked the same way, over
these same two orgs, in tests/store/test_tenancy_process.py."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session, select

from store import queries
from store.mirror import ORG_PASS, Mirror
from store.models import (
    Account,
    Activity,
    DerivedFacts,
    FieldCatalog,
    Opportunity,
    OpportunityCompetitor,
    OpportunityFieldHistory,
    OpportunityHistory,
    OpportunityStage,
    Organization,
    SfUser,
    SyncState,
    UserRole,
)
from store.queries import OpportunityFilter, Ordering, SortField, Visibility
from tests import factories as f

A, B = f.ORG_A, f.ORG_B
TOP, REP_ROLE = "00E000000000001AAA", "00E000000000002AAA"
USER, B_ONLY_USER = "005000000000001AAA", "005000000000002AAA"
ACCOUNT, STAGE = "001000000000001AAA", "01J000000000001AAA"
DEAL, B_ONLY_DEAL = "006000000000001AAA", "006000000000002AAA"
DEALS = [DEAL, B_ONLY_DEAL]
TAG = {A: "A", B: "B"}
SYNCED = {A: f.NOW - timedelta(hours=1), B: f.NOW}
AMOUNT = {A: Decimal("100.00"), B: Decimal("200.00")}
ZONE = {A: "America/Denver", B: "Asia/Tokyo"}
CURRENCY = {A: "EUR", B: "JPY"}


def _deal_rows(org: str, deal: str, owner: str) -> list[object]:
    tag = TAG[org]
    return [
        Opportunity(
            org_id=org, id=deal, name=f"{tag} deal", owner_id=owner, account_id=ACCOUNT,
            stage_name="Prospecting", amount=AMOUNT[org], created_date=f.NOW,
            last_modified_date=f.NOW, fields={"Competitor__c": f"{tag} primary"},
        ),
        OpportunityHistory(
            org_id=org, id="008" + deal[3:], opportunity_id=deal, stage_name="Prospecting",
            amount=AMOUNT[org], created_date=f.NOW,
        ),
        OpportunityFieldHistory(
            org_id=org, id="017" + deal[3:], opportunity_id=deal, field="CloseDate",
            old_value="2026-01-01", new_value=f"2026-0{2 if org == A else 3}-01",
            created_date=f.NOW,
        ),
        OpportunityCompetitor(
            org_id=org, id="00J" + deal[3:], opportunity_id=deal, competitor_name=f"{tag} rival"
        ),
        Activity(
            org_id=org, id="00T" + deal[3:], kind="Task", what_id=deal, subject=f"{tag} call",
            activity_date=date(2026, 2, 1 if org == A else 2),
        ),
        DerivedFacts(
            org_id=org, opportunity_id=deal, stage_number=1 if org == A else 2,
            stage_entered_at=f.NOW,
        ),
    ]  # fmt: skip


def populate(engine: Engine, org: str) -> None:
    tag = TAG[org]
    f.org(engine, org, with_stages=False)
    rows: list[object] = [
        UserRole(org_id=org, id=TOP, name=f"{tag} top"),
        UserRole(
            org_id=org, id=REP_ROLE, name=f"{tag} reps", parent_role_id=TOP if org == A else None
        ),
        SfUser(org_id=org, id=USER, name=f"{tag} user", username=f"{tag}@x", user_role_id=REP_ROLE),
        Account(org_id=org, id=ACCOUNT, name=f"{tag} account"),
        OpportunityStage(
            org_id=org, id=STAGE, api_name="Prospecting", label=f"{tag} Prospecting",
            sort_order=1, is_active=True, is_closed=False, is_won=False,
        ),
        *_deal_rows(org, DEAL, USER),
        FieldCatalog(org_id=org, sobject="Opportunity", describe={"org": tag}, fetched_at=f.NOW),
        Organization(
            org_id=org, id=org, time_zone_sid_key=ZONE[org], default_currency_iso_code=CURRENCY[org]
        ),
        SyncState(org_id=org, sobject=ORG_PASS, last_success_at=SYNCED[org]),
        SyncState(org_id=org, sobject="Opportunity", records_synced=1 if org == A else 2),
    ]  # fmt: skip
    if org == B:
        rows += [
            SfUser(
                org_id=org, id=B_ONLY_USER, name="B only", username="b@x", user_role_id=REP_ROLE
            ),
            *_deal_rows(org, B_ONLY_DEAL, B_ONLY_USER),
        ]
    f.add(engine, *rows)  # type: ignore[arg-type]


def two_orgs(engine: Engine) -> None:
    populate(engine, A)
    populate(engine, B)


def _names(rows: Mapping[str, Opportunity | Account | SfUser | UserRole]) -> dict[str, str]:
    return {key: row.name for key, row in rows.items()}


def _listed(engine: Engine, ordering: Ordering, **where: object) -> list[str]:
    page = queries.list_opportunities(
        engine,
        Visibility(A, None),
        OpportunityFilter(**where),  # type: ignore[arg-type]
        ordering,
        limit=10,
        offset=0,
    )
    return [row.name for row in page.rows]


READS_TESTED = {
    "list_opportunities", "count_opportunities", "opportunities_by_ids", "accounts_by_ids",
    "users_by_ids", "roles_by_ids", "role_parents", "user_ids_in_roles", "stages",
    "stages_by_names", "competitor_names", "history_by_opportunity", "facts_by_opportunity",
    "field_catalogs", "sync_states", "org_synced_at", "user_in_org", "org_settings",
}  # fmt: skip
# Functions about the org registry itself (the `org` table, keyed by the org's id).
ORG_REGISTRY = {"org", "org_exists", "all_orgs"}


def test_every_read_answers_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs(store_engine)
    engine, everyone = store_engine, Visibility(A, None)
    expected = ["A deal"]
    for ordering in (Ordering(), *(Ordering(field) for field in SortField)):
        assert _listed(engine, ordering) == expected, ordering  # a join would duplicate rows
    assert _listed(engine, Ordering(), competitor="A rival") == expected
    assert _listed(engine, Ordering(), competitor="A primary") == expected
    assert _listed(engine, Ordering(), competitor="B rival") == []
    assert _listed(engine, Ordering(), competitor="B primary") == []
    assert queries.count_opportunities(engine, everyone, OpportunityFilter()) == 1
    assert _names(queries.opportunities_by_ids(engine, everyone, DEALS)) == {DEAL: "A deal"}
    assert _names(queries.accounts_by_ids(engine, A, [ACCOUNT])) == {ACCOUNT: "A account"}
    users = queries.users_by_ids(engine, A, [USER, B_ONLY_USER])
    assert _names(users) == {USER: "A user"}
    roles = queries.roles_by_ids(engine, A, [TOP, REP_ROLE])
    assert _names(roles) == {TOP: "A top", REP_ROLE: "A reps"}
    assert queries.role_parents(engine, A) == {TOP: None, REP_ROLE: TOP}
    assert queries.user_ids_in_roles(engine, A, {REP_ROLE}) == {USER}
    assert [s.label for s in queries.stages(engine, A)] == ["A Prospecting"]
    by_name = queries.stages_by_names(engine, A, ["Prospecting"])
    assert by_name["Prospecting"].label == "A Prospecting"
    assert queries.competitor_names(engine, A, DEALS) == {DEAL: ["A rival"]}
    history = queries.history_by_opportunity(engine, A, DEALS)
    assert {k: [h.amount for h in v] for k, v in history.items()} == {DEAL: [AMOUNT[A]]}
    facts = queries.facts_by_opportunity(engine, A, DEALS)
    assert {k: v.stage_number for k, v in facts.items()} == {DEAL: 1}
    assert queries.field_catalogs(engine, A, ["Opportunity"]) == {"Opportunity": {"org": "A"}}
    states = queries.sync_states(engine, A)
    assert states.org is not None
    assert states.org.last_success_at == SYNCED[A]
    assert [(s.sobject, s.records_synced) for s in states.objects] == [("Opportunity", 1)]
    assert queries.org_synced_at(engine, A) == SYNCED[A]
    found = queries.user_in_org(engine, A, USER)
    assert found is not None
    assert (found.user.name, found.time_zone, found.currency) == ("A user", "America/Denver", "EUR")
    assert queries.user_in_org(engine, A, B_ONLY_USER) is None
    assert queries.org_settings(engine, A) == ("America/Denver", "EUR")
    assert queries.org_settings(engine, "00D000000000009AAA") == (None, None)


def test_every_mirror_read_answers_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs(store_engine)
    mirror = Mirror(store_engine, A)
    assert mirror.opportunity_ids() == [DEAL]
    assert mirror.opportunity_ids(include_deleted=True) == [DEAL]
    assert mirror.count(Opportunity) == mirror.count(SfUser) == 1
    assert mirror.count(OpportunityHistory, include_deleted=True) == 1
    assert {k: s.records_synced for k, s in mirror.sync_states().items()} == {
        ORG_PASS: 0,
        "Opportunity": 1,
    }
    assert mirror.synced_at() == SYNCED[A]
    related = {"Account": [ACCOUNT], "User": [USER, B_ONLY_USER], "UserRole": [REP_ROLE]}
    assert mirror.open_opportunities_reaching(related) == {DEAL}
    assert mirror.time_zone() == "America/Denver"
    assert mirror.load_catalog("Opportunity") == {"org": "A"}
    assert [s.label for s in mirror.load_stages()] == ["A Prospecting"]
    inputs = mirror.load_fact_inputs(DEALS)
    assert [(o.id, o.amount) for o in inputs.opportunities] == [(DEAL, AMOUNT[A])]
    assert {k: [h.amount for h in v] for k, v in inputs.history.items()} == {DEAL: [AMOUNT[A]]}
    changes = inputs.close_date_changes
    assert {k: [c.new_value for c in v] for k, v in changes.items()} == {DEAL: ["2026-02-01"]}
    dates = {k: [a.activity_date for a in v] for k, v in inputs.activities.items()}
    assert dates == {DEAL: [date(2026, 2, 1)]}


def _b_rows(engine: Engine) -> list[tuple[str, ...]]:
    """Everything org B holds, as comparable tuples."""
    found: list[tuple[str, ...]] = []
    with Session(engine) as session:
        for model in (
            SfUser, UserRole, Account, OpportunityStage, Opportunity, OpportunityHistory,
            OpportunityFieldHistory, OpportunityCompetitor, Activity, DerivedFacts, FieldCatalog,
            SyncState, Organization,
        ):  # fmt: skip
            for row in session.exec(select(model).where(model.org_id == B)):  # type: ignore[attr-defined]
                found.append((model.__name__, repr(sorted(row.model_dump().items()))))
    return sorted(found)


def test_every_mirror_write_changes_only_its_orgs_rows(store_engine: Engine) -> None:
    two_orgs(store_engine)
    before = _b_rows(store_engine)
    mirror, now = Mirror(store_engine, A), datetime.now(UTC)
    mirror.ensure_org(name="renamed")
    assert mirror.upsert(Account, [{"id": ACCOUNT, "name": "A renamed", "org_id": B}]) == 1
    assert mirror.mark_deleted(Opportunity, DEALS) == 1
    mirror.record_attempt("Opportunity", now)
    mirror.record_success("Opportunity", watermark=now, records=9, at=now)
    mirror.record_failure(ORG_PASS, error="boom", at=now)
    mirror.save_catalog("Opportunity", {"org": "changed"}, now)
    mirror.save_stages([])
    mirror.delete_facts(DEALS)
    mirror.save_facts([{"opportunity_id": B_ONLY_DEAL, "stage_number": 7}])
    assert _b_rows(store_engine) == before
    assert queries.accounts_by_ids(store_engine, A, [ACCOUNT])[ACCOUNT].name == "A renamed"
    assert queries.stages(store_engine, A) == []
    assert set(queries.facts_by_opportunity(store_engine, A, DEALS)) == {B_ONLY_DEAL}


def test_every_read_function_is_checked_here() -> None:
    public = {
        name
        for name, function in inspect.getmembers(queries, inspect.isfunction)
        if function.__module__ == queries.__name__ and not name.startswith("_")
    }
    assert public == READS_TESTED | ORG_REGISTRY, "check a new repository function above"


def test_every_mirror_method_is_checked_here() -> None:
    public = {name for name, _ in inspect.getmembers(Mirror, inspect.isfunction)}
    checked = {
        "ensure_org", "upsert", "mark_deleted", "opportunity_ids", "count", "sync_states",
        "record_attempt", "record_success", "record_failure", "synced_at", "save_catalog",
        "load_catalog", "save_stages", "load_stages", "load_fact_inputs", "save_facts",
        "delete_facts", "time_zone", "open_opportunities_reaching",
    }  # fmt: skip
    assert {name for name in public if not name.startswith("_")} == checked
