"""importValidationRules: the org's validation rules read through its Salesforce gateway and
kept as alert rules (services.validation_import), then the imported, updated and retired
rules evaluated like any saved or retired rule."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from resolvers.alert_rules import evaluate_rules
from resolvers.context import RequestContext
from resolvers.errors import ClientError
from salesforce.errors import GatewayError
from salesforce.sync import safe_error
from services import validation_import
from services.orgs import UnknownOrg
from services.validation_import import ImportResult, evaluated_rule_ids
from store.process_models import AlertRule


class SalesforceUnreachable(ClientError):
    code = "SALESFORCE_UNAVAILABLE"


async def import_validation_rules(context: RequestContext) -> list[ImportResult]:
    """One result per active Opportunity validation rule, in Salesforce's order, then one per
    rule retired because its validation rule is no longer active. A gateway
    failure (Salesforce unreachable, credentials refused, API budget spent) writes nothing
    and is the payload's SALESFORCE_UNAVAILABLE error, with the gateway's own (secret-free)
    words."""
    principal = await context.principal()
    org_id = principal.org_id
    gateways = context.gateways
    if gateways is None:
        raise SalesforceUnreachable("this server reaches no Salesforce org")

    def run() -> list[ImportResult]:
        return validation_import.import_validation_rules(
            context.engine, gateways(org_id), org_id, principal.acting_user_id, context.now,
            then_evaluate=False,
        )  # fmt: skip

    try:
        results = await run_in_threadpool(run)
    except (GatewayError, UnknownOrg) as error:
        raise SalesforceUnreachable(
            f"the org's validation rules could not be read from Salesforce ({safe_error(error)})"
        ) from None
    # What the import wrote (imported, updated, retired rules) is evaluated at once, as
    # retireAlertRule evaluates a rule it retires (its alerts resolve RULE_RETIRED).
    written = evaluated_rule_ids(results)
    if written:
        await evaluate_rules(context, written)
    return results


async def alert_rule_of(context: RequestContext, result: ImportResult) -> AlertRule | None:
    if result.rule_id is None:
        return None
    return await (await context.loaders()).alert_rules.load(result.rule_id)
