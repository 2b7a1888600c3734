"""importValidationRules (admins only): the org's active Opportunity validation rules read
through the Tooling API and kept as FIX_REQUIRED alert rules (origin VALIDATION_RULE), with
one result per validation rule. Re-running it is idempotent."""

from __future__ import annotations

from enum import Enum
from typing import cast

import strawberry
from strawberry import Parent

from auth.permissions import IsAdmin
from resolvers import validation_import as resolve
from schema.alerts import AlertRule
from schema.enums import ImportOutcome
from schema.errors import Error
from schema.permissions import ADMINISTERS, mutation
from schema.types import Info, described
from services.validation_import import ImportResult


class ImportValidationRulesErrorCode(Enum):
    FORBIDDEN = "forbidden"
    INSUFFICIENT_SCOPE = "insufficient_scope"  # the token lacks the scope (extensions name it)
    SALESFORCE_UNAVAILABLE = "salesforce_unavailable"  # the Tooling API could not be read


strawberry.enum(ImportValidationRulesErrorCode)


@strawberry.type
class ImportValidationRulesError(Error):
    code: ImportValidationRulesErrorCode


@strawberry.type(description="What became of one validation rule.")
class ValidationRuleImport:
    name: str = strawberry.field(description="The validation rule's name in Salesforce.")
    outcome: ImportOutcome
    reason: str | None = strawberry.field(
        description="Why it was skipped, for a person to read; null otherwise."
    )

    @described("The alert rule it is (or was earlier) imported as; null when it never was.")
    async def alert_rule(self, info: Info, parent: Parent[ImportResult]) -> AlertRule | None:
        return cast("AlertRule | None", await resolve.alert_rule_of(info.context, parent))


@strawberry.type
class ImportValidationRulesPayload:
    results: list[ValidationRuleImport] = strawberry.field(default_factory=list)
    errors: list[ImportValidationRulesError]


@strawberry.type
class ImportValidationRulesMutation:
    @mutation(
        "Import the org's active Opportunity validation rules as FIX_REQUIRED alert rules "
        "(admins); rules using ISCHANGED, PRIORVALUE, ISNEW or ISCLONE, or that do not "
        "compile, are skipped with the reason; the rule imported from one no longer active "
        "in Salesforce is retired (its alerts resolve RULE_RETIRED) and reported SKIPPED.",
        IsAdmin(),
        ADMINISTERS,
    )
    async def import_validation_rules(self, info: Info) -> ImportValidationRulesPayload:
        results = await resolve.import_validation_rules(info.context)
        return ImportValidationRulesPayload(
            results=cast("list[ValidationRuleImport]", results), errors=[]
        )
