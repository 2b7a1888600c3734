"""What Salesforce does around a saved record: audit fields, defaults, fields derived from the
stage, Opportunity history and field history, activity bookkeeping, validation rules.

Records are handled as stored rows (column → stored value: dates as ISO text, checkboxes 0/1).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from devorg import catalog, validation
from devorg.catalog import SObject
from devorg.db import OrgDatabase, parse_sf_datetime, sf_datetime, utcnow
from devorg.organization import org_today, time_zone_key
from devorg.write_body import ErrorItem, WriteError

# Opportunity fields whose change writes an OpportunityHistory row (as in Salesforce).
HISTORY_TRIGGERS = ("StageName", "Amount", "CloseDate", "Probability", "ForecastCategory")
_CLOSED_TASK_STATUSES = ("Completed",)
# OpportunityFieldHistory.DataType for each describe type.
_HISTORY_DATA_TYPES = {
    "string": "Text", "textarea": "TextArea", "currency": "Currency", "percent": "Percent",
    "double": "Double", "int": "Double", "date": "Date", "datetime": "DateTime",
    "boolean": "Boolean", "picklist": "DynamicEnum", "reference": "EntityId",
}  # fmt: skip


class ModstampClock:
    """Hands out SystemModstamps that strictly increase (ms precision), even within one ms."""

    def __init__(self, db: OrgDatabase) -> None:
        latest = ""
        for sobj in catalog.DATA_OBJECTS:
            if sobj.has_system_modstamp:
                row = db.conn.execute(f'SELECT MAX("SystemModstamp") FROM "{sobj.name}"')
                found = row.fetchone()[0]
                latest = max(latest, found or "")
        self.last: datetime | None = parse_sf_datetime(latest) if latest else None

    def next(self) -> str:
        now = utcnow()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self.last is not None and now <= self.last:
            now = self.last + timedelta(milliseconds=1)
        self.last = now
        return sf_datetime(now)


_CLOCKS: weakref.WeakKeyDictionary[OrgDatabase, ModstampClock] = weakref.WeakKeyDictionary()


def next_modstamp(db: OrgDatabase) -> str:
    clock = _CLOCKS.get(db)
    if clock is None:
        clock = _CLOCKS[db] = ModstampClock(db)
    return clock.next()


def stamp_audit(sobj: SObject, row: dict[str, Any], user_id: str, now: str, *, new: bool) -> None:
    """CreatedDate/CreatedById on create; LastModifiedDate/ById and SystemModstamp always."""
    if new:
        row["CreatedDate"] = now
        row["CreatedById"] = user_id
        if sobj.field("IsDeleted"):
            row["IsDeleted"] = 0
    if sobj.field("LastModifiedDate"):
        row["LastModifiedDate"] = now
        row["LastModifiedById"] = user_id
    if sobj.field("SystemModstamp"):
        row["SystemModstamp"] = now


def apply_create_defaults(sobj: SObject, row: dict[str, Any], user_id: str) -> None:
    """Values Salesforce fills in on create when the request leaves them out."""
    if sobj.field("OwnerId") and not row.get("OwnerId"):
        row["OwnerId"] = user_id
    for fld in sobj.fields:
        if fld.type == "boolean" and fld.name not in row and (fld.createable or fld.updateable):
            row[fld.name] = 1 if fld.name == "IsActive" else 0
    if sobj.name == "Task":
        row["Status"] = row.get("Status") or "Not Started"
        row["Priority"] = row.get("Priority") or "Normal"


def stage_info(db: OrgDatabase, stage: str) -> tuple[bool, bool, float, str] | None:
    """(IsClosed, IsWon, DefaultProbability, ForecastCategoryName) of an OpportunityStage."""
    found = db.conn.execute(
        'SELECT "IsClosed", "IsWon", "DefaultProbability", "ForecastCategoryName" '
        'FROM "OpportunityStage" WHERE "ApiName" = ? OR "MasterLabel" = ? LIMIT 1',
        [stage, stage],
    ).fetchone()
    if found is not None:
        return bool(found[0]), bool(found[1]), float(found[2] or 0), str(found[3])
    for name, _order, closed, won, probability, category in catalog.STAGES:
        if name == stage:
            return closed, won, float(probability), category
    return None


def derive_opportunity(
    db: OrgDatabase, row: dict[str, Any], changes: Mapping[str, Any], now: str, *,
    stage_changed: bool, new: bool,
) -> None:  # fmt: skip
    """Fields Salesforce derives from StageName and ForecastCategoryName.

    A new stage sets Probability (unless the same request sets it), IsClosed, IsWon,
    ForecastCategoryName (unless set too) and LastStageChangeDate.
    """
    if stage_changed and row.get("StageName"):
        info = stage_info(db, row["StageName"])
        if info is not None:
            closed, won, probability, category = info
            row["IsClosed"], row["IsWon"] = int(closed), int(won)
            if "Probability" not in changes:
                row["Probability"] = probability
            if "ForecastCategoryName" not in changes or not changes["ForecastCategoryName"]:
                row["ForecastCategoryName"] = category
        row["LastStageChangeDate"] = now
    if row.get("ForecastCategoryName"):
        row["ForecastCategory"] = catalog.FORECAST_CATEGORIES.get(
            row["ForecastCategoryName"], row.get("ForecastCategory")
        )
    if new:
        row.setdefault("IsClosed", 0)
        row.setdefault("IsWon", 0)


def expected_revenue(row: Mapping[str, Any]) -> float | None:
    amount, probability = row.get("Amount"), row.get("Probability")
    if amount is None or probability is None:
        return None
    return round(float(amount) * float(probability) / 100, 2)


def write_opportunity_history(
    db: OrgDatabase, before: Mapping[str, Any] | None, after: Mapping[str, Any],
    user_id: str, now: str,
) -> None:  # fmt: skip
    """One OpportunityHistory row on create and whenever a trigger field changes."""
    if before is not None and all(before.get(f) == after.get(f) for f in HISTORY_TRIGGERS):
        return
    sobj = catalog.OPPORTUNITY_HISTORY
    prev = before or {}
    db.insert(
        sobj,
        {
            "Id": db.new_id(sobj), "IsDeleted": 0, "CreatedDate": now, "CreatedById": user_id,
            "SystemModstamp": now, "OpportunityId": after["Id"],
            "StageName": after.get("StageName"), "Amount": after.get("Amount"),
            "ExpectedRevenue": expected_revenue(after), "CloseDate": after.get("CloseDate"),
            "Probability": after.get("Probability"),
            "ForecastCategory": after.get("ForecastCategory"),
            "FromForecastCategory": prev.get("ForecastCategory"),
            "FromOpportunityStageName": prev.get("StageName"),
            "PrevAmount": prev.get("Amount"), "PrevCloseDate": prev.get("CloseDate"),
        },
    )  # fmt: skip


def history_text(value: Any) -> str | None:
    """A field value as OpportunityFieldHistory keeps it (OldValue/NewValue are text here)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_field_history(
    db: OrgDatabase, before: Mapping[str, Any] | None, after: Mapping[str, Any],
    user_id: str, now: str,
) -> None:  # fmt: skip
    """OpportunityFieldHistory: 'created' on insert, one row per changed tracked field."""
    sobj = catalog.OPPORTUNITY_FIELD_HISTORY
    base = {"IsDeleted": 0, "CreatedDate": now, "CreatedById": user_id,
            "OpportunityId": after["Id"]}  # fmt: skip
    if before is None:
        db.insert(sobj, {**base, "Id": db.new_id(sobj), "Field": "created", "DataType": "Text",
                         "OldValue": None, "NewValue": None})  # fmt: skip
        return
    for name in catalog.TRACKED_FIELD_NAMES:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        fld = catalog.OPPORTUNITY.field(name)
        assert fld is not None
        if fld.type == "boolean":
            old, new = ("true" if old else "false"), ("true" if new else "false")
        db.insert(
            sobj,
            {**base, "Id": db.new_id(sobj), "Field": name,
             "DataType": _HISTORY_DATA_TYPES.get(fld.type, "Text"),
             "OldValue": history_text(old), "NewValue": history_text(new)},
        )  # fmt: skip


