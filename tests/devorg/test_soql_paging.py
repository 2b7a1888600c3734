"""Paging: 2,000-record pages, batchSize, query locators (retry, expiry, bounds, tooling)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.query_api import batch_size_option
from devorg.soql import SoqlError, clamp_batch_size, execute_soql, fetch_page

NOW = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)
ROWS = 4500


@pytest.fixture
def org() -> Iterator[OrgDatabase]:
    db = OrgDatabase(":memory:")
    account = catalog.sobject("Account")
    assert account is not None
    first = db.reserve_ids(account, ROWS)
    names = ("Id", "Name", "IsDeleted", "OwnerId", "CreatedDate", "CreatedById")
    db.insert_many(
        account,
        names,
        (
            (
                f"001{n:015d}",
                f"Account {n % 97:02d}",
                0,
                "005",
                "2024-01-01T00:00:00.000+0000",
                "005",
            )
            for n in range(first, first + ROWS)
        ),
    )
    yield db
    db.close()


def locator_of(page: dict[str, Any]) -> str:
    return str(page["nextRecordsUrl"]).rsplit("/", 1)[1]


def all_pages(db: OrgDatabase, soql: str, **options: Any) -> list[dict[str, Any]]:
    pages = [execute_soql(db, soql, now=NOW, **options)]
    while not pages[-1]["done"]:
        pages.append(fetch_page(db, locator_of(pages[-1]), now=NOW))
    return pages


def test_pages_of_2000_until_done(org: OrgDatabase) -> None:
    pages = all_pages(org, "SELECT Id FROM Account")
    assert [len(p["records"]) for p in pages] == [2000, 2000, 500]
    assert {p["totalSize"] for p in pages} == {ROWS}
    assert pages[0]["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert pages[0]["nextRecordsUrl"].endswith("-2000")
    assert "nextRecordsUrl" not in pages[-1]
    ids = [r["Id"] for p in pages for r in p["records"]]
    assert len(set(ids)) == ROWS


def test_ordered_pages_follow_the_order(org: OrgDatabase) -> None:
    pages = all_pages(org, "SELECT Name FROM Account ORDER BY Name DESC", batch_size=1000)
    names = [r["Name"] for p in pages for r in p["records"]]
    assert len(names) == ROWS
    assert names == sorted(names, reverse=True)


def test_limit_bounds_the_pages(org: OrgDatabase) -> None:
    pages = all_pages(org, "SELECT Id FROM Account LIMIT 2500")
    assert [len(p["records"]) for p in pages] == [2000, 500]
    assert pages[0]["totalSize"] == 2500


@pytest.mark.parametrize(
    ("requested", "page_size"), [(500, 500), (50, 200), (5000, 2000), (None, 2000)]
)
def test_batch_size_is_clamped(org: OrgDatabase, requested: int | None, page_size: int) -> None:
    page = execute_soql(org, "SELECT Id FROM Account", batch_size=requested, now=NOW)
    assert len(page["records"]) == page_size
    assert clamp_batch_size(requested) == page_size


def test_batch_size_header() -> None:
    assert batch_size_option("batchSize=500") == 500
    assert batch_size_option(" BATCHSIZE = 300 , other=1") == 300
    assert batch_size_option("batchSize=lots") is None
    assert clamp_batch_size(batch_size_option("batchSize=" + "9" * 5000)) == 2000
    assert clamp_batch_size(batch_size_option("batchSize=-" + "9" * 5000)) == 200
    assert batch_size_option("batchSize=000250") == 250
    assert batch_size_option(None) is None


def test_a_page_can_be_fetched_again(org: OrgDatabase) -> None:
    first = execute_soql(org, "SELECT Id FROM Account", now=NOW)
    again = fetch_page(org, locator_of(first), now=NOW)
    assert fetch_page(org, locator_of(first), now=NOW) == again
    assert again["records"][0]["Id"] != first["records"][0]["Id"]


def test_locators_expire_when_idle(org: OrgDatabase) -> None:
    locator = locator_of(execute_soql(org, "SELECT Id FROM Account", now=NOW))
    fetch_page(org, locator, now=NOW + timedelta(minutes=14))  # using it keeps it alive
    with pytest.raises(SoqlError) as caught:
        fetch_page(org, locator, now=NOW + timedelta(minutes=30))
    assert (caught.value.error_code, caught.value.message) == (
        "INVALID_QUERY_LOCATOR",
        "invalid query locator",
    )


def test_open_locators_are_bounded(org: OrgDatabase) -> None:
    oldest = locator_of(execute_soql(org, "SELECT Id FROM Account", now=NOW))
    for _ in range(60):
        execute_soql(org, "SELECT Id FROM Account", now=NOW)
    with pytest.raises(SoqlError, match="invalid query locator"):
        fetch_page(org, oldest, now=NOW)


@pytest.mark.parametrize("locator", ["01gXXXXXXXXXXXXXXX-2000", "nonsense", "", "-", "01g-abc"])
def test_unknown_locators(org: OrgDatabase, locator: str) -> None:
    with pytest.raises(SoqlError) as caught:
        fetch_page(org, locator, now=NOW)
    assert caught.value.error_code == "INVALID_QUERY_LOCATOR"


def test_locators_belong_to_their_api(org: OrgDatabase) -> None:
    page = execute_soql(org, "SELECT Id FROM Account", now=NOW)
    with pytest.raises(SoqlError, match="invalid query locator"):
        fetch_page(org, locator_of(page), tooling=True, now=NOW)
    locator_id = locator_of(page).split("-")[0]
    with pytest.raises(SoqlError, match="invalid query locator"):
        fetch_page(org, f"{locator_id}-3000", now=NOW)  # never handed out


def test_query_all_pages_under_query_all(org: OrgDatabase) -> None:
    page = execute_soql(
        org, "SELECT Id FROM Account", include_deleted=True, now=NOW, api_version="60.0"
    )
    assert page["nextRecordsUrl"].startswith("/services/data/v60.0/queryAll/01g")
