"""Seed an empty devorg database with a believable sales organisation.

`seed_org(db, opportunities=N, seed=S, today=T)` writes the same data for the same (N, S, T);
only credentials (passwords, the connected app's secret and the JWT key pair) are random.

The company is Brightwave Software, selling a SaaS platform in five regions.

Metadata
    The Organization row (`devorg.organization`): Brightwave Software, Enterprise Edition, time
    zone America/Los_Angeles, currency USD, locale en_US. Profiles "System Administrator",
    "Sales Manager", "Sales Rep"; one OpportunityStage row per
    `catalog.STAGES`; the Tooling API's EntityDefinition for Opportunity and the four
    ValidationRule rows of `devorg.validation.RULES` (created 30 days before `today`: the data
    predates the rules, which is why it can break them). One connected app "dealpulse".

People (`devorg.seed_people`)
    A CEO, a VP Sales, an admin (role Sales Operations), five regional managers and 32 active
    reps plus 2 former (inactive) reps: 42 users; ManagerId follows the role tree. The demo
    users are the second rep of North America East ("rep"), that region's manager ("manager")
    and the admin ("admin").

Accounts (`devorg.seed_accounts`)
    max(30, N // 8) accounts with generated names, industries (Healthcare ~14%), countries of
    their region, employees, revenue, type and an owning rep of the region.

Opportunities (`devorg.seed_deals`, their rows `devorg.seed_deal_rows`, tunables
`devorg.seed_model`), over the three years (1095 days) ending at `today`
    - 30% are open at `today`; most were created recently (80% within about 45 days on
      average, 20% are stale deals 90-720 days old). Closed deals are spread over the three
      years, a little denser recently.
    - A deal walks the stages in order (20% start at Qualification; Qualification, Needs
      Analysis and Perception Analysis are each skipped 12% of the time). Time in each stage is
      log-normal around a median (6-14 days) scaled by deal size (amount ** 0.25), so big deals
      take longer. Lost deals drop out at a stage drawn from LOST_AT_WEIGHTS.
    - Amount depends on account size and Type; 18% of deals get their amount only in Needs
      Analysis and 30% of deals reaching Proposal revise it there. Probability, forecast
      category, IsClosed and IsWon always follow the stage.
    - Close dates slip: a closed deal's close date was pushed later 0-5 times (weights
      46/24/15/9/4/2, fewer when the deal was short), open deals more often the older they are;
      closing sets CloseDate to the day of closing. 4% of closed deals that reached Proposal
      were closed lost there and reopened weeks later.
    - Win odds: 0.55 x type (New 0.8, Upgrade 1.4, Replacement 1.1, Downgrade 1.2) x lead
      source (Web 1.0, Phone 1.1, Partner 1.3, Purchased List 0.6, Other 0.9) x the planted
      effects below; overall about 30% of closed deals are won.
    - Competitor__c is set on 60% of deals (Acme Corp 30% of those), with matching
      OpportunityCompetitor rows (15% also name a second competitor). Decision_Maker__c is
      named in Id. Decision Makers, Budget_Confirmed__c ticked in Value Proposition (95% of
      won deals, 75% of others). Every save is replayed into OpportunityHistory and
      OpportunityFieldHistory as Salesforce writes them.
    - Activities: 1 + life/12 days (at most 11) completed Tasks (65%) and Events (35%) spread
      over each deal's life; open deals have an activity in the last 21 days unless planted
      otherwise; 88% of the open deals without planted meeting/activity problems (about 70% of
      all open deals) have a scheduled next meeting (an Event on Next_Meeting_Date__c, 1-21
      days ahead), and 30% an open Task.

Planted patterns (measured on closed deals; `tests/devorg/test_seed.py` checks each)
    1. Acme stall: Competitor__c = 'Acme Corp' and more than 30 days between entering one of
       Value Proposition / Id. Decision Makers / Perception Analysis and the next stage change
       (OpportunityHistory). 45% of closed Acme deals stall (odds x 0.12): they win about 6%,
       Acme deals that do not stall about 31% (they spend at most 29.6 days in each middle
       stage), all closed deals about 30%.
    2. Healthcare partners: closed deals of Healthcare accounts with LeadSource
       'Partner Referral' win about 65% (odds x 4.5), other Healthcare deals about 18%
       (odds x 0.45).
    3. Slipping deals: closed deals whose CloseDate was pushed later (OpportunityFieldHistory
       rows with Field = 'CloseDate' and NewValue > OldValue) 3 or more times win about 13%
       (odds x 0.22), the others about 33%. (A reopened deal's new close date counts as a push.)
    Measured at N = 10,000, seed 7.

Bad data on open deals (shares of open deals unless stated; each flag is dealt out evenly by a
quota, so the shares hold exactly at any N)
    - Next_Meeting_Date__c in the past: 10%.
    - CloseDate in the past: 10%.
    - Amount blank in Proposal/Price Quote or Negotiation/Review: 12% of open deals there.
    - Decision_Maker__c blank in Proposal/Price Quote or Negotiation/Review: 12% of open deals
      there.
    - No activity for more than 60 days (LastActivityDate older than today - 60): 10% (only
      deals at least 75 days old qualify).
    Open deals without a planted flag are clean in that respect (recent activity, future close
    date, future or no next meeting).
"""

from __future__ import annotations

import random
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devorg import catalog, validation
from devorg.db import OrgDatabase, sf_datetime
from devorg.ids import make_id
from devorg.organization import demo_today, organization_row
from devorg.seed_accounts import build_accounts
from devorg.seed_common import DAY, IdAllocator, day_of, dt_text
from devorg.seed_deals import DealFactory
from devorg.seed_people import build_people

