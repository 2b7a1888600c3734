"""Test-only mutations and query fields that follow the API's conventions (schema.errors,
schema.permissions), served over the real app by tests/api/test_mutation_conventions.py.

There is no real mutation yet; these are the first users of the building blocks:
- `flagOpportunity` (admins only): FORBIDDEN in the payload for anyone else, field errors
  (a ClientError from resolvers.ids, and one the resolver returns itself), NOT_FOUND;
- `checkFormula` (anyone signed in): a real rules.formula FormulaError as a payload error with
  its line and column;
- `writeRule` and `ruleCount`: a scope-like permission (none exists before OAuth) refusing
  with INSUFFICIENT_SCOPE and `extensions.scope`;
- `adminNote`: a query field for admins only (a refusal is a top-level FORBIDDEN).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info as AnyInfo

from auth.permissions import IsAdmin, IsAuthenticated, PermissionRefused
from resolvers import opportunities
from rules.formula import FormulaError, compile_formula
from schema.errors import Error, FormulaErrorBase, formula_problem
from schema.permissions import mutation, query
from schema.query import Query
from schema.schema import build_schema
from schema.types import Info, Opportunity

CATALOG = {"Amount": "currency", "StageName": "picklist", "CloseDate": "date"}
# Every resolver call, so a test can tell that a refused mutation never ran its resolver.
CALLS: list[str] = []


class RequiresRulesScope(BasePermission):
    """Stands in for OAuth's scope permission: no principal has a scope yet."""

    message = "this needs the rules:write scope"
    error_class = PermissionRefused
    error_extensions = {"code": "INSUFFICIENT_SCOPE", "scope": "rules:write"}  # noqa: RUF012

    async def has_permission(self, source: Any, info: AnyInfo[Any, Any], **kwargs: Any) -> bool:
        return False


class FlagOpportunityErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INVALID_ID = "invalid_id"  # raised as resolvers.errors.InvalidIdError
    NOT_FOUND = "not_found"
    REASON_REQUIRED = "reason_required"


class CheckFormulaErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INVALID_FORMULA = "invalid_formula"


class WriteRuleErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"


for codes in (FlagOpportunityErrorCode, CheckFormulaErrorCode, WriteRuleErrorCode):
    strawberry.enum(codes)


@strawberry.type
class FlagOpportunityError(Error):
    code: FlagOpportunityErrorCode


@strawberry.type
class FlagOpportunityPayload:
    opportunity: Opportunity | None = None
    errors: list[FlagOpportunityError]


@strawberry.type
class CheckFormulaError(FormulaErrorBase):
    code: CheckFormulaErrorCode


@strawberry.type
class FormulaCheck:
    result_type: str
    references: list[str]


@strawberry.type
class CheckFormulaPayload:
    check: FormulaCheck | None = None
    errors: list[CheckFormulaError]


@strawberry.type
class WriteRuleError(Error):
    code: WriteRuleErrorCode


@strawberry.type
class WriteRulePayload:
    rule_id: strawberry.ID | None = None
    errors: list[WriteRuleError]


@strawberry.type
class Mutation:
    @mutation("Flag a deal for review (test only: nothing is saved).", IsAdmin())
    async def flag_opportunity(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> FlagOpportunityPayload:
        CALLS.append("flagOpportunity")
        if not reason.strip():
            failure = FlagOpportunityError(
                code=FlagOpportunityErrorCode.REASON_REQUIRED,
                field="reason",
                message="reason: say why the deal needs a review",
            )
            return FlagOpportunityPayload(errors=[failure])
        row = await opportunities.opportunity_by_id(info.context, str(id))
        if row is None:
            missing = FlagOpportunityError(
                code=FlagOpportunityErrorCode.NOT_FOUND, field="id", message="id: no such deal"
            )
            return FlagOpportunityPayload(errors=[missing])
        return FlagOpportunityPayload(opportunity=cast("Opportunity", row), errors=[])

    @mutation("Type-check a formula against a small catalog (test only).", IsAuthenticated())
    async def check_formula(self, formula: str) -> CheckFormulaPayload:
        CALLS.append("checkFormula")
        try:
            compiled = compile_formula(formula, CATALOG)
        except FormulaError as error:
            problem = CheckFormulaError(
                code=CheckFormulaErrorCode.INVALID_FORMULA, field="formula",
                **formula_problem(error),
            )  # fmt: skip
            return CheckFormulaPayload(errors=[problem])
        check = FormulaCheck(
            result_type=str(compiled.result_type), references=sorted(compiled.references)
        )
        return CheckFormulaPayload(check=check, errors=[])

    @mutation("Write a rule (test only).", IsAuthenticated(), RequiresRulesScope())
    async def write_rule(self, condition: str) -> WriteRulePayload:
        CALLS.append("writeRule")
        return WriteRulePayload(rule_id=strawberry.ID("never"), errors=[])

    @mutation("A mutation with a bug (test only).", IsAuthenticated())
    async def broken(self) -> WriteRulePayload:
        raise RuntimeError("secret detail of a bug")


@strawberry.type(name="Query")
class ConventionsQuery(Query):
    @query("Only for admins (test only).", IsAdmin())
    async def admin_note(self) -> str | None:
        CALLS.append("adminNote")
        return "for admins"

    @query("Needs a scope (test only).", IsAuthenticated(), RequiresRulesScope())
    async def rule_count(self) -> int | None:
        return 0


def conventions_schema() -> strawberry.Schema:
    return build_schema(query=ConventionsQuery, mutation=Mutation)
