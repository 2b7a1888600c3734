from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="What the caller may see: own deals, their team's, or the org's.")
class AccessLevel(Enum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


@strawberry.enum
class OpportunitySortField(Enum):
    AMOUNT = "amount"
    CLOSE_DATE = "close_date"
    DAYS_IN_STAGE = "days_in_stage"
    LAST_MODIFIED = "last_modified"


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"
