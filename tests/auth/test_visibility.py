from __future__ import annotations

from auth.visibility import AccessLevel, access_level, roles_below

PARENTS: dict[str, str | None] = {
    "ceo": None,
    "vp": "ceo",
    "ops": "vp",
    "east": "vp",
    "east-rep": "east",
    "west": "vp",
    "west-rep": "west",
    "intern": "east-rep",
}


def test_roles_below_covers_every_level() -> None:
    assert roles_below(PARENTS, "east") == {"east-rep", "intern"}
    assert roles_below(PARENTS, "vp") == {"ops", "east", "east-rep", "west", "west-rep", "intern"}
    assert roles_below(PARENTS, "west-rep") == set()
    assert roles_below(PARENTS, None) == set()


def test_roles_below_survives_a_cycle() -> None:
    assert roles_below({"a": "b", "b": "a"}, "a") == {"b"}


def test_access_levels() -> None:
    assert access_level("System Administrator", set()) is AccessLevel.ADMIN
    assert access_level("Sales Manager", {"005x"}) is AccessLevel.MANAGER
    assert access_level("Sales Rep", set()) is AccessLevel.REP