ORG_NAME = "Brightwave Software"
APP_NAME = "dealpulse"
CALLBACK_URL = "http://127.0.0.1:8000/oauth/callback"
ENTITY_DEFINITION_ID = "000000000000000AAA"
CHUNK_SIZE = 5_000
_CONSUMER_KEY_ALPHABET = string.ascii_letters + string.digits + "._"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    user_id: str


@dataclass(frozen=True)
class SeedResult:
    org_id: str
    client_id: str
    client_secret: str
    callback_url: str
    jwt_private_key_pem: str  # RSA private key whose public key the connected app trusts
    users: dict[str, DemoUser]  # "rep", "manager", "admin"
    opportunities: int


def seed_org(
    db: OrgDatabase,
    *,
    opportunities: int,
    seed: int,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> SeedResult:
    """Fill an empty org database; raises ValueError if it is already seeded."""
    if db.is_seeded:
        raise ValueError(f"the org database {db.path} is already seeded")
    if opportunities < 0:
        raise ValueError("opportunities must not be negative")
    today = today or demo_today()  # the org's own date: the seeded row's zone
    today_day = day_of(today)
    rng = random.Random(seed)
    org_id = make_id("00D", rng.randrange(1, 62**5))

    demo_passwords = {key: secrets.token_urlsafe(12) for key in ("rep", "manager", "admin")}
    conn = db.conn
    conn.execute("BEGIN")
    try:
        people = build_people(db, rng, today_day, demo_passwords)
        _write_metadata(db, people.admin.user_id, today_day)
        accounts = build_accounts(db, rng, people, max(30, opportunities // 8), today_day)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise

    DealFactory(db, rng, people, accounts, today_day).write(opportunities, chunk_size, progress)

    client_id = "3MVG9" + "".join(secrets.choice(_CONSUMER_KEY_ALPHABET) for _ in range(80))
    client_secret = secrets.token_hex(32).upper()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    conn.execute("BEGIN")
    try:
        conn.execute(
            "INSERT INTO _connected_app (client_id, client_secret, name, callback_url, "
            "jwt_public_key_pem, run_as_user_id) VALUES (?, ?, ?, ?, ?, ?)",
            [client_id, client_secret, APP_NAME, CALLBACK_URL, public_pem, people.admin.user_id],
        )
        db.insert(
            catalog.ORGANIZATION,
            organization_row(org_id, ORG_NAME, at=_set_up_at(today_day), by=people.admin.user_id),
        )
        # org_id last: a database counts as seeded only once everything is in.
        db.set_meta("org_name", ORG_NAME)
        db.set_meta("seed", str(seed))
        db.set_meta("seeded_at", sf_datetime(datetime.now(UTC)))
        db.set_meta("today", today.isoformat())
        db.set_meta("org_id", org_id)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise

    demo = {"rep": people.demo_rep, "manager": people.managers[0], "admin": people.admin}
    users = {
        key: DemoUser(person.username, demo_passwords[key], person.user_id)
        for key, person in demo.items()
    }
    return SeedResult(
        org_id=org_id,
        client_id=client_id,
        client_secret=client_secret,
        callback_url=CALLBACK_URL,
        jwt_private_key_pem=private_pem,
        users=users,
        opportunities=opportunities,
    )


def _set_up_at(today_day: int) -> str:
    """When the org was set up: 400 days before its three years of data, at 10:00."""
    return dt_text((today_day - 3 * 365 - 400) * DAY + 10 * 3600)


def _write_metadata(db: OrgDatabase, admin_id: str, today_day: int) -> None:
    setup = _set_up_at(today_day)
    stage_ids = IdAllocator(db, catalog.OPPORTUNITY_STAGE)
    db.insert_many(
        catalog.OPPORTUNITY_STAGE,
        ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
         "SystemModstamp", "MasterLabel", "ApiName", "IsActive", "SortOrder", "IsClosed",
         "IsWon", "ForecastCategory", "ForecastCategoryName", "DefaultProbability",
         "Description"),
        [
            (stage_ids.take(), setup, admin_id, setup, admin_id, setup, name, name, 1, order,
             int(closed), int(won), catalog.FORECAST_CATEGORIES[forecast], forecast,
             float(probability), None)
            for name, order, closed, won, probability, forecast in catalog.STAGES
        ],
    )  # fmt: skip
    stage_ids.sync()
    db.insert_many(
        catalog.ENTITY_DEFINITION,
        ("Id", "DurableId", "DeveloperName", "QualifiedApiName", "Label"),
        [(ENTITY_DEFINITION_ID, "Opportunity", "Opportunity", "Opportunity", "Opportunity")],
    )
    rule_ids = IdAllocator(db, catalog.VALIDATION_RULE)
    rules_created = today_day - 30
    db.insert_many(
        catalog.VALIDATION_RULE,
        ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
         "SystemModstamp", "ValidationName", "Active", "Description", "EntityDefinitionId",
         "ErrorDisplayField", "ErrorMessage", "_Formula"),
        [
            (rule_ids.take(), stamp, admin_id, stamp, admin_id, stamp, rule.name, 1,
             rule.description, "Opportunity", rule.display_field, rule.message, rule.formula)
            for index, rule in enumerate(validation.RULES)
            for stamp in [dt_text((rules_created + index) * DAY + 15 * 3600)]
        ],
    )  # fmt: skip
    rule_ids.sync()


__all__ = ["DemoUser", "SeedResult", "seed_org"]
