"""The tunable model behind the seeded deals: stage timing, win odds, planted patterns, the
shares of bad data, the texts deals are made of and the column lists rows are written with.
`devorg.seed` documents what these numbers produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from devorg import catalog

# -- the sales process -------------------------------------------------------------------------
STAGE_NAMES = catalog.STAGE_NAMES
PROBABILITY = tuple(float(s[4]) for s in catalog.STAGES)
FORECAST_NAME = tuple(s[5] for s in catalog.STAGES)
FORECAST = tuple(catalog.FORECAST_CATEGORIES[s[5]] for s in catalog.STAGES)
WON, LOST = 8, 9
MIDDLE_STAGES = (3, 4, 5)  # Value Proposition, Id. Decision Makers, Perception Analysis
LATE_STAGES = (6, 7)  # Proposal/Price Quote, Negotiation/Review
SKIPPABLE = (1, 2, 5)
# Median days in each open stage for a deal of the reference size (about 40,000).
BASE_DAYS = (6.0, 8.0, 10.0, 12.0, 10.0, 9.0, 12.0, 14.0)
# Where lost deals drop out (index of the last open stage reached).
LOST_AT_WEIGHTS = (20, 20, 15, 12, 10, 8, 8, 7)

# -- tunables (the module docstring of devorg.seed documents their effect) ---------------------
OPEN_SHARE = 0.30
COMPETITOR_SHARE = 0.60
COMPETITOR_WEIGHTS = (30, 20, 20, 15, 15)  # catalog.COMPETITORS order, Acme Corp first
SECOND_COMPETITOR_SHARE = 0.15
ACME = "Acme Corp"
ACME_STALL_SHARE = 0.45
ACME_STALL_DAYS = 30
HEALTHCARE = "Healthcare"
PARTNER = "Partner Referral"
REOPEN_SHARE = 0.04
PUSH_WEIGHTS = (46, 24, 15, 9, 4, 2)  # 0..5 close-date pushes of a closed deal
BASE_ODDS = 0.55
TYPE_ODDS = {
    "New Customer": 0.8,
    "Existing Customer - Upgrade": 1.4,
    "Existing Customer - Replacement": 1.1,
    "Existing Customer - Downgrade": 1.2,
}
SOURCE_ODDS = {
    "Web": 1.0,
    "Phone Inquiry": 1.1,
    "Partner Referral": 1.3,
    "Purchased List": 0.6,
    "Other": 0.9,
}
HEALTHCARE_PARTNER_ODDS = 4.5
HEALTHCARE_OTHER_ODDS = 0.45
ACME_STALL_ODDS = 0.12
MANY_PUSHES = 3
MANY_PUSHES_ODDS = 0.22
# Bad data on open deals (exact shares: see Quota).
MEETING_PAST_SHARE = 0.10
CLOSE_PAST_SHARE = 0.10
AMOUNT_MISSING_SHARE = 0.12  # of open deals in a late stage
DECISION_MAKER_MISSING_SHARE = 0.12  # of open deals in a late stage
NO_ACTIVITY_SHARE = 0.10
NO_ACTIVITY_DAYS = 60
MEETING_SCHEDULED_SHARE = 0.88  # of the other open deals: a future next meeting

SOURCES = catalog.LEAD_SOURCES
SOURCE_WEIGHTS = (30, 15, 20, 15, 20)
HEALTHCARE_SOURCE_WEIGHTS = (25, 10, 35, 10, 20)
EXISTING_TYPES = catalog.OPPORTUNITY_TYPES
EXISTING_TYPE_WEIGHTS = (50, 20, 12, 18)
TYPE_AMOUNT = {
    "New Customer": 1.0,
    "Existing Customer - Upgrade": 0.45,
    "Existing Customer - Replacement": 0.9,
    "Existing Customer - Downgrade": 0.3,
}
PRODUCTS = {
    "New Customer": ("Platform License", "New Business", "Enterprise Suite", "Starter Package"),
    "Existing Customer - Upgrade": ("Seat Expansion", "Analytics Add-on", "Premium Upgrade"),
    "Existing Customer - Replacement": ("Platform Replacement", "Legacy Migration"),
    "Existing Customer - Downgrade": ("Renewal (reduced seats)", "Contract Restructure"),
}
NEXT_STEPS = (
    "Schedule discovery call",
    "Confirm budget and timeline",
    "Run requirements workshop",
    "Deliver tailored demo",
    "Meet the economic buyer",
    "Address security review",
    "Send proposal and pricing",
    "Finalize contract terms with legal",
)
STRENGTHS = {
    "Acme Corp": ("Incumbent in many accounts; aggressive discounting", "Broad suite, low price"),
    "Globex": ("Strong analytics", "Large partner ecosystem"),
    "Initech": ("Cheap entry tier", "Fast onboarding"),
    "Umbrella Systems": ("Healthcare compliance certifications", "On-premise option"),
    "Hooli": ("Brand recognition", "Bundled with their cloud"),
}
WEAKNESSES = {
    "Acme Corp": ("Poor support reputation", "Slow implementation"),
    "Globex": ("Expensive services", "Complex licensing"),
    "Initech": ("Limited enterprise features", "Weak reporting"),
    "Umbrella Systems": ("Dated user interface", "Long release cycles"),
    "Hooli": ("Lock-in concerns", "Generic, not sales-specific"),
}
DM_TITLES = ("CFO", "CIO", "VP Sales", "COO", "Head of Procurement", "CTO", "VP Operations")
DM_FIRST = ("Anna", "Brian", "Carla", "Dev", "Elena", "Frank", "Gita", "Hugo", "Irene", "Jack")
DM_LAST = ("Reyes", "Okafor", "Lindgren", "Nakamura", "Fischer", "Moreau", "Kaur", "Walsh")
TASK_SUBJECTS = (
    ("Call", "Intro call"), ("Email", "Send follow-up email"), ("Call", "Follow-up call"),
    ("Email", "Send case study"), ("Call", "Check in on evaluation"), ("Email", "Share pricing"),
)  # fmt: skip
EVENT_SUBJECTS = (
    "Discovery meeting", "Product demo", "Technical deep dive", "Stakeholder alignment",
    "Pricing review", "Executive briefing",
)  # fmt: skip

# Save kinds.
SAVE_STAGE, SAVE_AMOUNT, SAVE_CLOSE, SAVE_DM, SAVE_BUDGET, SAVE_NEXT, SAVE_MEET = range(7)

OPPORTUNITY_COLUMNS = (
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
    "SystemModstamp", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate",
    "Type", "NextStep", "LeadSource", "IsClosed", "IsWon", "ForecastCategory",
    "ForecastCategoryName", "OwnerId", "LastActivityDate", "LastStageChangeDate",
    "Competitor__c", "Next_Meeting_Date__c", "Budget_Confirmed__c", "Decision_Maker__c",
)  # fmt: skip
HISTORY_COLUMNS = (
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "SystemModstamp", "OpportunityId",
    "StageName", "Amount", "ExpectedRevenue", "CloseDate", "Probability", "ForecastCategory",
    "FromForecastCategory", "FromOpportunityStageName", "PrevAmount", "PrevCloseDate",
)  # fmt: skip
FIELD_HISTORY_COLUMNS = (
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "OpportunityId", "Field", "DataType",
    "OldValue", "NewValue",
)  # fmt: skip
COMPETITOR_COLUMNS = (
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
    "SystemModstamp", "OpportunityId", "CompetitorName", "Strengths", "Weaknesses",
)  # fmt: skip
TASK_COLUMNS = (
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
    "SystemModstamp", "WhatId", "OwnerId", "Subject", "ActivityDate", "Status", "Priority",
    "Type", "IsClosed",
)  # fmt: skip
EVENT_COLUMNS = (
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
    "SystemModstamp", "WhatId", "OwnerId", "Subject", "StartDateTime", "EndDateTime",
    "ActivityDate", "DurationInMinutes", "Type",
)  # fmt: skip


def money(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class Quota:
    """Flags `share` of the deals offered to it, evenly spread: exact at any N, deterministic.

    Each offer earns `share` of a credit; an eligible deal is flagged when a whole credit is
    available (credit earned on ineligible deals carries over to the next eligible one).
    """

    def __init__(self, share: float, phase: float) -> None:
        self.share = share
        self.credit = phase

    def draw(self, eligible: bool) -> bool:
        self.credit = min(self.credit + self.share, 3.0)
        if eligible and self.credit >= 1.0:
            self.credit -= 1.0
            return True
        return False


@dataclass
class Chunk:
    opportunities: list[tuple[Any, ...]] = field(default_factory=list)
    history: list[tuple[Any, ...]] = field(default_factory=list)
    field_history: list[tuple[Any, ...]] = field(default_factory=list)
    competitors: list[tuple[Any, ...]] = field(default_factory=list)
    tasks: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
