"""Run formulas through formulon (npm) in one Node process: see runner.js for the protocol.

Installed from the committed lock by tests.node_packages. `to_identifiers` turns a catalog +
record into formulon's identifier objects; `from_formulon` turns formulon's answer into a
dealpulse-shaped value for comparison.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NUMERIC = {"currency", "number", "double", "int", "integer", "percent"}
TEXTUAL = {"string", "textarea", "text", "email", "phone", "url", "id", "reference"}


def run(cache_dir: Path, cases: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    payload = json.dumps({"now": now.isoformat().replace("+00:00", "Z"), "cases": cases})
    done = subprocess.run(
        ["node", str(cache_dir / "runner.js")],
        input=payload,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=cache_dir,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def to_identifiers(fields: dict[str, str], record: dict[str, Any]) -> dict[str, Any]:
    identifiers: dict[str, Any] = {}
    for name, kind in fields.items():
        value = record.get(name)
        if kind in NUMERIC:
            if value is not None and kind == "percent":
                value = float(Decimal(str(value)) / 100)  # formulas see percents as fractions
            elif value is not None:
                value = float(value)
            identifiers[name] = {
                "dataType": "number",
                "value": value,
                "options": {"length": 18, "scale": 8},
            }
        elif kind in TEXTUAL:
            identifiers[name] = {"dataType": "text", "value": value, "options": {"length": 255}}
        elif kind == "picklist":
            identifiers[name] = {"dataType": "picklist", "value": value, "options": {"values": []}}
        elif kind == "multipicklist":
            items = None if value is None else value.split(";")
            identifiers[name] = {"dataType": "multipicklist", "value": items, "options": {}}
        elif kind in ("boolean", "checkbox"):
            identifiers[name] = {"dataType": "checkbox", "value": value, "options": {}}
        else:  # date, datetime
            identifiers[name] = {"dataType": kind, "value": value, "options": {}}
    return identifiers


def from_formulon(result: dict[str, Any]) -> Any:
    """formulon's literal as dealpulse would show it; errors and crashes as ("error", type)."""
    if result["type"] != "literal":
        return ("error", result.get("errorType") or result["type"])
    kind, value = result["dataType"], result["value"]
    if value is None or kind == "null":
        return None
    if kind == "date":
        return date.fromisoformat(value[:10])
    if kind == "datetime":
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    if kind == "number":
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if kind == "text" and value == "":
        return None
    return value
