"""The Salesforce formula language: parse, type-check, evaluate (see README "Formula engine")."""

from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.types import FormulaType

__all__ = ["ErrorCode", "FormulaError", "FormulaType"]
