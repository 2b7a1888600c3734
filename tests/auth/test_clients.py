"""The OAuth client registry (auth.clients): registration and its refusals, the secret shown
once and stored only hashed, authentication, listing by org, revocation. What touches the
database runs on SQLite and PostgreSQL (store_engine); the pure URI checks need neither."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from auth.clients import (
    ClientRegistrationError,
    RegisteredClient,
    authenticate_client,
    check_redirect_uri,
    find_client,
    list_clients,
    register_client,
    revoke_client,
    user_id_by_username,
)
from store.oauth_models import OAuthClient
from tests import factories as f

A, B = f.ORG_A, f.ORG_B


def two_orgs(engine: Engine) -> None:
    f.org(engine, A, with_stages=False)
    f.org(engine, B, with_stages=False)


def register(engine: Engine, **values: object) -> tuple[RegisteredClient, str | None]:
    arguments: dict[str, object] = {"org_id": A, "name": "BI tool", "scopes": "pipeline:read"}
    return register_client(engine, **{**arguments, **values})  # type: ignore[arg-type]


def count_clients(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(OAuthClient)).all())


# -- registration ---------------------------------------------------------------------------------
def test_a_confidential_client_is_registered_with_a_secret_shown_once(store_engine: Engine) -> None:
    two_orgs(store_engine)
    rep = f.user(store_engine, "Ada Rep", org_id=A)
    client, secret = register(
        store_engine,
        scopes="alerts:read pipeline:read",
        run_as_user_id=rep.id,
        redirect_uris=["https://bi.example.com/callback"],
        now=f.NOW,
    )
    assert secret is not None
    assert len(secret) >= 43  # 32 random bytes, url-safe
    assert client.client_id.startswith("dp_")
    assert len(client.client_id) > 20
    assert client == RegisteredClient(
        client_id=client.client_id,
        org_id=A,
        name="BI tool",
        scopes=("pipeline:read", "alerts:read"),  # canonical order
        run_as_user_id=rep.id,
        redirect_uris=("https://bi.example.com/callback",),
        public=False,
        created_at=f.NOW,
        revoked_at=None,
    )
    assert client.active
    assert find_client(store_engine, client.client_id) == client
    assert not [name for name in vars(client) if "secret" in name]


def test_each_registration_gets_its_own_id_and_secret(store_engine: Engine) -> None:
    two_orgs(store_engine)
    registered = [register(store_engine) for _ in range(5)]
    assert len({client.client_id for client, _ in registered}) == 5
    assert len({secret for _, secret in registered}) == 5


def test_the_secret_is_stored_only_as_its_hash(store_engine: Engine) -> None:
    two_orgs(store_engine)
    client, secret = register(store_engine)
    assert secret is not None
    with store_engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM oauth_client")).all()
    assert len(rows) == 1
    assert secret not in " ".join(str(value) for value in rows[0])
    with Session(store_engine) as session:
        row = session.get(OAuthClient, client.client_id)
    assert row is not None
    assert row.secret_hash == "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def test_a_public_client_has_no_secret(store_engine: Engine) -> None:
    two_orgs(store_engine)
    client, secret = register(store_engine, public=True, redirect_uris=["http://127.0.0.1:7777/cb"])
    assert secret is None
    assert client.public
    with Session(store_engine) as session:
        row = session.get(OAuthClient, client.client_id)
    assert row is not None
    assert row.secret_hash is None


def test_scopes_may_be_given_as_names(store_engine: Engine) -> None:
    two_orgs(store_engine)
    client, _ = register(store_engine, scopes=["admin", "alerts:write"])
    assert client.scopes == ("alerts:write", "admin")


def test_a_redirect_uri_given_twice_is_registered_once(store_engine: Engine) -> None:
    two_orgs(store_engine)
    uri = "https://a.example.com/cb"
    client, _ = register(store_engine, redirect_uris=[uri, "https://b.example.com/cb", uri])
    assert client.redirect_uris == (uri, "https://b.example.com/cb")


# -- refusals -------------------------------------------------------------------------------------
def test_an_org_that_is_not_registered_is_refused(store_engine: Engine) -> None:
    with pytest.raises(ClientRegistrationError, match="no org") as refused:
        register(store_engine, org_id=A)
    assert refused.value.field == "org_id"
    assert count_clients(store_engine) == 0


@pytest.mark.parametrize(
    ("scopes", "says"),
    [
        ("pipeline:read pipeline:write", "unknown scope 'pipeline:write'"),
        ("admin admin", "'admin' is listed twice"),
        ("", "at least one scope"),
        ([], "at least one scope"),
    ],
)
@pytest.mark.sqlite_only
def test_bad_scopes_are_refused(store_engine: Engine, scopes: object, says: str) -> None:
    two_orgs(store_engine)
    with pytest.raises(ClientRegistrationError, match=says) as refused:
        register(store_engine, scopes=scopes)
    assert refused.value.field == "scopes"
    assert count_clients(store_engine) == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "bell\a"])
@pytest.mark.sqlite_only
def test_a_blank_overlong_or_unprintable_name_is_refused(store_engine: Engine, name: str) -> None:
    two_orgs(store_engine)
    with pytest.raises(ClientRegistrationError) as refused:
        register(store_engine, name=name)
    assert refused.value.field == "name"


@pytest.mark.sqlite_only
def test_a_public_client_needs_a_redirect_uri(store_engine: Engine) -> None:
    two_orgs(store_engine)
    with pytest.raises(ClientRegistrationError, match="public client needs") as refused:
        register(store_engine, public=True)
    assert refused.value.field == "redirect_uris"
    assert count_clients(store_engine) == 0


def test_a_public_client_cannot_run_as_a_user(store_engine: Engine) -> None:
    two_orgs(store_engine)
    rep = f.user(store_engine, "Ada Rep", org_id=A)
    with pytest.raises(ClientRegistrationError) as refused:
        register(
            store_engine, public=True, redirect_uris=["https://x.example/cb"], run_as_user_id=rep.id
        )
    assert refused.value.field == "run_as_user_id"


@pytest.mark.sqlite_only
def test_a_bad_redirect_uri_refuses_the_whole_registration(store_engine: Engine) -> None:
    two_orgs(store_engine)
    with pytest.raises(ClientRegistrationError) as refused:
        register(store_engine, redirect_uris=["https://ok.example/cb", "http://evil.example/cb"])
    assert refused.value.field == "redirect_uris"
    assert count_clients(store_engine) == 0


def test_a_run_as_user_must_be_an_active_user_of_the_org(store_engine: Engine) -> None:
    two_orgs(store_engine)
    of_b = f.user(store_engine, "Bo Other", org_id=B)
    gone = f.user(store_engine, "Cy Gone", org_id=A, active=False)
    for user_id in (of_b.id, gone.id, "005000000000999AAA"):
        with pytest.raises(ClientRegistrationError, match="not an active mirrored user") as no:
            register(store_engine, run_as_user_id=user_id)
        assert no.value.field == "run_as_user_id"
    assert count_clients(store_engine) == 0


def test_a_username_resolves_to_its_user_in_that_org_only(store_engine: Engine) -> None:
    two_orgs(store_engine)
    ada = f.user(store_engine, "Ada Rep", org_id=A)
    assert user_id_by_username(store_engine, A, ada.username) == ada.id
    assert user_id_by_username(store_engine, A, f" {ada.username.upper()} ") == ada.id
    assert user_id_by_username(store_engine, B, ada.username) is None
    assert user_id_by_username(store_engine, A, "nobody@x") is None


# -- redirect URIs (pure) -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "uri",
    [
        "https://partner.example.com/oauth/callback",
        "https://partner.example.com:8443/cb?tenant=7",
        "http://127.0.0.1:53123/cb",
        "http://localhost/cb",
        "http://[::1]:8080/cb",
        "https://" + "a" * 1_000 + ".example/" + "p" * 980,
    ],
)
def test_these_redirect_uris_may_be_registered(uri: str) -> None:
    assert len(uri) <= 2_000
    assert check_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("http://partner.example.com/cb", "plain http:// is allowed only"),
        ("http://127.0.0.2/cb", "plain http:// is allowed only"),
        ("http://localhost.evil.example/cb", "plain http:// is allowed only"),
        ("https://partner.example.com/cb#frag", "fragment"),
        ("https://partner.example.com/cb#", "fragment"),
        ("/cb", "not an absolute https:// URI"),
        ("partner.example.com/cb", "not an absolute https:// URI"),
        ("https:///cb", "not an absolute https:// URI"),
        ("ftp://partner.example.com/cb", "not an absolute https:// URI"),
        ("javascript:alert(1)", "not an absolute https:// URI"),
        ("com.example.app:/cb", "not an absolute https:// URI"),
        ("https://partner.example.com:99999/cb", "not a valid URI"),
        ("https://[::1/cb", "not a valid URI"),
        ("https://partner.example.com/c b", "whitespace or control"),
        ("https://partner.example.com/cb\n", "whitespace or control"),
        ("https://x.example/" + "p" * 2_000, "at most 2000 characters"),
    ],
)
def test_these_redirect_uris_are_refused(uri: str, says: str) -> None:
    with pytest.raises(ClientRegistrationError, match=says) as refused:
        check_redirect_uri(uri)
    assert refused.value.field == "redirect_uris"


# -- authentication -------------------------------------------------------------------------------
def test_the_right_secret_authenticates_its_client(store_engine: Engine) -> None:
    two_orgs(store_engine)
    client, secret = register(store_engine)
    other, other_secret = register(store_engine)
    assert secret is not None
    assert other_secret is not None
    assert authenticate_client(store_engine, client.client_id, secret) == client
    assert authenticate_client(store_engine, client.client_id, other_secret) is None
    assert authenticate_client(store_engine, other.client_id, secret) is None


@pytest.mark.parametrize("wrong", ["", "x", "nearly", "\udcff", "é" * 50])
def test_a_wrong_secret_is_refused(store_engine: Engine, wrong: str) -> None:
    two_orgs(store_engine)
    client, secret = register(store_engine)
    assert secret is not None
    assert authenticate_client(store_engine, client.client_id, wrong) is None
    assert authenticate_client(store_engine, client.client_id, secret[:-1]) is None
    assert authenticate_client(store_engine, client.client_id, secret + "x") is None


def test_an_unknown_or_public_client_does_not_authenticate(store_engine: Engine) -> None:
    two_orgs(store_engine)
    public, _ = register(store_engine, public=True, redirect_uris=["https://x.example/cb"])
    assert authenticate_client(store_engine, public.client_id, "") is None
    assert authenticate_client(store_engine, public.client_id, "anything") is None
    assert authenticate_client(store_engine, "dp_unknown", "anything") is None


def test_authentication_hashes_the_secret_even_for_an_unknown_client(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Constant time with respect to the secret: an unknown client costs one hash and one
    comparison, as a known one does."""
    import auth.clients

    two_orgs(store_engine)
    public, _ = register(store_engine, public=True, redirect_uris=["https://x.example/cb"])
    hashed: list[str] = []
    real = auth.clients._hash_secret
    monkeypatch.setattr(auth.clients, "_hash_secret", lambda s: hashed.append(s) or real(s))
    authenticate_client(store_engine, "dp_unknown", "guess-1")
    authenticate_client(store_engine, public.client_id, "guess-2")
    assert hashed == ["guess-1", "guess-2"]


