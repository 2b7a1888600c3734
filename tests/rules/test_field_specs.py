"""A fix field's editor metadata from a describe field (rules.field_specs)."""

from __future__ import annotations

from rules.field_specs import FieldSpec, PicklistValue, field_specs


def test_a_picklist_keeps_active_values_in_order_with_labels() -> None:
    spec = FieldSpec.from_describe(
        {
            "name": "StageName",
            "label": "Stage",
            "type": "picklist",
            "nillable": False,
            "defaultedOnCreate": False,
            "updateable": True,
            "restrictedPicklist": True,
            "length": 255,
            "picklistValues": [
                {"value": "B", "label": "Bee", "active": True},
                {"value": "Gone", "label": "Gone", "active": False},
                {"value": "A", "label": None, "active": True},
            ],
        }
    )
    assert spec.picklist_values == (PicklistValue("B", "Bee"), PicklistValue("A", "A"))
    assert spec.required
    assert spec.restricted_picklist
    assert spec.length == 255


def test_required_means_not_nillable_and_not_defaulted_and_never_a_checkbox() -> None:
    base = {"name": "X", "type": "string", "nillable": False}
    assert FieldSpec.from_describe(base).required
    assert not FieldSpec.from_describe({**base, "defaultedOnCreate": True}).required
    assert not FieldSpec.from_describe({**base, "nillable": True}).required
    assert not FieldSpec.from_describe({**base, "type": "boolean"}).required


def test_numbers_keep_precision_and_scale_and_help_text() -> None:
    spec = FieldSpec.from_describe(
        {"name": "Amount", "label": "Amount", "type": "currency", "precision": 18, "scale": 2,
         "length": 0, "inlineHelpText": "In the org's currency", "updateable": False}
    )  # fmt: skip
    assert (spec.precision, spec.scale, spec.length) == (18, 2, None)
    assert spec.help_text == "In the org's currency"
    assert not spec.updateable


def test_field_specs_by_name_and_empty_without_a_describe() -> None:
    assert field_specs(None) == {}
    assert list(field_specs({"fields": [{"name": "A"}, {"label": "no name"}]})) == ["A"]


def test_an_int_carries_its_digits_as_precision() -> None:
    # Salesforce's describe says precision 0 for an int and puts its size in `digits`.
    spec = FieldSpec.from_describe(
        {"name": "NumberOfEmployees", "type": "int", "digits": 8, "precision": 0, "scale": 0}
    )
    assert spec.precision == 8
    other = FieldSpec.from_describe({"name": "X", "type": "double", "digits": 8, "precision": 5})
    assert other.precision == 5