def derive_activity(sobj: SObject, row: dict[str, Any]) -> None:
    """Task.IsClosed follows Status; Event.ActivityDate is the day of StartDateTime."""
    if sobj.name == "Task":
        row["IsClosed"] = int(row.get("Status") in _CLOSED_TASK_STATUSES)
    elif sobj.name == "Event":
        start = row.get("StartDateTime")
        row["ActivityDate"] = parse_sf_datetime(start).date().isoformat() if start else None
        minutes = row.get("DurationInMinutes")
        if start and not row.get("EndDateTime") and minutes is not None:
            row["EndDateTime"] = sf_datetime(parse_sf_datetime(start) + timedelta(minutes=minutes))
        elif start and row.get("EndDateTime") and minutes is None:
            delta = parse_sf_datetime(row["EndDateTime"]) - parse_sf_datetime(start)
            row["DurationInMinutes"] = int(delta.total_seconds() // 60)


def refresh_last_activity(db: OrgDatabase, opportunity_id: str | None, now: str) -> None:
    """Opportunity.LastActivityDate: the latest due date of a closed task or of a past event.

    Salesforce documents it as the most recent of those two; open tasks and future events do
    not count. SystemModstamp moves with it (a system change), LastModifiedDate does not.
    """
    if not opportunity_id or not opportunity_id.startswith(catalog.OPPORTUNITY.key_prefix):
        return
    today = org_today(db).isoformat()  # a past event: one before today where the org is
    latest = db.conn.execute(
        'SELECT MAX(d) FROM (SELECT MAX("ActivityDate") AS d FROM "Task" WHERE "WhatId" = ? '
        'AND "IsDeleted" = 0 AND "IsClosed" = 1 UNION ALL SELECT MAX("ActivityDate") FROM '
        '"Event" WHERE "WhatId" = ? AND "IsDeleted" = 0 AND "ActivityDate" <= ?)',
        [opportunity_id, opportunity_id, today],
    ).fetchone()[0]
    current = db.get(catalog.OPPORTUNITY, opportunity_id)
    if current is not None and current.get("LastActivityDate") != latest:
        db.update(
            catalog.OPPORTUNITY, opportunity_id,
            {"LastActivityDate": latest, "SystemModstamp": now},
        )  # fmt: skip


def active_rules(db: OrgDatabase) -> list[validation.ValidationRuleDef]:
    rows = db.conn.execute(
        'SELECT "ValidationName", "Description", "_Formula", "ErrorMessage", "ErrorDisplayField" '
        'FROM "ValidationRule" WHERE "Active" = 1 AND "_Formula" IS NOT NULL'
    )
    return [validation.ValidationRuleDef(*row) for row in rows]


def run_validation_rules(
    db: OrgDatabase,
    sobj: SObject,
    row: Mapping[str, Any],
    before: Mapping[str, Any] | None = None,
) -> None:
    """The org's active validation rules on the merged record, in the org's time zone (its
    TimeZoneSidKey: TODAY() is the date there, as for Salesforce's running user); `before` is
    the stored row of an update (PRIORVALUE reads it). All failures are reported."""
    if sobj.name != "Opportunity":
        return
    zone = time_zone_key(db)
    failing = validation.failing_rules(
        active_rules(db), row, utcnow(), time_zone=zone, before=before
    )
    if failing:
        raise WriteError(
            *(
                ErrorItem(
                    "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    rule.message,
                    (rule.display_field,) if rule.display_field else (),
                )
                for rule in failing
            )
        )
