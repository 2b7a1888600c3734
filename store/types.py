"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import BigInteger, DateTime, Numeric, TypeDecorator, TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in Python, whatever the database keeps.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so the value is stored as naive
    UTC and made aware again on the way out. Naive input is refused: it is always a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An exact amount of money: `Decimal` in Python, never a float.

    PostgreSQL stores NUMERIC(precision, scale). SQLite has no decimal type (SQLAlchemy's
    Numeric would go through a float there), so it stores the amount in units of the scale
    (cents at scale 2) as a 64-bit INTEGER: exact, and ORDER BY and the range filters compare
    integers with the same indexes as before.

    Exactness bound: every value with at most `scale` decimals and |value| x 10^scale below
    min(10^precision, 2^63) units, on both databases alike. 2^63 (about 9.22 x 10^18) never
    binds up to precision 18, Salesforce's largest currency field. Anything else is refused
    with a ValueError rather than rounded or stored inexactly: more decimals than the scale,
    NaN or an infinity, a value out of range, a float.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale
        self.quantum = Decimal(1).scaleb(-scale)
        self.limit_units = min(int(10**precision), 2**63)
        self.largest = Decimal(self.limit_units - 1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def rounded(self, value: Decimal, rounding: str) -> Decimal:
        """`value` at this scale, rounded with `rounding` (a `decimal` ROUND_* mode);
        ValueError when it is not finite or out of range."""
        if not value.is_finite():
            raise ValueError(f"{value} is not an amount of money")
        # Compared before quantizing: a huge exponent would make quantize itself fail.
        if value.adjusted() >= self.precision - self.scale:
            raise ValueError(self._out_of_range())
        with localcontext(Context(prec=self.precision + 2)):
            exact = value.quantize(self.quantum, rounding=rounding)
        if abs(exact) > self.largest:
            raise ValueError(self._out_of_range())
        return exact + 0 if exact.is_zero() else exact  # -0.00 is 0.00

    def exact(self, value: object) -> Decimal:
        """`value` (a Decimal or an int) at this scale; ValueError when that would change it."""
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise ValueError(f"money must be a Decimal or an int, not {type(value).__name__}")
        number = Decimal(value)
        exact = self.rounded(number, ROUND_HALF_UP)
        if exact != number:
            raise ValueError(f"{number} has more than {self.scale} decimals")
        return exact

    def _out_of_range(self) -> str:
        return f"out of range for money of precision {self.precision}, scale {self.scale}"

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = self.exact(value)
        return int(exact.scaleb(self.scale)) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value).quantize(self.quantum)
