"""Connected orgs at run time: one Gateway per org, and the one lock that keeps a pass of an
org (the request-time hot pass, the scheduler's full pass and clock tick) from overlapping
another within this process; they run in different worker threads. The lock is in memory:
a `dealpulse sync` in another process beside a running `dealpulse serve` is not kept apart
from its passes (the job queue's per-org lock of DESIGN.md's scale-out step is); an
evaluation that collides with another process's on a unique index is run once more, then
reported in words (services.passes.evaluate_retrying).

Secrets never live in the database: JWT bearer needs only the org's private key file (the
multi-org path); the password, client-credentials and refresh-token flows take their secret
from the settings (`DEALPULSE_SF_PASSWORD`, `DEALPULSE_SF_CLIENT_SECRET`,
`DEALPULSE_SF_REFRESH_TOKEN`), which suits one org per deployment. They come in as a
`SalesforceSecrets` (api's Settings is one), so this layer never imports `api`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal, Protocol, cast

from pydantic import SecretStr
from sqlalchemy import Engine

from auth.at_rest import UndecryptableError
from auth.grants import purge_expired_grants
from auth.revocation import purge_expired_revocations
from auth.salesforce_tokens import salesforce_refresh_token
from auth.signing_keys import rotate_signing_key_if_due
from rules.time_zones import local_date, org_time_zone, seconds_until_midnight
from salesforce.gateway import Gateway, RetryPolicy
from salesforce.login import AuthFlow, OrgConnection
from salesforce.sync import PageHook
from services.alert_events import AlertBroker, LocalBroker
from services.evaluation import EvaluationReport
from services.passes import clock_tick, evaluate_retrying, pass_error, sync_pass
from services.refresh import RefreshResult
from store import idempotency, queries
from store.evaluation_state import evaluation_clock
from store.mirror import Mirror
from store.models import Org

logger = logging.getLogger(__name__)
# The evaluation clock runs this long after an org's midnight (TODAY() has moved for sure).
MIDNIGHT_MARGIN_SECONDS = 5.0


class SalesforceSecrets(Protocol):
    """The secrets of the non-JWT flows (empty: not configured), and the key that decrypts
    the users' Salesforce refresh tokens (auth.salesforce_tokens)."""

    @property
    def sf_client_secret(self) -> SecretStr: ...
    @property
    def sf_password(self) -> SecretStr: ...
    @property
    def sf_refresh_token(self) -> SecretStr: ...
    @property
    def secret_key(self) -> SecretStr: ...
    @property
    def signing_key_grace_seconds(self) -> int: ...
    @property
    def signing_key_rotation_seconds(self) -> int: ...


def _secret(value: SecretStr) -> str | None:
    return value.get_secret_value() or None


def connection_for(org: Org, secrets: SalesforceSecrets) -> OrgConnection:
    return OrgConnection(
        instance_url=org.instance_url,
        api_version=org.api_version,
        auth_flow=cast(AuthFlow, org.auth_flow),
        client_id=org.client_id,
        client_secret=_secret(secrets.sf_client_secret),
        username=org.username,
        password=_secret(secrets.sf_password),
        private_key_file=org.private_key_file,
        refresh_token=_secret(secrets.sf_refresh_token),
        is_devorg=org.is_devorg,
    )


class UnknownOrg(LookupError):
    pass


