"""The sales organisation of the seeded org: profiles, the role hierarchy and about 40 users.

Roles (UserRole, ParentRoleId):

    CEO
    └── VP Sales
        ├── Sales Operations                       (the admin, System Administrator profile)
        ├── <Region> Sales Manager  (5 regions)    (a manager, Sales Manager profile)
        │   └── <Region> Sales Rep                 (6-7 reps each, Sales Rep profile)

Regions (time zone; billing countries of their accounts): North America East, North America
West, EMEA North, EMEA Central, APAC. Every user's ManagerId is the user holding the parent role
(reps → their regional manager → the VP → the CEO; the admin → the VP). Two reps are inactive
(they left the company `LEFT_DAYS_AGO` days before `today`); they still own deals that closed
before they left, and no open deal.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field

from devorg import catalog
from devorg.db import OrgDatabase
from devorg.passwords import hash_password
from devorg.seed_common import DAY, IdAllocator, dt_text

EMAIL_DOMAIN = "dealpulse-demo.example"
# The demo users sign in with the full-cost hash. Everyone else gets a 256-bit random password
# that is never disclosed; for such a password the key-stretching cost adds no protection, so
# their hashes use a low iteration count and seeding stays fast.
UNDISCLOSED_ITERATIONS = 1_000


@dataclass(frozen=True)
class Region:
    name: str
    time_zone: str
    countries: tuple[str, ...]
    share: float  # share of accounts
    reps: int


REGIONS = (
    Region("North America East", "America/New_York", ("United States", "Canada"), 0.28, 7),
    Region("North America West", "America/Los_Angeles", ("United States", "Mexico"), 0.24, 7),
    Region(
        "EMEA North",
        "Europe/London",
        ("United Kingdom", "Ireland", "Netherlands", "Sweden", "Denmark"),
        0.18,
        6,
    ),
    Region(
        "EMEA Central",
        "Europe/Berlin",
        ("Germany", "France", "Switzerland", "Austria", "Spain", "Italy"),
        0.16,
        6,
    ),
    Region("APAC", "Asia/Singapore", ("Singapore", "Australia", "Japan", "India"), 0.14, 6),
)
# (region index, days before today the rep left) of the two former reps.
FORMER_REPS = ((0, 420), (2, 260))

_FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Sophia", "Mateo", "Isabella", "Ethan",
    "Mia", "James", "Amelia", "Benjamin", "Harper", "Elijah", "Charlotte", "Henry", "Priya",
    "Arjun", "Mei", "Hiroshi", "Yuki", "Chloe", "Jonas", "Lena", "Felix", "Clara", "Hannah",
    "Samuel", "Grace", "Daniel", "Zoe", "David", "Nora", "Omar", "Leila", "Marco", "Giulia",
    "Pierre", "Camille", "Sven", "Astrid", "Rahul", "Ananya", "Wei", "Jun", "Sofia", "Diego",
    "Lucia", "Aisha", "Kwame", "Fatima", "Thomas", "Julia", "Erik", "Ingrid", "Connor", "Siobhan",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
    "White", "Harris", "Clark", "Lewis", "Walker", "Young", "King", "Wright", "Scott", "Green",
    "Baker", "Adams", "Nelson", "Patel", "Sharma", "Chen", "Wang", "Tanaka", "Sato", "Kim",
    "Muller", "Schmidt", "Fischer", "Weber", "Dubois", "Laurent", "Rossi", "Bianchi", "Jansen",
    "Lindqvist", "Nielsen", "O'Brien", "Murphy", "Kowalski", "Novak", "Silva", "Costa", "Haddad",
)  # fmt: skip


@dataclass
class SeedUser:
    user_id: str
    first: str
    last: str
    title: str
    department: str
    role_id: str
    profile_id: str
    manager_id: str | None
    time_zone: str
    kind: str  # "ceo", "vp", "admin", "manager", "rep"
    region: int | None = None
    left_day: int | None = None  # epoch day the user left (inactive users)

    @property
    def username(self) -> str:
        local = f"{self.first}.{self.last}".lower().replace("'", "")
        return f"{local}@{EMAIL_DOMAIN}"

    @property
    def is_active(self) -> bool:
        return self.left_day is None


@dataclass
class People:
    profiles: dict[str, str]  # profile name -> id
    users: list[SeedUser]
    admin: SeedUser
    managers: list[SeedUser]  # by region
    reps_by_region: list[list[SeedUser]]
    demo_rep: SeedUser
    passwords: dict[str, str] = field(default_factory=dict)  # user id -> password (demo users)


def build_people(
    db: OrgDatabase, rng: random.Random, today_day: int, demo_passwords: dict[str, str]
) -> People:
    """Insert profiles, roles and users; `demo_passwords` maps "rep"/"manager"/"admin" to the
    passwords of the demo users."""
    created = (today_day - 3 * 365 - 400) * DAY + 9 * 3600
    profile_ids = IdAllocator(db, catalog.PROFILE)
    role_ids = IdAllocator(db, catalog.USER_ROLE)
    user_ids = IdAllocator(db, catalog.USER)

    names = [(f, la) for f in _FIRST_NAMES for la in _LAST_NAMES]
    rng.shuffle(names)
    name_iter = iter(names)
    used_first: set[str] = set()

    def next_name() -> tuple[str, str]:
        for first, last in name_iter:
            if first not in used_first:
                used_first.add(first)
                return first, last
        raise RuntimeError("ran out of names")  # pragma: no cover

    profiles = {
        name: profile_ids.take() for name in ("System Administrator", "Sales Manager", "Sales Rep")
    }
    roles: list[tuple[str, str, str, str | None]] = []  # id, name, developer name, parent

    def role(name: str, parent: str | None) -> str:
        role_id = role_ids.take()
        dev = "".join(c if c.isalnum() else "_" for c in name).strip("_")
        roles.append((role_id, name, dev.replace("__", "_"), parent))
        return role_id

    ceo_role = role("CEO", None)
    vp_role = role("VP Sales", ceo_role)
    ops_role = role("Sales Operations", vp_role)
    users: list[SeedUser] = []

    def user(title: str, dept: str, role_id: str, profile: str, **kw: object) -> SeedUser:
        first, last = next_name()
        new = SeedUser(
            user_ids.take(),
            first,
            last,
            title,
            dept,
            role_id,
            profiles[profile],
            **kw,  # type: ignore[arg-type]
        )
        users.append(new)
        return new

    ceo = user("Chief Executive Officer", "Executive", ceo_role, "Sales Manager",
               manager_id=None, time_zone="America/New_York", kind="ceo")  # fmt: skip
    vp = user("VP Sales", "Sales", vp_role, "Sales Manager", manager_id=ceo.user_id,
              time_zone="America/New_York", kind="vp")  # fmt: skip
    admin = user("Salesforce Administrator", "Sales Operations", ops_role,
                 "System Administrator", manager_id=vp.user_id, time_zone="America/New_York",
                 kind="admin")  # fmt: skip
    managers: list[SeedUser] = []
    reps_by_region: list[list[SeedUser]] = []
    for index, region in enumerate(REGIONS):
        manager_role = role(f"{region.name} Sales Manager", vp_role)
        rep_role = role(f"{region.name} Sales Rep", manager_role)
        manager = user(f"Regional Sales Manager, {region.name}", "Sales",
                       manager_role, "Sales Manager", manager_id=vp.user_id,
                       time_zone=region.time_zone, kind="manager", region=index)  # fmt: skip
        managers.append(manager)
        reps = []
        for number in range(region.reps):
            title = "Senior Account Executive" if number % 3 == 0 else "Account Executive"
            reps.append(user(title, "Sales", rep_role, "Sales Rep",
                             manager_id=manager.user_id, time_zone=region.time_zone,
                             kind="rep", region=index))  # fmt: skip
        reps_by_region.append(reps)
    for region_index, days_ago in FORMER_REPS:
        region = REGIONS[region_index]
        rep_role = next(r[0] for r in roles if r[1] == f"{region.name} Sales Rep")
        former = user("Account Executive", "Sales", rep_role, "Sales Rep",
                      manager_id=managers[region_index].user_id, time_zone=region.time_zone,
                      kind="rep", region=region_index, left_day=today_day - days_ago)  # fmt: skip
        reps_by_region[region_index].append(former)

    demo_rep = reps_by_region[0][1]
    demo = {"rep": demo_rep, "manager": managers[0], "admin": admin}
    passwords = {demo[key].user_id: demo_passwords[key] for key in demo}

    _insert(
        db,
        created=created,
        profiles=profiles,
        roles=roles,
        users=users,
        admin_id=admin.user_id,
        passwords=passwords,
    )
    for allocator in (profile_ids, role_ids, user_ids):
        allocator.sync()
    return People(profiles, users, admin, managers, reps_by_region, demo_rep, passwords)


def _insert(
    db: OrgDatabase,
    *,
    created: int,
    profiles: dict[str, str],
    roles: list[tuple[str, str, str, str | None]],
    users: list[SeedUser],
    admin_id: str,
    passwords: dict[str, str],
) -> None:
    stamp = dt_text(created)
    db.insert_many(
        catalog.PROFILE,
        ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
         "SystemModstamp", "Name"),
        [(pid, stamp, admin_id, stamp, admin_id, stamp, name)
         for name, pid in profiles.items()],
    )  # fmt: skip
    db.insert_many(
        catalog.USER_ROLE,
        ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
         "SystemModstamp", "Name", "DeveloperName", "ParentRoleId"),
        [(rid, stamp, admin_id, stamp, admin_id, stamp, name, dev, parent)
         for rid, name, dev, parent in roles],
    )  # fmt: skip
    rows = []
    for position, person in enumerate(users):
        since = created + position * 3 * DAY
        changed = since if person.left_day is None else person.left_day * DAY + 17 * 3600
        password = passwords.get(person.user_id)
        stored = (
            hash_password(password)
            if password is not None
            else hash_password(secrets.token_urlsafe(32), iterations=UNDISCLOSED_ITERATIONS)
        )
        alias = (person.first[0] + person.last.replace("'", ""))[:8].lower()
        rows.append((
            person.user_id, dt_text(since), admin_id, dt_text(changed), admin_id,
            dt_text(changed), person.username, person.first, person.last,
            f"{person.first} {person.last}", person.username, alias, person.title,
            person.department, int(person.is_active), person.role_id, person.profile_id,
            person.manager_id, person.time_zone, stored,
        ))  # fmt: skip
    db.insert_many(
        catalog.USER,
        ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
         "SystemModstamp", "Username", "FirstName", "LastName", "Name", "Email", "Alias",
         "Title", "Department", "IsActive", "UserRoleId", "ProfileId", "ManagerId",
         "TimeZoneSidKey", "_PasswordHash"),
        rows,
    )  # fmt: skip
