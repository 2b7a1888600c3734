"""How a Salesforce-style name becomes a Python and SQL name: CamelCase to snake_case."""

from __future__ import annotations

import re

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    """`DaysInStage` -> `days_in_stage`, `UserRoleId` -> `user_role_id` (dots are dropped:
    `Profile.Name` -> `profile_name`, the mirror's column for a field of a related record)."""
    return _WORD_START.sub("_", name.replace(".", "")).lower()
