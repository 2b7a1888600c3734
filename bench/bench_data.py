"""The benchmark's inputs: an opportunity field catalog, 100 alert formulas, generated records.

Records are generated deterministically (seeded `random.Random`) with the shapes the devorg seed
plants (stages, amounts by size, probability following the stage, 10 % stale next meetings and
past close dates, blank amounts late in the pipeline, Acme as competitor on ~18 % of deals), so
that the formulas fire on realistic shares of the rows rather than on all or none of them.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

STAGES = (
    # (name, default probability %)
    ("Prospecting", 10),
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 50),
    ("Id. Decision Makers", 60),
    ("Perception Analysis", 70),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
    ("Closed Won", 100),
    ("Closed Lost", 0),
)
TYPES = (
    "New Customer",
    "Existing Customer - Upgrade",
    "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
)
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
COMPETITORS = ("Acme Corp", "Globex", "Initech", "Umbrella", "Hooli")
NEXT_STEPS = (
    "Send proposal",
    "Schedule demo with CFO",
    "TBD",
    "follow up",
    "Call back next week",
    "Negotiate pricing",
    "Legal review",
    "",
    "waiting on customer",
    "Exec sponsor visit",
)
ACCOUNTS = ("Brightwave", "Northwind", "Contoso", "Test")
FORECAST = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")

FIELDS: dict[str, str] = {
    "Name": "string",
    "StageName": "picklist",
    "Amount": "currency",
    "ExpectedRevenue": "currency",
    "Probability": "percent",
    "CloseDate": "date",
    "Type": "picklist",
    "LeadSource": "picklist",
    "ForecastCategoryName": "picklist",
    "NextStep": "string",
    "Description": "textarea",
    "IsClosed": "boolean",
    "IsWon": "boolean",
    "Competitor__c": "string",
    "Next_Meeting_Date__c": "date",
    "Budget_Confirmed__c": "boolean",
    "Decision_Maker__c": "reference",
    "LastActivityDate": "date",
    "CreatedDate": "datetime",
    "LastStageChangeDate": "datetime",
    "Discount__c": "percent",
    "Seats__c": "double",
    # dealpulse's derived facts, as the catalog exposes them to formulas
    "DaysInStage": "number",
    "StageNumber": "number",
    "CloseDatePushCount": "number",
    "DaysSinceLastActivity": "number",
}

LATE = (
    "OR(ISPICKVAL(StageName, 'Proposal/Price Quote'), ISPICKVAL(StageName, 'Negotiation/Review'))"
)
OPEN = "NOT(IsClosed)"

_HAND_WRITTEN = [
    # fix-alerts: data that became wrong
    "AND(NOT(ISBLANK(Next_Meeting_Date__c)), Next_Meeting_Date__c < TODAY())",
    f"AND({OPEN}, CloseDate < TODAY())",
    f"AND({LATE}, ISBLANK(Amount))",
    f"AND({LATE}, ISBLANK(Decision_Maker__c))",
    f"AND({OPEN}, ISBLANK(NextStep))",
    f"AND({OPEN}, OR(ISBLANK(NextStep), LEN(TRIM(NextStep)) < 5))",
    f"AND({OPEN}, OR(UPPER(NextStep) = 'TBD', CONTAINS(LOWER(NextStep), 'follow up')))",
    f"AND({OPEN}, ISBLANK(Next_Meeting_Date__c), StageNumber >= 4)",
    f"AND({OPEN}, Next_Meeting_Date__c > CloseDate)",
    f"AND({OPEN}, CloseDate - TODAY() > 365)",
    f"AND({OPEN}, DaysSinceLastActivity > 60)",
    f"AND({OPEN}, TODAY() - LastActivityDate > 30, Amount > 250000)",
    f"AND({OPEN}, CloseDatePushCount >= 3)",
    f"AND({OPEN}, Probability < 0.5, {LATE})",
    "AND(ISPICKVAL(StageName, 'Closed Won'), Probability < 1)",
    "AND(ISPICKVAL(StageName, 'Closed Lost'), Probability > 0)",
    f"AND({OPEN}, ABS(Probability - CASE(StageName, 'Prospecting', 0.1, 'Qualification', 0.1, "
    "'Needs Analysis', 0.2, 'Value Proposition', 0.5, 'Id. Decision Makers', 0.6, "
    "'Perception Analysis', 0.7, 'Proposal/Price Quote', 0.75, 'Negotiation/Review', 0.9, 0))"
    " > 0.1)",
    f"AND({OPEN}, ExpectedRevenue <> Amount * Probability)",
    f"AND({OPEN}, Amount <= 0)",
    f"AND({OPEN}, Discount__c > 0.3, NOT(ISPICKVAL(StageName, 'Negotiation/Review')))",
    f"AND({OPEN}, ISPICKVAL(StageName, 'Negotiation/Review'), NOT(Budget_Confirmed__c))",
    f"AND({OPEN}, ISBLANK(TEXT(Type)))",
    f"AND({OPEN}, ISBLANK(TEXT(LeadSource)))",
    f"AND({OPEN}, TEXT(ForecastCategoryName) = 'Commit', Probability < 0.7)",
    f"AND({OPEN}, DATEVALUE(CreatedDate) > CloseDate)",
    f"AND({OPEN}, YEAR(CloseDate) > YEAR(TODAY()) + 1)",
    f"AND({OPEN}, MONTH(CloseDate) = MONTH(TODAY()), YEAR(CloseDate) = YEAR(TODAY()), "
    "Probability < 0.5)",
    f"AND({OPEN}, CloseDate < ADDMONTHS(TODAY(), 1), StageNumber <= 3)",
    f"AND({OPEN}, WEEKDAY(CloseDate) = 1 || WEEKDAY(CloseDate) = 7)",
    f"AND({OPEN}, NOW() - LastStageChangeDate > 45)",
    f"AND({OPEN}, Seats__c > 0, Amount / Seats__c < 100)",
    f"AND({OPEN}, MOD(Seats__c, 5) <> 0, Seats__c > 50)",
    f"AND({OPEN}, ROUND(Amount / 1000, 0) * 1000 <> Amount, Amount > 100000)",
    f"AND({OPEN}, LEN(Name) > 80)",
    f"AND({OPEN}, BEGINS(Name, 'Test'))",
    f"AND({OPEN}, NOT(REGEX(Name, '[A-Za-z].*')))",
    f"AND({OPEN}, FIND('?', NextStep) > 0)",
    f"AND({OPEN}, LEFT(NextStep, 4) = 'Call', Next_Meeting_Date__c < TODAY() + 2)",
    f"AND({OPEN}, CONTAINS(Description, 'urgent'), ISBLANK(Next_Meeting_Date__c))",
    f"AND({OPEN}, BLANKVALUE(Amount, 0) = 0, StageNumber >= 5)",
    f"AND({OPEN}, NULLVALUE(Discount__c, 0) > 0.2, Amount > 500000)",
    f"AND({OPEN}, MAX(Amount, ExpectedRevenue) > 2000000)",
    f"AND({OPEN}, MIN(DaysInStage, DaysSinceLastActivity) > 21)",
    f"AND({OPEN}, FLOOR(DaysInStage / 7) >= 6)",
    f"AND({OPEN}, CEILING(Amount / 50000) > 40)",
    f"AND({OPEN}, SQRT(ABS(Amount)) > 1000)",
    f"AND({OPEN}, Competitor__c = 'Acme Corp', Amount > 100000, StageNumber >= 3, "
    "DaysInStage >= 30)",
    f"AND({OPEN}, Competitor__c = 'Acme Corp', ISPICKVAL(StageName, 'Perception Analysis'))",
    f"AND({OPEN}, OR(Competitor__c = 'Globex', Competitor__c = 'Initech'), Discount__c < 0.1)",
    f"AND({OPEN}, ISBLANK(Competitor__c), StageNumber >= 5)",
    f"AND({OPEN}, ISPICKVAL(LeadSource, 'Partner Referral'), Amount > 250000)",
    f"AND({OPEN}, ISPICKVAL(Type, 'New Customer'), Amount > 1000000, StageNumber < 3)",
    f"AND({OPEN}, DaysInStage > CASE(StageName, 'Prospecting', 14, 'Qualification', 14, "
    "'Needs Analysis', 21, 'Value Proposition', 30, 'Id. Decision Makers', 30, "
    "'Perception Analysis', 30, 'Proposal/Price Quote', 21, 'Negotiation/Review', 14, 9999))",
    f"AND({OPEN}, IF(Amount > 500000, DaysInStage > 45, DaysInStage > 30))",
    f"AND({OPEN}, IF(ISPICKVAL(Type, 'New Customer'), CloseDate - TODAY() < 7, false), "
    "NOT(Budget_Confirmed__c))",
    f"AND({OPEN}, Amount * Probability > 400000, DaysSinceLastActivity > 14)",
    f"AND({OPEN}, (TODAY() - DATEVALUE(CreatedDate)) > 180)",
    f"AND({OPEN}, (TODAY() - DATEVALUE(CreatedDate)) > 90, StageNumber <= 2)",
    f"AND({OPEN}, TEXT(StageName) & '/' & TEXT(Type) = 'Prospecting/New Customer', "
    "Amount > 750000)",
    f"AND({OPEN}, SUBSTITUTE(NextStep, ' ', '') = '')",
    f"AND({OPEN}, RIGHT(Name, 1) = '.')",
    f"AND({OPEN}, Probability * 100 < StageNumber * 10)",
    f"AND({OPEN}, DAY(CloseDate) = 31)",
    f"AND({OPEN}, CloseDate = DATE(YEAR(CloseDate), 12, 31))",
    f"AND({OPEN}, TRUNC(Amount, -3) <> Amount)",
    f"AND({OPEN}, Seats__c ^ 2 > 1000000)",
]

# Families of rules an org writes many of, one per stage or threshold.
_STUCK = "AND({open}, ISPICKVAL(StageName, '{stage}'), DaysInStage > {days})"
_BIG_LATE = "AND({open}, Amount >= {amount}, StageNumber >= {stage}, Probability < {prob})"
_PUSHED = "AND({open}, CloseDatePushCount >= {pushes}, Amount > {amount})"
_QUIET = "AND({open}, Competitor__c = '{competitor}', DaysSinceLastActivity > {days})"


def _families() -> list[str]:
    out: list[str] = []
    for index, (stage, _) in enumerate(STAGES[:8]):
        for days in (21, 45):
            out.append(_STUCK.format(open=OPEN, stage=stage, days=days + index))
    for amount in (50000, 100000, 250000, 500000, 1000000):
        for stage in (4, 6):
            out.append(
                _BIG_LATE.format(open=OPEN, amount=amount, stage=stage, prob=round(stage / 10, 1))
            )
    for pushes in (2, 4):
        for amount in (0, 100000):
            out.append(_PUSHED.format(open=OPEN, pushes=pushes, amount=amount))
    for competitor in COMPETITORS:
        out.append(_QUIET.format(open=OPEN, competitor=competitor, days=20))
    return out


FORMULAS: list[str] = (_HAND_WRITTEN + _families())[:100]


def make_records(count: int, *, seed: int, today: date) -> list[dict[str, Any]]:
    """`count` opportunities as the mirror hands them to the rules (JSON-like values)."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for number in range(count):
        closed = rng.random() < 0.3
        if closed:
            stage_index = 8 if rng.random() < 0.3 else 9
        else:
            stage_index = min(int(rng.expovariate(0.35)), 7)
        stage, probability = STAGES[stage_index]
        created = datetime.combine(today, datetime.min.time(), UTC) - timedelta(
            days=rng.randint(1, 720), seconds=rng.randint(0, 86399)
        )
        in_stage = rng.randint(0, 90)
        stage_changed = max(
            created,
            datetime.combine(today, datetime.min.time(), UTC)
            - timedelta(days=in_stage, seconds=rng.randint(0, 86399)),
        )
        amount = (
            None
            if (stage_index in (6, 7) and rng.random() < 0.12)
            else round(rng.lognormvariate(11.5, 1.1), 2)
        )
        close = today + timedelta(
            days=rng.randint(-30, 120) if rng.random() < 0.1 else rng.randint(1, 200)
        )
        meeting = None
        if rng.random() < 0.75:
            meeting = (
                today - timedelta(days=rng.randint(1, 30))
                if rng.random() < 0.13
                else today + timedelta(days=rng.randint(1, 21))
            )
        last_activity = today - timedelta(days=rng.randint(0, 90))
        records.append(
            {
                "Name": f"{rng.choice(ACCOUNTS)} deal {number}",
                "StageName": stage,
                "Amount": amount,
                "ExpectedRevenue": None if amount is None else round(amount * probability / 100, 2),
                "Probability": probability if rng.random() < 0.9 else rng.choice((10, 20, 50, 90)),
                "CloseDate": close.isoformat(),
                "Type": rng.choice((*TYPES, None)),
                "LeadSource": rng.choice((*LEAD_SOURCES, None)),
                "ForecastCategoryName": rng.choice(FORECAST),
                "NextStep": rng.choice((*NEXT_STEPS, None)),
                "Description": rng.choice(
                    ("urgent: customer wants it this quarter", "renewal", None, "")
                ),
                "IsClosed": closed,
                "IsWon": stage_index == 8,
                "Competitor__c": rng.choice(COMPETITORS) if rng.random() < 0.6 else None,
                "Next_Meeting_Date__c": None if meeting is None else meeting.isoformat(),
                "Budget_Confirmed__c": rng.random() < 0.6,
                "Decision_Maker__c": None if rng.random() < 0.15 else f"003{number:012d}",
                "LastActivityDate": last_activity.isoformat(),
                "CreatedDate": created.isoformat(),
                "LastStageChangeDate": stage_changed.isoformat(),
                "Discount__c": None if rng.random() < 0.5 else rng.choice((0, 5, 10, 15, 25, 35)),
                "Seats__c": rng.choice((None, 5, 10, 25, 60, 120, 500, 2000)),
                "DaysInStage": in_stage,
                "StageNumber": None if closed else stage_index + 1,
                "CloseDatePushCount": rng.choice((0, 0, 0, 1, 1, 2, 3, 4, 6)),
                "DaysSinceLastActivity": (today - last_activity).days,
            }
        )
    return records
