"""The Salesforce formula language: parse, type-check, evaluate (see README "Formula engine").

from rules.formula import compile_formula, FormulaError
f = compile_formula("Amount > 100000", fields={"Amount": "currency"})
f.result_type, f.references, f.evaluate({"Amount": 150000}, now=..., tz="America/Los_Angeles")
"""

from rules.formula.compiler import CompiledFormula, compile_formula
from rules.formula.errors import ErrorCode, FormulaError
from rules.formula.types import FormulaType

__all__ = ["CompiledFormula", "ErrorCode", "FormulaError", "FormulaType", "compile_formula"]
