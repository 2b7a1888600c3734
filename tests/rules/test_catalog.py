"""Rules see the org's describe fields and the derived facts, with the facts' values at `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from rules.catalog import FACT_FIELDS, RELATED_FIELDS, RELATIONSHIPS, related_types, rule_catalog
from rules.fact_registry import Moment, fact_values
from rules.formula import compile_formula
from tests.devorg_server import RunningDevorg

NOW = datetime(2026, 6, 15, 14, 30, tzinfo=UTC)


def test_the_devorg_describe_and_the_facts_make_a_catalog_rules_compile_against(
    devorg: RunningDevorg,
) -> None:
    catalog = rule_catalog(devorg.sf().Opportunity.describe())
    assert catalog["Competitor__c"] == "picklist"
    assert catalog["Next_Meeting_Date__c"] == "date"
    assert catalog["DaysInStage"] == "number"
    stuck = compile_formula(
        'AND(DaysInStage > 30, StageNumber >= 3, ISPICKVAL(Competitor__c, "Acme Corp"), '
        "Amount > 100000)",
        fields=catalog,
    )
    assert stuck.references == {"DaysInStage", "StageNumber", "Competitor__c", "Amount"}
    record = {"Amount": 250000, "Competitor__c": "Acme Corp"} | fact_values(
        {"stage_entered_at": datetime(2026, 4, 1, tzinfo=UTC), "stage_number": 4,
         "close_date_push_count": 0, "amount_change_since_creation": None,
         "last_activity_date": None, "next_meeting_date": None},
        created_date=datetime(2026, 1, 10, tzinfo=UTC), moment=Moment(NOW),
    )  # fmt: skip
    assert stuck.evaluate(record, now=NOW) is True


def test_fact_values_are_computed_at_now_and_blank_when_unknown() -> None:
    values = fact_values(
        {"stage_entered_at": datetime(2026, 6, 1, 9, tzinfo=UTC), "stage_number": None,
         "close_date_push_count": 2, "amount_change_since_creation": Decimal("-5000.00"),
         "last_activity_date": date(2026, 6, 5), "next_meeting_date": date(2026, 6, 20)},
        created_date=None, moment=Moment(NOW),
    )  # fmt: skip
    assert set(values) == set(FACT_FIELDS)
    assert values["DaysInStage"] == 14
    assert values["DaysSinceLastActivity"] == 10
    assert values["AgeInDays"] is None
    assert values["StageNumber"] is None


def test_unreadable_field_types_are_left_out() -> None:
    describe = {"fields": [{"name": "Amount", "type": "currency"}, {"name": "X", "type": "base64"}]}
    assert rule_catalog(describe) == {"Amount": "currency", **RELATED_FIELDS, **FACT_FIELDS}


def test_related_fields_are_typed_as_the_org_describes_them(devorg: RunningDevorg) -> None:
    sf = devorg.sf()
    describes = {name: getattr(sf, name).describe() for name in set(RELATIONSHIPS.values())}
    # The mirrored types are what the describes say: with or without them, the same catalog.
    assert related_types(describes) == RELATED_FIELDS
    catalog = rule_catalog(sf.Opportunity.describe())
    assert catalog["Account.Industry"] == "picklist"
    assert catalog["Owner.UserRole.Name"] == "string"
    rule = compile_formula(
        'AND(ISPICKVAL(Account.Type, "Prospect"), Account.NumberOfEmployees > 100, '
        'Owner.IsActive, CONTAINS(Owner.Profile.Name, "Sales"))',
        fields=catalog,
    )
    record = {"Account.Type": "Prospect", "Account.NumberOfEmployees": 250,
              "Owner.IsActive": True, "Owner.Profile.Name": "Sales Rep"}  # fmt: skip
    assert rule.evaluate(record) is True


def test_a_cached_describe_types_the_related_fields_it_has() -> None:
    account = {"fields": [{"name": "Industry", "type": "string"}, {"name": "X", "type": "base64"}]}
    types = related_types({"Account": account})
    assert types["Account.Industry"] == "string"
    assert types["Account.Type"] == "picklist"  # not in that describe: the mirrored type
    catalog = rule_catalog({"fields": []}, {"Account": account})
    assert compile_formula('Account.Industry = "Healthcare"', fields=catalog).result_type == (
        "checkbox"
    )
