"""The domain's enums, registered with Strawberry as they are (declared once, in the layer that
owns them; GraphQL shows their member names). Import them from here in schema/ so the
registration has run before a type uses them."""

from __future__ import annotations

import strawberry

from auth.visibility import AccessLevel
from store.queries import SortDirection, SortField

strawberry.enum(
    AccessLevel, description="What the caller may see: own deals, their team's, or the org's."
)
strawberry.enum(SortField, name="OpportunitySortField")
strawberry.enum(SortDirection)

__all__ = ["AccessLevel", "SortDirection", "SortField"]