def test_a_revoked_client_no_longer_authenticates(store_engine: Engine) -> None:
    two_orgs(store_engine)
    client, secret = register(store_engine, now=f.NOW)
    assert secret is not None
    later = f.NOW + timedelta(hours=1)
    assert revoke_client(store_engine, client.client_id, later) is True
    assert authenticate_client(store_engine, client.client_id, secret) is None
    found = find_client(store_engine, client.client_id)
    assert found is not None
    assert found.revoked_at == later
    assert not found.active


# -- listing and revocation -----------------------------------------------------------------------
def test_clients_are_listed_oldest_first_and_by_org(store_engine: Engine) -> None:
    two_orgs(store_engine)
    second, _ = register(store_engine, org_id=A, now=f.NOW + timedelta(minutes=2))
    first, _ = register(store_engine, org_id=A, now=f.NOW)
    of_b, _ = register(store_engine, org_id=B, now=f.NOW + timedelta(minutes=1))
    revoke_client(store_engine, first.client_id, f.NOW + timedelta(minutes=3))
    revoked_first = find_client(store_engine, first.client_id)
    assert list_clients(store_engine, A) == [revoked_first, second]
    assert list_clients(store_engine, B) == [of_b]
    assert list_clients(store_engine) == [revoked_first, of_b, second]
    assert list_clients(store_engine, "00D000000000009AAA") == []


