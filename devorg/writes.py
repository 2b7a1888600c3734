"""Write semantics shared by the single-record and sObject Collections endpoints.

Every record is saved in its own SAVEPOINT: a write that fails changes nothing (the connection
is in autocommit mode, so each SAVEPOINT outside a transaction is one). Collections wrap the
whole batch in an outer SAVEPOINT so `allOrNone` can roll every record back.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from devorg import catalog
from devorg.catalog import SObject
from devorg.db import OrgDatabase
from devorg.ids import normalize_id
from devorg.usage import count_write
from devorg.write_body import ErrorItem, JsonObject, WriteError, write_error
from devorg.write_effects import (
    apply_create_defaults,
    derive_activity,
    derive_opportunity,
    next_modstamp,
    refresh_last_activity,
    run_validation_rules,
    stamp_audit,
    write_field_history,
    write_opportunity_history,
)
from devorg.write_fields import check_required, check_values, check_writable, read_fields

_SAVEPOINTS = itertools.count(1)
ROLLED_BACK = ErrorItem(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)
# Children soft-deleted with their parent, as Salesforce's cascade delete does.
_CASCADES: dict[str, tuple[tuple[str, str], ...]] = {
    "Account": (("Opportunity", "AccountId"), ("Task", "WhatId"), ("Event", "WhatId")),
    "Opportunity": (("OpportunityCompetitor", "OpportunityId"), ("Task", "WhatId"),
                    ("Event", "WhatId")),
}  # fmt: skip


@contextmanager
def savepoint(db: OrgDatabase) -> Iterator[None]:
    """Everything inside commits together or not at all."""
    name = f"sp{next(_SAVEPOINTS)}"
    db.conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        db.conn.execute(f"ROLLBACK TO {name}")
        db.conn.execute(f"RELEASE {name}")
        raise
    db.conn.execute(f"RELEASE {name}")


def _refuse_operation(sobj: SObject, verb: str) -> WriteError:
    return write_error("INVALID_TYPE_FOR_OPERATION", f"entity type cannot be {verb}: {sobj.label}")


def locate(db: OrgDatabase, sobj: SObject, raw_id: str) -> str:
    """The 18-character id of a live record of `sobj`, or the error Salesforce gives.

    404 NOT_FOUND when no such record exists, 404 ENTITY_IS_DELETED when it is in the recycle bin.
    """
    full = normalize_id(raw_id)
    if full is None or full[:3] != sobj.key_prefix:
        raise WriteError(
            ErrorItem("NOT_FOUND", "The requested resource does not exist"), status=404
        )
    row = db.get(sobj, full, include_deleted=True)
    if row is None:
        raise WriteError(
            ErrorItem("NOT_FOUND", "The requested resource does not exist"), status=404
        )
    if row.get("IsDeleted"):
        raise WriteError(ErrorItem("ENTITY_IS_DELETED", "entity is deleted"), status=404)
    return full


@dataclass(frozen=True)
class SaveResult:
    id: str | None
    errors: tuple[ErrorItem, ...] = ()

    @property
    def success(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, object]:
        result: dict[str, object] = {}
        if self.id is not None:
            result["id"] = self.id
        result["success"] = self.success
        result["errors"] = [e.as_save_result() for e in self.errors]
        return result


class Writer:
    """Creates, updates and deletes records as one user (the session's)."""

    def __init__(self, db: OrgDatabase, user_id: str) -> None:
        self.db = db
        self.user_id = user_id

    # -- create -----------------------------------------------------------------------------
    def create(self, sobj: SObject, body: JsonObject) -> str:
        if not sobj.createable:
            raise _refuse_operation(sobj, "inserted")
        values = read_fields(sobj, body, creating=True)
        check_writable(sobj, values, creating=True)
        checked = check_values(self.db, sobj, values)
        with savepoint(self.db):
            row: dict[str, Any] = {"Id": self.db.new_id(sobj), **checked}
            apply_create_defaults(sobj, row, self.user_id)
            now = next_modstamp(self.db)
            self._derive(sobj, {}, row, checked, now, new=True)
            check_required(sobj, row, None)
            stamp_audit(sobj, row, self.user_id, now, new=True)
            run_validation_rules(self.db, sobj, row)
            self.db.insert(sobj, row)
            self._after_save(sobj, None, row, now)
            count_write(self.db)
        return str(row["Id"])

    # -- update -----------------------------------------------------------------------------
    def update(
        self, sobj: SObject, record_id: str, body: JsonObject, *, skip: tuple[str, ...] = ()
    ) -> None:
        if not sobj.updateable:
            raise _refuse_operation(sobj, "updated")
        values = read_fields(sobj, body, creating=False, skip=skip)
        given_id = values.pop("Id", None)
        if given_id is not None and normalize_id(str(given_id)) != record_id:
            raise write_error(
                "INVALID_ID_FIELD", "The Id in the body does not match the URL", ["Id"]
            )
        check_writable(sobj, values, creating=False)
        checked = check_values(self.db, sobj, values)
        with savepoint(self.db):
            before = self.db.get(sobj, record_id)
            if before is None:
                raise write_error("ENTITY_IS_DELETED", "entity is deleted")
            row = {**before, **checked}
            now = next_modstamp(self.db)
            self._derive(sobj, before, row, checked, now, new=False)
            check_required(sobj, row, set(checked))
            stamp_audit(sobj, row, self.user_id, now, new=False)
            run_validation_rules(self.db, sobj, row, before)
            self.db.update(sobj, record_id, {k: v for k, v in row.items() if before.get(k) != v})
            self._after_save(sobj, before, row, now)
            count_write(self.db)

    # -- delete -----------------------------------------------------------------------------
    def delete(self, sobj: SObject, record_id: str) -> None:
        if not sobj.deletable:
            raise _refuse_operation(sobj, "deleted")
        with savepoint(self.db):
            row = self.db.get(sobj, record_id)
            if row is None:
                raise write_error("ENTITY_IS_DELETED", "entity is deleted")
            now = next_modstamp(self.db)
            self._soft_delete(sobj, record_id, now)
            if sobj.name in ("Task", "Event"):
                refresh_last_activity(self.db, row.get("WhatId"), now)
            count_write(self.db)

    def _soft_delete(self, sobj: SObject, record_id: str, now: str) -> None:
        self.db.update(
            sobj,
            record_id,
            {"IsDeleted": 1, "_DeletedDate": now, "SystemModstamp": now,
             "LastModifiedDate": now, "LastModifiedById": self.user_id},
        )  # fmt: skip
        for child_name, parent_field in _CASCADES.get(sobj.name, ()):
            child = catalog.sobject(child_name)
            assert child is not None
            ids = [
                r[0]
                for r in self.db.conn.execute(
                    f'SELECT "Id" FROM "{child.name}" WHERE "{parent_field}" = ? '
                    'AND "IsDeleted" = 0',
                    [record_id],
                )
            ]
            for child_id in ids:
                self._soft_delete(child, child_id, now)

    # -- shared -----------------------------------------------------------------------------
    def _derive(
        self, sobj: SObject, before: dict[str, Any], row: dict[str, Any],
        changes: dict[str, Any], now: str, *, new: bool,
    ) -> None:  # fmt: skip
        if sobj.name == "Opportunity":
            stage_changed = "StageName" in changes and (
                new or before.get("StageName") != row.get("StageName")
            )
            derive_opportunity(self.db, row, changes, now, stage_changed=stage_changed, new=new)
        elif sobj.name in ("Task", "Event"):
            derive_activity(sobj, row)

    def _after_save(
        self, sobj: SObject, before: dict[str, Any] | None, after: dict[str, Any], now: str
    ) -> None:
        if sobj.name == "Opportunity":
            write_opportunity_history(self.db, before, after, self.user_id, now)
            write_field_history(self.db, before, after, self.user_id, now)
        elif sobj.name in ("Task", "Event"):
            refresh_last_activity(self.db, after.get("WhatId"), now)
            if before is not None and before.get("WhatId") != after.get("WhatId"):
                refresh_last_activity(self.db, before.get("WhatId"), now)


# -- sObject Collections ----------------------------------------------------------------------
MAX_COLLECTION = 200


def _collection_records(body: Any) -> tuple[list[Any], bool]:
    if not isinstance(body, JsonObject):
        raise write_error(
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of SObjectCollection from this JSON value or request may "
            "be missing a required field at [line:1, column:1]",
        )
    records = body.values.get("records")
    all_or_none = body.values.get("allOrNone", False)
    if not isinstance(records, list) or not isinstance(all_or_none, bool):
        raise write_error(
            "JSON_PARSER_ERROR", "The request must have a records list and a boolean allOrNone."
        )
    if len(records) > MAX_COLLECTION:
        raise write_error(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COLLECTION} records into this "
            "call",
        )
    return records, all_or_none


