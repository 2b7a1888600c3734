"""What an org's rule and milestone definitions are checked against: the formula catalog built
from the describes the mirror stored at its last sync (the ones evaluation compiles against),
the Opportunity describe (fix fields must be updateable fields of it) and the stage names.

Before the first sync there is no stored describe: `opportunity_describe` is None and the
catalog holds the related records' fields and the facts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from rules.catalog import RELATIONSHIPS, rule_catalog
from store.mirror import Mirror

OPPORTUNITY = "Opportunity"


@dataclass(frozen=True)
class OrgCatalog:
    catalog: dict[str, str]  # formula name -> Salesforce type (rules.catalog.rule_catalog)
    opportunity_describe: dict[str, Any] | None
    # The open OpportunityStage api names, by SortOrder: those a milestone may belong to (a
    # closed deal keeps the health it closed with, so a closed stage's milestone never counts).
    open_stage_names: tuple[str, ...]


def org_catalog(
    engine: Engine, org_id: str, *, describe: dict[str, Any] | None = None
) -> OrgCatalog:
    """The org's catalog; `describe` stands in for the Opportunity describe when the mirror
    has none yet (e.g. the gateway's, before the first sync)."""
    mirror = Mirror(engine, org_id)
    opportunity = mirror.load_catalog(OPPORTUNITY) or describe
    related = {
        sobject: found
        for sobject in dict.fromkeys(RELATIONSHIPS.values())
        if (found := mirror.load_catalog(sobject)) is not None
    }
    return OrgCatalog(
        catalog=rule_catalog(opportunity or {"fields": []}, related),
        opportunity_describe=opportunity,
        open_stage_names=tuple(s.api_name for s in mirror.load_stages() if not s.is_closed),
    )
