"""Project layout guards: our top-level package names also exist on PyPI (e.g. `schema`,
`rules`); make sure they resolve to this repository and that no PyPI namesake is installed."""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path

import pytest

from tests.devorg_server import RunningDevorg

REPO = Path(__file__).resolve().parent.parent
OUR_PACKAGES = [
    "api", "schema", "resolvers", "services", "auth", "rules", "salesforce", "store", "devorg",
]  # fmt: skip


@pytest.mark.parametrize("name", OUR_PACKAGES)
def test_top_level_packages_resolve_inside_the_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(REPO)


@pytest.mark.parametrize("namesake", ["dataloader", "schema", "rules", "auth", "store", "api"])
def test_unrelated_pypi_namesakes_are_not_installed(namesake: str) -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution(namesake)


def test_devorg_session_sends_salesforce_urls_to_devorg(devorg: RunningDevorg) -> None:
    from salesforce.devorg_transport import DevorgSession

    session = DevorgSession(devorg.url)
    response = session.get("https://login.salesforce.com/services/data/", timeout=10)
    assert response.status_code == 200
    assert {"version": "59.0", "label": "Release 59.0", "url": "/services/data/v59.0"} in (
        response.json()
    )


def test_devorg_session_refuses_a_non_http_url() -> None:
    from salesforce.devorg_transport import DevorgSession

    with pytest.raises(ValueError, match="devorg URL"):
        DevorgSession("https://login.salesforce.com")