class OrgRefresher:
    """Runs the passes of `services.passes` on connected orgs, one at a time per org:
    `hot(org_id)` for requests, `evaluate(org_id, ...)` after a write dealpulse makes,
    `full_all()`, `tick_all()` and `evaluate_all()` for the scheduler."""

    def __init__(
        self,
        engine: Engine,
        secrets: SalesforceSecrets,
        alert_events: AlertBroker | None = None,
        *,
        request_timeout: float = RetryPolicy.timeout,
    ) -> None:
        """`request_timeout`: seconds one Salesforce HTTP request may take."""
        self._engine = engine
        self._retry = RetryPolicy(timeout=request_timeout)
        # Where every pass run here publishes the alert changes it stored (live updates).
        self.alert_events: AlertBroker = alert_events or LocalBroker()
        self._secrets = secrets
        self._gateways: dict[str, Gateway] = {}
        # The users' own, by (org, user): with the digest of the refresh token it was built
        # from, so that a new login replaces (and closes) it.
        self._user_gateways: dict[tuple[str, str], tuple[str, Gateway]] = {}
        self._registry_lock = threading.Lock()
        self._pass_locks: dict[str, threading.Lock] = {}

    def gateway(self, org_id: str) -> Gateway:
        with self._registry_lock:
            if org_id not in self._gateways:
                org = queries.org(self._engine, org_id)
                if org is None:
                    raise UnknownOrg(org_id)
                self._gateways[org_id] = Gateway(
                    connection_for(org, self._secrets), retry=self._retry
                )
            return self._gateways[org_id]

    def user_gateway(self, org_id: str, user_id: str) -> Gateway | None:
        """A gateway that acts in Salesforce as the user (the refresh token dealpulse holds
        for it since it logged in through dealpulse: Salesforce's own permissions, validation
        and audit apply, and the change is the user's), or None when dealpulse holds none
        (writes then go through the org's integration connection). Blocking: one read."""
        try:
            token = salesforce_refresh_token(
                self._engine, self._secrets, org_id=org_id, user_id=user_id
            )
        except UndecryptableError:
            # Stored under another DEALPULSE_SECRET_KEY: the user must log in again; until
            # then the org's connection writes (the audit says which).
            logger.warning("a Salesforce token of a user of org %s cannot be decrypted", org_id)
            return None
        if token is None:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self._registry_lock:
            cached = self._user_gateways.get((org_id, user_id))
            if cached is not None and cached[0] == digest:
                return cached[1]
            org = queries.org(self._engine, org_id)
            if org is None:
                raise UnknownOrg(org_id)
            connection = replace(
                connection_for(org, self._secrets), auth_flow="refresh_token",
                refresh_token=token, username=None, private_key_file=None,
            )  # fmt: skip
            gateway = Gateway(connection, retry=self._retry)
            self._user_gateways[(org_id, user_id)] = (digest, gateway)
        if cached is not None:
            cached[1].close()  # the session of the user's previous login
        return gateway

    def _pass_lock(self, org_id: str) -> threading.Lock:
        """The lock that keeps the org's passes from overlapping (created once, under the
        registry lock)."""
        with self._registry_lock:
            return self._pass_locks.setdefault(org_id, threading.Lock())

    def refresh(
        self, org_id: str, kind: Literal["hot", "full"], on_page: PageHook | None = None
    ) -> RefreshResult:
        gateway = self.gateway(org_id)
        with self._pass_lock(org_id):
            return sync_pass(
                self._engine, gateway, org_id, hot=kind == "hot", on_page=on_page,
                events=self.alert_events,
            )  # fmt: skip

    def hot(self, org_id: str) -> RefreshResult | None:
        """The request-time pass: one API call when little changed (see HOT_OBJECTS). None
        when, while it waited for the org's pass lock, a pass that started after it was asked
        for completed (a background full pass, say): the mirror is as fresh as it would make
        it, so no API call is spent."""
        asked_at = datetime.now(UTC)
        gateway = self.gateway(org_id)
        with self._pass_lock(org_id):
            synced_at = queries.org_synced_at(self._engine, org_id)
            if synced_at is not None and synced_at >= asked_at:
                return None
            return sync_pass(self._engine, gateway, org_id, hot=True, events=self.alert_events)

    def tick(self, org_id: str) -> int:
        """The clock tick of one org (no Salesforce call); how many opportunities got facts."""
        with self._pass_lock(org_id):  # no gateway: a tick makes no Salesforce call
            return clock_tick(self._engine, org_id, events=self.alert_events)

    def evaluate(
        self,
        org_id: str,
        *,
        opportunity_ids: Collection[str] | None = None,
        rule_ids: Collection[str] | None = None,
        now: datetime | None = None,
    ) -> EvaluationReport:
        """One evaluation pass of the org (see services.evaluation.evaluate_org) under its
        pass lock: what a mutation runs after its write (on the records or rules it touched),
        the evaluation clock and `dealpulse evaluate`. No Salesforce call. The lock keeps
        this process's passes apart only: a pass that collides with another process's is run
        once more, then raises PassCollision (services.passes.evaluate_retrying)."""
        with self._pass_lock(org_id):
            return evaluate_retrying(
                self._engine,
                org_id,
                opportunity_ids=opportunity_ids,
                rule_ids=rule_ids,
                now=now,
                events=self.alert_events,
            )

    def evaluate_on_the_clock(self, org_id: str, now: datetime | None = None) -> None:
        """The evaluation clock of one org: every open opportunity evaluated; once the org's
        calendar day has moved since its last full pass (just after its midnight), the clock
        tick instead, so the stored facts follow the new day too."""
        now = now or datetime.now(UTC)
        last_date, zone = evaluation_clock(self._engine, org_id)
        if last_date is not None and local_date(now, org_time_zone(zone)) != last_date:
            with self._pass_lock(org_id):
                clock_tick(self._engine, org_id, now=now, events=self.alert_events)
            return
        self.evaluate(org_id, now=now)

    def evaluate_all(self) -> list[str]:
        """The evaluation clock of every connected org (the scheduler's evaluation job);
        returns the ids of the orgs that failed, as `full_all`."""
        return self._each_org("evaluation", self.evaluate_on_the_clock)

    def next_evaluation_delay(self, interval_seconds: float, now: datetime | None = None) -> float:
        """Seconds until the evaluation clock should run again: `interval_seconds`, or less
        when some connected org's midnight comes first (then just after it)."""
        now = now or datetime.now(UTC)
        delays = [interval_seconds]
        for org in queries.all_orgs(self._engine):
            zone = org_time_zone(Mirror(self._engine, org.id).time_zone())
            delays.append(seconds_until_midnight(now, zone) + MIDNIGHT_MARGIN_SECONDS)
        return min(delays)

    def full_all(self) -> list[str]:
        """A full incremental pass of every connected org (the scheduler's sync job). One org
        failing does not stop the others; returns the ids of the orgs that failed (each
        failure is also in the org's SyncState)."""
        return self._each_org("background sync", lambda org_id: self.refresh(org_id, "full"))

    def tick_all(self) -> list[str]:
        """The clock tick of every connected org (the scheduler's tick job); returns the ids
        of the orgs that failed, as `full_all`."""
        return self._each_org("clock tick", self.tick)

    def purge_expired_oauth(self) -> int:
        """Delete what OAuth keeps past its use (the scheduler's purge job): the deny-list
        rows of revoked access tokens that have expired anyway, and expired codes, refresh
        tokens and issued-token rows (auth.grants.purge_expired_grants); how many rows."""
        now = datetime.now(UTC)
        return purge_expired_revocations(self._engine, now) + purge_expired_grants(
            self._engine, now
        )

    def rotate_signing_key_if_due(self) -> str | None:
        """Rotate the access tokens' signing key once it is signing_key_rotation_seconds old
        (the scheduler's rotation job): the new kid, or None when not due."""
        return rotate_signing_key_if_due(
            self._engine, self._secrets, datetime.now(UTC),
            self._secrets.signing_key_rotation_seconds,
        )  # fmt: skip

    def purge_expired_keys(self) -> int:
        """Delete the idempotency keys expired now, every org's (the scheduler's purge job);
        how many."""
        return idempotency.purge_expired(self._engine, datetime.now(UTC))

    def _each_org(self, what: str, run: Callable[[str], object]) -> list[str]:
        failed = []
        for org in queries.all_orgs(self._engine):
            try:
                run(org.id)
            except Exception as error:
                failed.append(org.id)
                logger.warning("%s of org %s failed: %s", what, org.id, pass_error(error))
        return failed

    def close(self) -> None:
        for gateway in [*self._gateways.values(), *(g for _, g in self._user_gateways.values())]:
            gateway.close()
