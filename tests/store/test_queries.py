"""The read-side repository, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import SQLModel

from store import queries
from store.queries import OpportunityFilter, Ordering, SortField, Visibility
from tests import factories as f


def _ids(page: queries.OpportunityPage) -> list[str]:
    return [row.id for row in page.rows]


def _list(
    engine: Engine,
    visibility: Visibility,
    where: OpportunityFilter | None = None,
    ordering: Ordering | None = None,
    limit: int = 100,
) -> list[str]:
    page = queries.list_opportunities(
        engine,
        visibility,
        where or OpportunityFilter(),
        ordering or Ordering(),
        limit=limit,
        offset=0,
    )
    return _ids(page)


def test_filters_combine_and_stay_inside_the_org(store_engine: Engine) -> None:
    team = f.team(store_engine)
    f.team(store_engine, f.ORG_B)
    rep = team.reps[0]
    acme, other = f.account(store_engine, "Acme"), f.account(store_engine, "Other")
    big = f.opportunity(
        store_engine,
        rep,
        account=acme,
        amount=90_000,
        stage="Proposal",
        close_date=date(2026, 5, 1),
        fields={"Competitor__c": "Globex"},
    )
    small = f.opportunity(store_engine, rep, account=other, amount=500, close_date=date(2026, 9, 1))
    won = f.opportunity(store_engine, rep, stage="Closed Won", amount=70_000)
    f.competitor(store_engine, small, "Initech")
    everyone = Visibility(f.ORG_A, None)

    def matching(**where: object) -> set[str]:
        return set(_list(store_engine, everyone, OpportunityFilter(**where)))  # type: ignore[arg-type]

    assert matching() == {big.id, small.id, won.id}
    assert matching(amount_min=60_000) == {big.id, won.id}
    assert matching(amount_min=60_000, is_closed=False) == {big.id}
    assert matching(is_won=True) == {won.id}
    assert matching(stage_names=("Proposal", "Closed Won")) == {big.id, won.id}
    assert matching(close_date_from=date(2026, 6, 1), close_date_to=date(2026, 8, 31)) == {won.id}
    assert matching(account_ids=(acme.id,)) == {big.id}
    assert matching(competitor="Globex") == {big.id}  # Competitor__c
    assert matching(competitor="Initech") == {small.id}  # OpportunityCompetitor
    assert matching(owner_ids=(team.reps[1].id,)) == set()
    assert queries.count_opportunities(store_engine, everyone, OpportunityFilter()) == 3
    # The other org's admin sees nothing of org A.
    assert _list(store_engine, Visibility(f.ORG_B, None)) == []


def test_visibility_limits_owners_and_deleted_rows_are_hidden(store_engine: Engine) -> None:
    team = f.team(store_engine)
    mine = f.opportunity(store_engine, team.reps[0])
    f.opportunity(store_engine, team.reps[1])
    f.opportunity(store_engine, team.reps[0], is_deleted=True)
    only_me = Visibility(f.ORG_A, frozenset({team.reps[0].id}))
    assert _list(store_engine, only_me) == [mine.id]
    assert queries.count_opportunities(store_engine, only_me, OpportunityFilter()) == 1
    found = queries.opportunities_by_ids(store_engine, only_me, [mine.id, "006000000000999AAA"])
    assert list(found) == [mine.id]


def test_ordering_puts_nulls_last_and_breaks_ties_by_id(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    a = f.opportunity(store_engine, rep, amount=100)
    b = f.opportunity(store_engine, rep, amount=100)
    c = f.opportunity(store_engine, rep, amount=None)
    d = f.opportunity(store_engine, rep, amount=300)
    everyone = Visibility(f.ORG_A, None)
    ascending = Ordering(SortField.AMOUNT, descending=False)
    assert _list(store_engine, everyone, ordering=ascending) == [a.id, b.id, d.id, c.id]
    descending = Ordering(SortField.AMOUNT, descending=True)
    assert _list(store_engine, everyone, ordering=descending) == [d.id, b.id, a.id, c.id]


def test_days_in_stage_order_follows_stage_entry(store_engine: Engine) -> None:
    team = f.team(store_engine)
    rep = team.reps[0]
    old = f.opportunity(store_engine, rep)
    new = f.opportunity(store_engine, rep)
    unknown = f.opportunity(store_engine, rep)
    f.facts(store_engine, old, stage_entered_at=f.NOW - timedelta(days=90))
    f.facts(store_engine, new, stage_entered_at=f.NOW - timedelta(days=2))
    everyone = Visibility(f.ORG_A, None)
    longest_first = Ordering(SortField.DAYS_IN_STAGE, descending=True)
    assert _list(store_engine, everyone, ordering=longest_first) == [old.id, new.id, unknown.id]
    shortest_first = Ordering(SortField.DAYS_IN_STAGE, descending=False)
    assert _list(store_engine, everyone, ordering=shortest_first) == [new.id, old.id, unknown.id]


def test_pages_know_whether_more_follow(store_engine: Engine) -> None:
    team = f.team(store_engine)
    made = [f.opportunity(store_engine, team.reps[0]) for _ in range(5)]
    everyone = Visibility(f.ORG_A, None)
    ordering = Ordering(SortField.LAST_MODIFIED, descending=False)
    first = queries.list_opportunities(
        store_engine, everyone, OpportunityFilter(), ordering, limit=3, offset=0
    )
    rest = queries.list_opportunities(
        store_engine, everyone, OpportunityFilter(), ordering, limit=3, offset=3
    )
    assert (first.has_next, rest.has_next) == (True, False)
    assert _ids(first) + _ids(rest) == [row.id for row in made]


def test_batched_loads_are_scoped_to_the_org(store_engine: Engine) -> None:
    team_a, team_b = f.team(store_engine), f.team(store_engine, f.ORG_B)
    opp = f.opportunity(store_engine, team_a.reps[0])
    f.competitor(store_engine, opp, "Zeta")
    f.competitor(store_engine, opp, "Alpha")
    f.history(store_engine, opp, "Prospecting", f.NOW - timedelta(days=9))
    f.history(store_engine, opp, "Proposal", f.NOW - timedelta(days=3))
    assert queries.users_by_ids(store_engine, f.ORG_B, [team_a.reps[0].id]) == {}
    assert set(queries.users_by_ids(store_engine, f.ORG_A, [team_a.reps[0].id])) == {
        team_a.reps[0].id
    }
    acme = f.account(store_engine, "Acme")
    role_id = team_a.reps[0].user_role_id
    assert role_id is not None
    assert set(queries.accounts_by_ids(store_engine, f.ORG_A, [acme.id])) == {acme.id}
    assert queries.accounts_by_ids(store_engine, f.ORG_B, [acme.id]) == {}
    assert queries.roles_by_ids(store_engine, f.ORG_A, [role_id])[role_id].name == "East Rep"
    assert queries.roles_by_ids(store_engine, f.ORG_B, [role_id]) == {}
    assert queries.competitor_names(store_engine, f.ORG_A, [opp.id]) == {opp.id: ["Alpha", "Zeta"]}
    assert queries.competitor_names(store_engine, f.ORG_B, [opp.id]) == {}
    history = queries.history_by_opportunity(store_engine, f.ORG_A, [opp.id])[opp.id]
    assert [row.stage_name for row in history] == ["Prospecting", "Proposal"]
    assert [s.api_name for s in queries.stages(store_engine, f.ORG_B)][:2] == [
        "Prospecting",
        "Qualification",
    ]
    assert team_b.admin.org_id == f.ORG_B


def test_org_synced_at_is_the_last_complete_pass(store_engine: Engine) -> None:
    f.org(store_engine)
    assert queries.org_synced_at(store_engine, f.ORG_A) is None
    f.synced(store_engine, f.ORG_A, f.NOW)
    assert queries.org_synced_at(store_engine, f.ORG_A) == f.NOW
    states = queries.sync_states(store_engine, f.ORG_A)
    assert states.org is not None
    assert [s.sobject for s in states.objects] == ["Opportunity", "User"]


def test_every_filter_and_ordering_column_is_indexed_within_the_org() -> None:
    indexed = {
        (index.table.name, tuple(c.name for c in index.columns))
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
    }
    opportunity_columns = [
        "owner_id", "stage_name", "account_id", "close_date", "amount", "last_modified_date",
    ]  # fmt: skip
    for column in opportunity_columns:
        assert ("opportunity", ("org_id", column)) in indexed, column
    assert ("derived_facts", ("org_id", "stage_entered_at")) in indexed  # orderBy daysInStage
    assert ("sf_user", ("org_id", "user_role_id")) in indexed  # a manager's subordinates
