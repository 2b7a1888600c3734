"""Accounts of the seeded org: generated company names, industries, sizes and owners.

Each account belongs to a sales region (its BillingCountry is one of the region's countries)
and is owned by an active rep of that region. NumberOfEmployees is log-uniform between 20 and
200,000; AnnualRevenue is employees x a revenue per employee that depends on the industry, with
noise. Industries are weighted: Healthcare, the largest vertical, holds about 14% of accounts.
Type: 45% 'Customer - Direct', 15% 'Customer - Channel', 35% 'Prospect', the rest
'Channel Partner / Reseller' or 'Other'.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.seed_common import DAY, IdAllocator, dt_text
from devorg.seed_people import REGIONS, People

_NAME_FIRST = (
    "Apex", "Blue", "Bright", "Cedar", "Cobalt", "Crest", "Delta", "Ember", "Evergreen", "Falcon",
    "Golden", "Granite", "Harbor", "Horizon", "Iron", "Juniper", "Keystone", "Lumen", "Maple",
    "Meridian", "Nimbus", "North", "Oak", "Onyx", "Orchid", "Pacific", "Peak", "Pine", "Pioneer",
    "Polar", "Quantum", "Radiant", "Redwood", "River", "Sage", "Sierra", "Silver", "Solar",
    "Sterling", "Stone", "Summit", "Terra", "Titan", "True", "Union", "Vantage", "Vertex",
    "Willow", "Zenith", "Atlas", "Beacon", "Canyon", "Copper", "Frontier", "Global", "Highland",
    "Liberty", "Metro", "Nova", "Prairie", "Royal", "Coastal", "Crystal", "Eagle", "Fox",
)  # fmt: skip
_NAME_SECOND = (
    "Analytics", "Bank", "Bio", "Capital", "Care", "Communications", "Construction", "Consulting",
    "Dynamics", "Electric", "Energy", "Engineering", "Foods", "Freight", "Health", "Industries",
    "Insurance", "Labs", "Logistics", "Manufacturing", "Media", "Medical", "Networks", "Partners",
    "Pharma", "Power", "Retail", "Robotics", "Solutions", "Systems", "Technologies", "Telecom",
    "Therapeutics", "Transport", "Utilities", "Ventures", "Works", "Motors", "Data", "Finance",
)  # fmt: skip
_LEGAL = {
    "United States": ("Inc.", "LLC", "Corp."),
    "Canada": ("Inc.", "Ltd."),
    "Mexico": ("S.A. de C.V.",),
    "United Kingdom": ("Ltd", "plc"),
    "Ireland": ("Ltd",),
    "Netherlands": ("B.V.", "N.V."),
    "Sweden": ("AB",),
    "Denmark": ("A/S",),
    "Germany": ("GmbH", "AG"),
    "France": ("SA", "SAS"),
    "Switzerland": ("AG", "SA"),
    "Austria": ("GmbH",),
    "Spain": ("S.L.", "S.A."),
    "Italy": ("S.p.A.", "S.r.l."),
    "Singapore": ("Pte. Ltd.",),
    "Australia": ("Pty Ltd",),
    "Japan": ("K.K.",),
    "India": ("Pvt. Ltd.",),
}
_QUALIFIERS = ("Group", "Holdings", "International", "Partners", "& Co")
# Revenue per employee (USD) by industry.
_REVENUE_PER_EMPLOYEE = {
    "Banking": 450_000, "Finance": 420_000, "Insurance": 380_000, "Energy": 600_000,
    "Utilities": 500_000, "Technology": 320_000, "Telecommunications": 350_000,
    "Healthcare": 180_000, "Biotechnology": 300_000, "Retail": 160_000, "Education": 90_000,
    "Government": 120_000, "Consulting": 200_000, "Media": 250_000,
}  # fmt: skip
# Relative frequency of industries (default 3); Healthcare is the org's largest vertical.
_INDUSTRY_WEIGHTS = {
    "Healthcare": 14, "Technology": 9, "Finance": 7, "Manufacturing": 7, "Banking": 6,
    "Retail": 6, "Insurance": 5, "Telecommunications": 4, "Biotechnology": 4,
}  # fmt: skip
_ACCOUNT_TYPES = (
    ("Customer - Direct", 45),
    ("Customer - Channel", 15),
    ("Prospect", 35),
    ("Channel Partner / Reseller", 3),
    ("Other", 2),
)


@dataclass(frozen=True)
class SeedAccount:
    account_id: str
    name: str
    brand: str  # the name without its legal form, as deal names use it
    industry: str
    region: int
    employees: int
    is_customer: bool
    owner_id: str


def build_accounts(
    db: OrgDatabase, rng: random.Random, people: People, count: int, today_day: int
) -> list[SeedAccount]:
    ids = IdAllocator(db, catalog.ACCOUNT)
    type_names = [name for name, _ in _ACCOUNT_TYPES]
    type_weights = [weight for _, weight in _ACCOUNT_TYPES]
    region_weights = [region.share for region in REGIONS]
    taken: set[str] = set()
    repeats: dict[str, int] = {}
    industries = list(catalog.INDUSTRIES)
    industry_weights = [_INDUSTRY_WEIGHTS.get(name, 3) for name in industries]
    accounts: list[SeedAccount] = []
    rows = []
    admin = people.admin.user_id
    for _ in range(count):
        region = rng.choices(range(len(REGIONS)), region_weights)[0]
        country = rng.choice(REGIONS[region].countries)
        name = f"{rng.choice(_NAME_FIRST)} {rng.choice(_NAME_SECOND)}"
        if name in taken:
            name = f"{name} {rng.choice(_QUALIFIERS)}"
        if name in taken:
            number = repeats[name] = repeats.get(name, 1) + 1
            name = f"{name} {number}"
        taken.add(name)
        full_name = f"{name} {rng.choice(_LEGAL[country])}"
        industry = rng.choices(industries, industry_weights)[0]
        employees = int(math.exp(rng.uniform(math.log(20), math.log(200_000))))
        per_employee = _REVENUE_PER_EMPLOYEE.get(industry, 220_000)
        revenue = round(employees * per_employee * rng.lognormvariate(0, 0.35), -3)
        account_type = rng.choices(type_names, type_weights)[0]
        active_reps = [r for r in people.reps_by_region[region] if r.is_active]
        owner = rng.choice(active_reps).user_id
        created = (today_day - 3 * 365 - rng.randrange(1, 900)) * DAY + rng.randrange(
            9 * 3600, 17 * 3600
        )
        modified = created + rng.randrange(0, 300) * DAY
        accounts.append(
            SeedAccount(
                ids.take(),
                full_name,
                name,
                industry,
                region,
                employees,
                account_type.startswith("Customer"),
                owner,
            )
        )
        rows.append((
            accounts[-1].account_id, 0, dt_text(created), admin, dt_text(modified), owner,
            dt_text(modified), full_name, account_type, industry, country, employees,
            float(revenue), owner,
        ))  # fmt: skip
    db.insert_many(
        catalog.ACCOUNT,
        ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
         "SystemModstamp", "Name", "Type", "Industry", "BillingCountry", "NumberOfEmployees",
         "AnnualRevenue", "OwnerId"),
        rows,
    )  # fmt: skip
    ids.sync()
    return accounts