def test_clients_created_at_the_same_moment_are_listed_by_id(store_engine: Engine) -> None:
    two_orgs(store_engine)
    clients = [register(store_engine, now=f.NOW)[0] for _ in range(4)]
    ids = [client.client_id for client in list_clients(store_engine, A)]
    assert ids == sorted(client.client_id for client in clients)


def test_revoking_twice_or_an_unknown_client_answers_false(store_engine: Engine) -> None:
    two_orgs(store_engine)
    client, _ = register(store_engine, now=f.NOW)
    assert revoke_client(store_engine, client.client_id) is True
    first = find_client(store_engine, client.client_id)
    assert revoke_client(store_engine, client.client_id) is False
    assert find_client(store_engine, client.client_id) == first  # the first revocation stands
    assert revoke_client(store_engine, "dp_unknown") is False


def test_an_org_can_neither_see_nor_revoke_another_org_s_client(store_engine: Engine) -> None:
    two_orgs(store_engine)
    client, secret = register(store_engine, org_id=A)
    assert secret is not None
    assert find_client(store_engine, client.client_id, org_id=B) is None
    assert find_client(store_engine, client.client_id, org_id=A) == client
    assert revoke_client(store_engine, client.client_id, org_id=B) is False
    assert authenticate_client(store_engine, client.client_id, secret) == client
    assert revoke_client(store_engine, client.client_id, org_id=A) is True
