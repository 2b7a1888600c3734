"""Math functions over Decimal (never float): ABS CEILING FLOOR ROUND TRUNC MCEILING MFLOOR MOD
MAX MIN SQRT EXP LN LOG.

As Salesforce documents: ROUND rounds half away from zero (ROUND(-2.5, 0) = -3); CEILING
rounds up *away from zero* (CEILING(-2.5) = -3) and FLOOR down *toward zero* (FLOOR(-2.5) =
-2), while MCEILING/MFLOOR are the mathematical ceiling and floor (-2 and -3). MOD takes the
sign of the dividend (MOD(-5, 3) = -2). A blank argument gives a blank. #Error! (a `Fault`):
MOD by 0, SQRT of a negative, LN/LOG of a non-positive, a result beyond 1e40.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Decimal

from rules.formula.runtime import Builder, strict
from rules.formula.values import Fault, Value, checked_number, to_int

ONE = Decimal(1)


def num(value: Value) -> Decimal:
    if not isinstance(value, Decimal):  # pragma: no cover - the checker guarantees numbers
        raise Fault("a number was expected")
    return value


def plain(value: Decimal) -> Decimal:
    """Without a positive exponent (1.2E+3 -> 1200), so results print as people write them."""
    if value.as_tuple().exponent > 0:  # type: ignore[operator]
        return value.quantize(ONE)
    return value


def round_to(value: Decimal, digits: int, rounding: str) -> Decimal:
    if digits >= 30 or value.is_zero():
        return value
    digits = max(digits, -45)
    return plain(value.quantize(ONE.scaleb(-digits), rounding=rounding))


def _abs(value: Value) -> Value:
    return abs(num(value))


def _ceiling(value: Value) -> Value:
    return round_to(num(value), 0, ROUND_UP)


def _floor(value: Value) -> Value:
    return round_to(num(value), 0, ROUND_DOWN)


def _mceiling(value: Value) -> Value:
    return round_to(num(value), 0, ROUND_CEILING)


def _mfloor(value: Value) -> Value:
    return round_to(num(value), 0, ROUND_FLOOR)


def _round(value: Value, digits: Value) -> Value:
    return round_to(num(value), to_int(num(digits), -1000, 1000), ROUND_HALF_UP)


def _trunc(value: Value, digits: Value = Decimal(0)) -> Value:
    return round_to(num(value), to_int(num(digits), -1000, 1000), ROUND_DOWN)


def _mod(value: Value, divisor: Value) -> Value:
    if num(divisor).is_zero():
        raise Fault("MOD by zero")
    return num(value) % num(divisor)


def _max(*values: Value) -> Value:
    return max(num(v) for v in values)


def _min(*values: Value) -> Value:
    return min(num(v) for v in values)


def _sqrt(value: Value) -> Value:
    if num(value) < 0:
        raise Fault("SQRT of a negative number")
    return num(value).sqrt()


def _exp(value: Value) -> Value:
    if num(value) > 100:
        raise Fault("EXP result too large")
    return checked_number(num(value).exp())


def _ln(value: Value) -> Value:
    if num(value) <= 0:
        raise Fault("LN of a number that is not positive")
    return num(value).ln()


def _log(value: Value) -> Value:
    if num(value) <= 0:
        raise Fault("LOG of a number that is not positive")
    return num(value).log10()


def power(base: Decimal, exponent: Decimal) -> Decimal:
    """`^`: exact for integer exponents, #Error! for results beyond 1e40 or 0 ^ negative."""
    if base.is_zero() and exponent.is_zero():
        return ONE
    if base.is_zero() and exponent < 0:
        raise Fault("division by zero")
    if base < 0 and exponent != exponent.to_integral_value():
        raise Fault("fractional power of a negative number")
    if abs(exponent) > 100_000 and abs(base) != ONE and not base.is_zero():
        if (abs(base) > ONE) == (exponent > 0):
            raise Fault("number too large")
        return Decimal(0)
    return checked_number(base**exponent)


BUILDERS: dict[str, Builder] = {
    "ABS": strict(_abs),
    "CEILING": strict(_ceiling),
    "FLOOR": strict(_floor),
    "MCEILING": strict(_mceiling),
    "MFLOOR": strict(_mfloor),
    "ROUND": strict(_round),
    "TRUNC": strict(_trunc),
    "MOD": strict(_mod),
    "MAX": strict(_max),
    "MIN": strict(_min),
    "SQRT": strict(_sqrt),
    "EXP": strict(_exp),
    "LN": strict(_ln),
    "LOG": strict(_log),
}