def _record_type(record: Any) -> tuple[SObject, JsonObject]:
    """The sObject a collection record names in attributes.type (400 INVALID_TYPE if none)."""
    if not isinstance(record, JsonObject):
        raise write_error("INVALID_TYPE", "Must send a concrete entity type.")
    attributes = record.values.get("attributes")
    type_name = attributes.values.get("type") if isinstance(attributes, JsonObject) else None
    if not isinstance(type_name, str) or not type_name:
        raise write_error("INVALID_TYPE", "Must send a concrete entity type.")
    sobj = catalog.sobject(type_name)
    if sobj is None:
        raise write_error("INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
    return sobj, record


def _record_id(record: JsonObject) -> str | None:
    for key, value in record.values.items():
        if key.lower() == "id" and isinstance(value, str):
            return value
    return None


def save_collection(writer: Writer, body: Any, *, creating: bool) -> list[SaveResult]:
    """POST (create) or PATCH (update) of up to 200 records, each with its own SaveResult."""
    records, all_or_none = _collection_records(body)
    typed = [_record_type(r) for r in records]
    results: list[SaveResult] = []
    try:
        with savepoint(writer.db):
            for sobj, record in typed:
                results.append(_save_one(writer, sobj, record, creating=creating))
            if all_or_none and not all(r.success for r in results):
                raise _RollBack
    except _RollBack:
        results = [
            r if not r.success else SaveResult(None if creating else r.id, (ROLLED_BACK,))
            for r in results
        ]
    return results


class _RollBack(Exception):
    pass


def _save_one(writer: Writer, sobj: SObject, record: JsonObject, *, creating: bool) -> SaveResult:
    if creating:
        try:
            return SaveResult(writer.create(sobj, record))
        except WriteError as exc:
            return SaveResult(None, exc.items)
    raw_id = _record_id(record)
    if raw_id is None:
        return SaveResult(
            None, (ErrorItem("MISSING_ARGUMENT", "Id not specified in an update call"),)
        )
    try:
        record_id = locate_for_collection(writer.db, sobj, raw_id)
        writer.update(sobj, record_id, record, skip=("id",))
        return SaveResult(record_id)
    except WriteError as exc:
        return SaveResult(normalize_id(raw_id) or raw_id, exc.items)


def locate_for_collection(db: OrgDatabase, sobj: SObject, raw_id: str) -> str:
    """Like `locate`, with the per-record errors collections report instead of 404s."""
    full = normalize_id(raw_id)
    if full is None:
        raise write_error(
            "MALFORMED_ID", f"Record ID: id value of incorrect type: {raw_id}", ["Id"]
        )
    if full[:3] != sobj.key_prefix:
        raise write_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    row = db.get(sobj, full, include_deleted=True)
    if row is None:
        raise write_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    if row.get("IsDeleted"):
        raise write_error("ENTITY_IS_DELETED", "entity is deleted")
    return full


def delete_collection(writer: Writer, raw_ids: list[str], *, all_or_none: bool) -> list[SaveResult]:
    """DELETE composite/sobjects?ids=...: each id's object is known from its key prefix."""
    if len(raw_ids) > MAX_COLLECTION:
        raise write_error(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {MAX_COLLECTION} records into this "
            "call",
        )
    results: list[SaveResult] = []
    try:
        with savepoint(writer.db):
            for raw_id in raw_ids:
                sobj = catalog.sobject_for_id(raw_id)
                try:
                    if sobj is None or sobj.tooling:
                        raise write_error("MALFORMED_ID", f"malformed id {raw_id}")
                    record_id = locate_for_collection(writer.db, sobj, raw_id)
                    writer.delete(sobj, record_id)
                    results.append(SaveResult(record_id))
                except WriteError as exc:
                    results.append(SaveResult(normalize_id(raw_id) or raw_id, exc.items))
            if all_or_none and not all(r.success for r in results):
                raise _RollBack
    except _RollBack:
        results = [r if not r.success else SaveResult(r.id, (ROLLED_BACK,)) for r in results]
    return results
