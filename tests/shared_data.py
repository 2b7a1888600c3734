"""Where the team's shared datasets live: `../shared/` beside the checkout (DESIGN.md), or
`DEALPULSE_SHARED_DIR` when a checkout lives elsewhere (a CI clone in a scratch folder).
The data is read in place, never copied into the repository."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    configured = os.environ.get("DEALPULSE_SHARED_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [REPO.parent / "shared", Path("/work/shared")]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def shared_data(*parts: str) -> Path:
    return shared_dir().joinpath("data", *parts)
