"""The scopes of issue 10 (auth.scopes): one definition, parsed from OAuth's space-separated
form into a canonical order, unknown and repeated names refused by name."""

from __future__ import annotations

import pytest

from auth.scopes import ALL_SCOPES, Scope, ScopeError, canonical_scopes, format_scopes, parse_scopes


def test_the_scopes_are_those_of_issue_10_in_their_canonical_order() -> None:
    assert [str(scope) for scope in ALL_SCOPES] == [
        "pipeline:read", "alerts:read", "alerts:write", "opportunities:write", "admin",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("   ", ()),
        ("admin", ("admin",)),
        ("alerts:read pipeline:read", ("pipeline:read", "alerts:read")),
        ("  admin\talerts:write   pipeline:read ", ("pipeline:read", "alerts:write", "admin")),
    ],
)
def test_a_scope_list_parses_to_canonical_order(text: str, expected: tuple[str, ...]) -> None:
    assert parse_scopes(text) == expected


def test_lists_that_grant_the_same_scopes_are_equal() -> None:
    assert parse_scopes("alerts:read pipeline:read") == parse_scopes("pipeline:read alerts:read")


def test_canonical_names_are_plain_strings_even_from_members() -> None:
    names = canonical_scopes([Scope.ADMIN, Scope.PIPELINE_READ])
    assert names == ("pipeline:read", "admin")
    assert all(type(name) is str for name in names)


@pytest.mark.parametrize("bad", ["pipeline:write", "Admin", "pipeline:read,alerts:read", "*"])
def test_an_unknown_scope_is_refused_by_name(bad: str) -> None:
    with pytest.raises(ScopeError) as refused:
        parse_scopes(f"alerts:read {bad}")
    assert refused.value.scope == bad
    assert refused.value.reason == "unknown"
    assert repr(bad) in str(refused.value)
    assert "pipeline:read" in str(refused.value)  # it lists the known ones
    assert refused.value.oauth_error == "invalid_scope"


def test_a_repeated_scope_is_refused_by_name() -> None:
    with pytest.raises(ScopeError, match="'alerts:read' is listed twice") as refused:
        parse_scopes("alerts:read pipeline:read alerts:read")
    assert (refused.value.scope, refused.value.reason) == ("alerts:read", "duplicate")


def test_a_long_unknown_name_is_shortened_in_the_message() -> None:
    with pytest.raises(ScopeError) as refused:
        parse_scopes("x" * 10_000)
    assert refused.value.scope == "x" * 10_000
    assert len(str(refused.value)) < 300


def test_format_joins_names_with_spaces() -> None:
    assert format_scopes(parse_scopes("admin pipeline:read")) == "pipeline:read admin"
