"""The root Mutation type: the mutations of each domain (schema/mutations/), composed.
Every mutation declares its permissions and answers refusals and input errors in its
payload (schema.permissions.mutation)."""

from __future__ import annotations

import strawberry

from schema.mutations.alert_actions import AlertActionMutations
from schema.mutations.alert_rules import AlertRuleMutations
from schema.mutations.check_in import CheckInMutation
from schema.mutations.import_validation_rules import ImportValidationRulesMutation
from schema.mutations.milestones import MilestoneMutations
from schema.mutations.quick_fix import QuickFixMutations
from schema.mutations.severity_weights import SeverityWeightMutations


@strawberry.type
class Mutation(
    AlertActionMutations,
    AlertRuleMutations,
    CheckInMutation,
    ImportValidationRulesMutation,
    MilestoneMutations,
    QuickFixMutations,
    SeverityWeightMutations,
):
    pass
