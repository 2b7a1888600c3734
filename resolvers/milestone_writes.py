"""Writing milestones (admins: the mutations declare it) and completing them on deals (reps,
on the opportunities they can see).

A definition is checked in full by rules.definitions.check_milestone against the org's
formula catalog and stages before anything is written: a draft with problems changes nothing
and its problems are the payload's errors, each at its input path (`input.weight`...).
Refusals that concern one input (an id that is none of the org's, a retired milestone, a
formula milestone ticked by hand) are ClientErrors whose code the mutation's enum has, so the
mutation answers them in its payload.

After a write the opportunities it changes are evaluated at once (their formula milestones and
health), not at the next clock tick: every open one after a definition changed, the one deal
after a completion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from starlette.concurrency import run_in_threadpool

from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.ids import normalize_id, opaque_id
from resolvers.milestones import OpportunityMilestoneView, opportunity_milestones
from resolvers.opportunities import OPPORTUNITY_PREFIX
from rules.definitions import MilestoneDraft, MilestoneErrorCode, Problem, check_milestone
from rules.process import AuditAction, AuditOutcome, MilestoneCompletionMode
from services.org_catalog import org_catalog
from store import milestones
from store.audit import AuditRecord, record_audit
from store.models import Opportunity
from store.process_models import Milestone, MilestoneCompletion

MILESTONE_PREFIX = "ms"
MAX_NOTE = 1_000
# An org has a few dozen milestones; a reorder names each once.
MAX_REORDER_IDS = 1_000
MAX_NAMED = 5  # unknown ids named in a NOT_FOUND message


class Refused(ClientError):
    """A refusal that concerns one input; its code is a MilestoneErrorCode, which the
    mutation answers in its payload (schema.permissions.PayloadErrors)."""

    def __init__(self, code: MilestoneErrorCode, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.code = code.name


@dataclass(frozen=True)
class SaveOutcome:
    milestone: Milestone | None
    problems: list[Problem[MilestoneErrorCode]]  # at their input field (`weight`)


@dataclass(frozen=True)
class CompletionOutcome:
    """The opportunity a completion changed and the milestone (the payload reads both after
    the write and its evaluation: the request's loaders have not read them before)."""

    opportunity: Opportunity
    milestone_id: str


async def completed_milestone(
    context: RequestContext, outcome: CompletionOutcome
) -> OpportunityMilestoneView | None:
    views = await opportunity_milestones(context, outcome.opportunity)
    return next((v for v in views if v.milestone.id == outcome.milestone_id), None)


def draft_of(row: Milestone) -> MilestoneDraft:
    return MilestoneDraft(
        name=row.name,
        description=row.description,
        stage_name=row.stage_name,
        weight=row.weight,
        completion=MilestoneCompletionMode[row.completion],
        formula=row.formula,
    )


def stored_values(draft: MilestoneDraft) -> dict[str, Any]:
    """A draft as the store's column values."""
    return {
        "name": draft.name,
        "description": draft.description,
        "stage_name": draft.stage_name,
        "weight": draft.weight,
        "completion": draft.completion,
        "formula": draft.formula,
    }


def parse_milestone_id(value: str, argument: str) -> str:
    return opaque_id(value, prefix=MILESTONE_PREFIX, argument=argument)


async def _problems(
    context: RequestContext, org_id: str, draft: MilestoneDraft
) -> list[Problem[MilestoneErrorCode]]:
    found = await run_in_threadpool(org_catalog, context.engine, org_id)
    return check_milestone(draft, found.catalog, found.open_stage_names)


async def _evaluate(
    context: RequestContext, org_id: str, opportunity_ids: Sequence[str] | None
) -> None:
    """Formula milestones and health brought up to date now (None: every open deal), under
    the org's pass lock (RequestContext.evaluate). No rule is evaluated: a milestone write
    changes no record a condition reads (health still counts every live alert). The write
    stands whatever happens here: a pass that fails is logged, and the next clock tick
    evaluates the deals again."""
    await context.evaluate_after_write(
        f"a milestone write (org {org_id})", opportunity_ids=opportunity_ids, rule_ids=()
    )


async def _live_milestone(
    context: RequestContext, org_id: str, milestone_id: str, argument: str
) -> Milestone:
    found = await run_in_threadpool(
        milestones.milestones_by_ids, context.engine, org_id, [milestone_id]
    )
    row = found.get(milestone_id)
    if row is None:
        raise Refused(MilestoneErrorCode.NOT_FOUND, "no such milestone", field=argument)
    if row.retired_at is not None:
        raise Refused(MilestoneErrorCode.RETIRED, "the milestone is retired", field=argument)
    return row


async def create_milestone(context: RequestContext, draft: MilestoneDraft) -> SaveOutcome:
    principal = await context.principal()
    org_id = principal.org_id
    problems = await _problems(context, org_id, draft)
    if problems:
        return SaveOutcome(None, problems)
    row = await run_in_threadpool(
        milestones.create_milestone, context.engine, org_id, stored_values(draft), context.now
    )
    await _evaluate(context, org_id, None)
    return SaveOutcome(row, [])


async def update_milestone(
    context: RequestContext, raw_id: str, changes: Mapping[str, Any]
) -> SaveOutcome:
    """`changes`: the MilestoneDraft fields the input sets (the others keep their values).
    A MANUAL milestone turned FORMULA loses its hand-made completions (closed, kept in its
    history; store.milestones.update_milestone says why), and the evaluation that follows
    completes it wherever its formula holds."""
    principal = await context.principal()
    org_id = principal.org_id
    current = await _live_milestone(context, org_id, parse_milestone_id(raw_id, "id"), "id")
    if changes.get("completion") is MilestoneCompletionMode.MANUAL and "formula" not in changes:
        changes = {**changes, "formula": None}  # a milestone turned manual drops its formula
    draft = replace(draft_of(current), **changes)
    problems = await _problems(context, org_id, draft)
    if problems:
        return SaveOutcome(None, problems)
    row = await run_in_threadpool(
        milestones.update_milestone, context.engine, org_id, current.id, stored_values(draft),
        context.now, principal.acting_user_id,
    )  # fmt: skip
    if row is None:  # retired meanwhile
        raise Refused(MilestoneErrorCode.RETIRED, "the milestone is retired", field="id")
    await _evaluate(context, org_id, None)
    return SaveOutcome(row, [])


async def retire_milestone(context: RequestContext, raw_id: str) -> SaveOutcome:
    principal = await context.principal()
    org_id = principal.org_id
    current = await _live_milestone(context, org_id, parse_milestone_id(raw_id, "id"), "id")
    row = await run_in_threadpool(
        milestones.retire_milestone, context.engine, org_id, current.id, context.now
    )
    if row is None:  # retired meanwhile (milestones are never deleted), by another request
        raise Refused(MilestoneErrorCode.RETIRED, "the milestone is retired", field="id")
    await _evaluate(context, org_id, None)
    return SaveOutcome(row, [])


async def reorder_milestones(context: RequestContext, raw_ids: Sequence[str]) -> list[Milestone]:
    """The org's milestones (not retired) in the order of `raw_ids`, which must name each of
    them exactly once."""
    principal = await context.principal()
    org_id = principal.org_id
    if len(raw_ids) > MAX_REORDER_IDS:  # each is a bound SQL parameter of the lookup
        raise Refused(MilestoneErrorCode.TOO_LONG, f"at most {MAX_REORDER_IDS} ids", field="ids")
    ids = [parse_milestone_id(raw, "ids") for raw in raw_ids]
    known = await run_in_threadpool(milestones.milestones_by_ids, context.engine, org_id, ids)
    unknown = list(dict.fromkeys(i for i in ids if i not in known))
    if unknown:
        # A few are named, not all: the message stays short however many were sent.
        named = ", ".join(unknown[:MAX_NAMED])
        more = f" and {len(unknown) - MAX_NAMED} more" if len(unknown) > MAX_NAMED else ""
        raise Refused(
            MilestoneErrorCode.NOT_FOUND, f"no such milestone: {named}{more}", field="ids"
        )
    ordered = await run_in_threadpool(
        milestones.reorder_milestones, context.engine, org_id, ids, context.now
    )
    if ordered is None:
        raise Refused(
            MilestoneErrorCode.INVALID_ORDER,
            "name every milestone that is not retired exactly once",
            field="ids",
        )
    return ordered


async def _visible_opportunity(context: RequestContext, raw_id: str) -> Opportunity:
    """The opportunity if the caller may see it; one it may not see is NOT_FOUND, exactly as
    one that does not exist (never revealed)."""
    argument = "input.opportunityId"
    opportunity_id = normalize_id(raw_id, prefix=OPPORTUNITY_PREFIX, argument=argument)
    row = await (await context.loaders()).opportunities.load(opportunity_id)
    if row is None:
        raise Refused(MilestoneErrorCode.NOT_FOUND, "no such opportunity", field=argument)
    return row


async def _manual_milestone(context: RequestContext, org_id: str, raw_id: str) -> Milestone:
    argument = "input.milestoneId"
    row = await _live_milestone(context, org_id, parse_milestone_id(raw_id, argument), argument)
    if row.completion != MilestoneCompletionMode.MANUAL.name:
        raise Refused(
            MilestoneErrorCode.NOT_MANUAL,
            "a formula milestone is completed by evaluation, not by hand",
            field=argument,
        )
    return row


async def _change_completion(
    context: RequestContext,
    raw_opportunity_id: str,
    raw_milestone_id: str,
    change: Callable[[str, Milestone, Opportunity, str], MilestoneCompletion | None],
    refusal: tuple[MilestoneErrorCode, str],
    *,
    completing: bool,
) -> CompletionOutcome:
    """Checks the opportunity (visible) and the milestone (manual, not retired), runs
    `change(org_id, milestone, opportunity, user_id)` (a store write, in a worker thread;
    None: it did nothing, answered as `refusal`), audits it (MILESTONE, applied or refused;
    the field is `milestone:<name>`, the values whether it is completed before and after),
    then evaluates the deal."""
    principal = await context.principal()
    org_id = principal.org_id
    opportunity = await _visible_opportunity(context, raw_opportunity_id)
    if opportunity.is_closed:
        # Its health stays the one it had when it closed; its milestones with it.
        raise Refused(
            MilestoneErrorCode.OPPORTUNITY_CLOSED,
            "the opportunity is closed: its milestones stay as they were when it closed",
            field="input.opportunityId",
        )
    milestone = await _manual_milestone(context, org_id, raw_milestone_id)
    user_id = principal.actor_id
    done = await run_in_threadpool(change, org_id, milestone, opportunity, user_id)
    record = AuditRecord(
        user_id=user_id, action=AuditAction.MILESTONE, opportunity_id=opportunity.id,
        outcome=AuditOutcome.APPLIED if done is not None else AuditOutcome.REFUSED,
        field=f"milestone:{milestone.name}"[:255], old_value=not completing,
        new_value=completing, request_id=context.request_id,
        error=None if done is not None else f"{refusal[0].name}: {refusal[1]}",
        client_id=principal.client_id,
        connection="dealpulse",  # stored in dealpulse, not written to Salesforce
    )  # fmt: skip
    await run_in_threadpool(record_audit, context.engine, org_id, [record], context.now)
    if done is None:
        code, message = refusal
        raise Refused(code, message, field="input.milestoneId")
    await _evaluate(context, org_id, [opportunity.id])
    return CompletionOutcome(opportunity, milestone.id)


async def complete_milestone(
    context: RequestContext, raw_opportunity_id: str, raw_milestone_id: str, note: str | None
) -> CompletionOutcome:
    if note is not None and len(note) > MAX_NOTE:
        raise Refused(
            MilestoneErrorCode.TOO_LONG, f"at most {MAX_NOTE} characters", field="input.note"
        )

    def complete(
        org_id: str, milestone: Milestone, opportunity: Opportunity, by_id: str
    ) -> MilestoneCompletion | None:
        return milestones.complete_milestone(
            context.engine, org_id, milestone.id, opportunity.id, by_id, note or None, context.now
        )

    already = (MilestoneErrorCode.ALREADY_COMPLETED, "already completed on this opportunity")
    return await _change_completion(
        context, raw_opportunity_id, raw_milestone_id, complete, already, completing=True
    )


async def uncomplete_milestone(
    context: RequestContext, raw_opportunity_id: str, raw_milestone_id: str
) -> CompletionOutcome:
    def uncomplete(
        org_id: str, milestone: Milestone, opportunity: Opportunity, by_id: str
    ) -> MilestoneCompletion | None:
        return milestones.uncomplete_milestone(
            context.engine, org_id, milestone.id, opportunity.id, by_id, context.now
        )

    not_done = (MilestoneErrorCode.NOT_COMPLETED, "not completed on this opportunity")
    return await _change_completion(
        context, raw_opportunity_id, raw_milestone_id, uncomplete, not_done, completing=False
    )
