"""Helpers shared by the seed modules: fast id numbering, time arithmetic and value formatting.

Moments are integer seconds since the Unix epoch (UTC) and days are integer days since the
epoch, so the simulation does plain integer arithmetic; both are formatted only when rows are
written, through caches (a seed touches a few thousand distinct days).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from devorg.catalog import SObject
from devorg.db import OrgDatabase
from devorg.ids import make_id

DAY = 86_400
_EPOCH = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()

# UTC offset (hours, ignoring daylight saving) of each time zone users can have.
TZ_OFFSETS = {
    "America/New_York": -5,
    "America/Los_Angeles": -8,
    "Europe/London": 0,
    "Europe/Berlin": 1,
    "Asia/Singapore": 8,
}

_DAY_TEXT: dict[int, str] = {}
_TIME_TEXT: dict[int, str] = {}


def day_of(value: date) -> int:
    return value.toordinal() - _EPOCH_ORDINAL


def date_of(day: int) -> date:
    return _EPOCH + timedelta(days=day)


def day_text(day: int) -> str:
    """'YYYY-MM-DD' of an epoch day."""
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = (_EPOCH + timedelta(days=day)).isoformat()
    return text


def dt_text(moment: int) -> str:
    """Salesforce's datetime text ('YYYY-MM-DDTHH:MM:SS.000+0000') of an epoch second."""
    day, second = divmod(moment, DAY)
    text = _TIME_TEXT.get(second)
    if text is None:
        hours, rest = divmod(second, 3600)
        text = _TIME_TEXT[second] = f"T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.000+0000"
    return day_text(day) + text


def moment_of(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp())


class IdAllocator:
    """Hands out record ids in insertion order, so each row's number equals its SQLite rowid.

    `OrgDatabase.new_id` numbers new records after the largest rowid; numbering seeded rows
    1, 2, 3... in the order they are inserted keeps the two schemes from ever colliding.
    Call `sync` after each batch so the database's own counter moves past the numbers used.
    """

    def __init__(self, db: OrgDatabase, sobj: SObject) -> None:
        self.db = db
        self.sobj = sobj
        self.first_unsynced = db.reserve_ids(sobj, 0)
        self.next = self.first_unsynced
        prefix = sobj.key_prefix
        # Ids below 62**5 have the form prefix + "5g0" + "0000" + five base-62 digits, so the
        # first two case-safe suffix characters are fixed; the fast path reuses them.
        probe = make_id(prefix, 1)
        self._head = probe[:10]
        self._suffix_head = probe[15:17]

    def take(self) -> str:
        number = self.next
        self.next = number + 1
        if number >= _FAST_LIMIT:
            return make_id(self.sobj.key_prefix, number)
        high, low = divmod(number, 3844)
        top, mid = divmod(high, 3844)
        text1, bits1 = _BASE62_2[top]  # top < 62, so its first digit is "0"
        text2, bits2 = _BASE62_2[mid]
        text3, bits3 = _BASE62_2[low]
        suffix = _SUFFIX[(bits1 >> 1) | (bits2 << 1) | (bits3 << 3)]
        return self._head + text1[1] + text2 + text3 + self._suffix_head + suffix

    def sync(self) -> None:
        used = self.next - self.first_unsynced
        if used:
            first = self.db.reserve_ids(self.sobj, used)
            if first != self.first_unsynced:  # pragma: no cover - someone else took ids
                raise RuntimeError(f"{self.sobj.name} ids were allocated during seeding")
        self.first_unsynced = self.next


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_FAST_LIMIT = 62**5


def _table(width: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for number in range(62**width):
        chars = []
        n = number
        for _ in range(width):
            n, rem = divmod(n, 62)
            chars.append(_B62[rem])
        text = "".join(reversed(chars))
        bits = sum(1 << pos for pos, char in enumerate(text) if "A" <= char <= "Z")
        out.append((text, bits))
    return out


_BASE62_2 = _table(2)
