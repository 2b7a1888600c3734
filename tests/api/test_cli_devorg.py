"""`dealpulse devorg seed` and `dealpulse devorg serve` as a user runs them, in a fresh folder.

`seed` runs in process (tests.cli); `serve` is the installed console script in a process of its
own, as it must listen while the test talks to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from salesforce.devorg_transport import DevorgSession
from tests.cli import run_dealpulse
from tests.devorg_server import free_port

DEALPULSE = str(Path(sys.executable).with_name("dealpulse"))


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dealpulse(cwd, *args)


@pytest.fixture(scope="module")
def seeded_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("cli")
    port = free_port()
    done = run(
        folder, "devorg", "seed", "--opportunities", "300", "--seed", "5", "--port", f"{port}"
    )
    assert done.returncode == 0, done.stderr
    return folder, port


def test_seed_writes_devorg_json_with_the_documented_keys(seeded_folder: tuple[Path, int]) -> None:
    folder, port = seeded_folder
    config_path = folder / ".dealpulse" / "devorg.json"
    config = json.loads(config_path.read_text())
    assert config["instance_url"] == f"http://127.0.0.1:{port}"
    assert config["api_version"] == "59.0"
    assert config["client_id"]
    assert config["client_secret"]
    for role in ("rep", "manager", "admin"):
        assert config["users"][role]["username"]
        assert config["users"][role]["password"]
    assert config_path.stat().st_mode & 0o077 == 0, "credentials must not be world-readable"


def test_seed_refuses_to_overwrite_an_org_without_force(seeded_folder: tuple[Path, int]) -> None:
    folder, _ = seeded_folder
    again = run(folder, "devorg", "seed", "--opportunities", "10")
    assert again.returncode != 0
    assert "--force" in again.stderr + again.stdout


@pytest.fixture
def served(seeded_folder: tuple[Path, int]) -> Iterator[tuple[Path, int]]:
    folder, port = seeded_folder
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [DEALPULSE, "devorg", "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/services/data/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("devorg serve did not come up")
                time.sleep(0.1)
        yield folder, port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_served_org_answers_simple_salesforce_with_devorg_json_credentials(
    served: tuple[Path, int],
) -> None:
    folder, _ = served
    config = json.loads((folder / ".dealpulse" / "devorg.json").read_text())
    rep = config["users"]["rep"]
    sf = Salesforce(
        username=rep["username"],
        password=rep["password"],
        consumer_key=config["client_id"],
        consumer_secret=config["client_secret"],
        session=DevorgSession(config["instance_url"]),
        version=config["api_version"],
    )
    result = sf.query("SELECT COUNT() FROM Opportunity")
    assert result["totalSize"] == 300
