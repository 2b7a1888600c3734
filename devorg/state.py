"""What a running devorg holds: its database, settings and injected faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from devorg.db import OrgDatabase
from devorg.faults import Faults
from devorg.settings import DevorgSettings


@dataclass
class DevorgState:
    db: OrgDatabase
    settings: DevorgSettings
    faults: Faults
    # Per-feature caches that live as long as the server (e.g. open SOQL query locators).
    caches: dict[str, Any] = field(default_factory=dict)
