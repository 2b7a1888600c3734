"""The cost of a GraphQL operation, known before it runs (issue 11): depth, alias and token
limits let a 2 KB document ask for 30 x 200 opportunities with their relations; the cost
limit refuses it before any resolver runs.

Each field costs 1. What is selected under a field counts once per item it stands for: a
connection's `edges` (or `nodes`) stand for its page (`first` as sent, literal or variable or
the variable's default; absent or null: the field's default, else the server's default page
size; at most the maximum page size, as a larger one is refused anyway), while its
`totalCount`, `summary` and `pageInfo` count once; a list field with `first` (auditLog)
multiplies by its page size; any other list by LIST_SIZE. Fragments count where they are
spread, every member's of an abstract type (the most any object could cost); `@skip` and
`@include` are ignored. So `opportunities(first: 200) { totalCount edges { node { id name } } }`
costs 1 + 1 + (1 + 200 x (1 + 1 + 1)) = 603.

QueryCostLimit refuses an operation above the limit with one error (`extensions.code`
QUERY_TOO_COSTLY, with `cost` and `maxCost`), and answers an accepted one's cost in the
response's `extensions.cost`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension

LIST_SIZE = 10  # what a list without `first` counts as (an opportunity's alerts, milestones...)
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
_META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}
_EDGES = ("edges", "nodes")


@dataclass(frozen=True)
class CostRules:
    max_cost: int
    default_page_size: int
    max_page_size: int


@dataclass(frozen=True)
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    rules: CostRules

    def selection_cost(
        self, selections: SelectionSetNode | None, parent: GraphQLNamedType, page: int = 1
    ) -> int:
        """The cost of `selections` on `parent`; `page`: the page size a connection's `edges`
        (or `nodes`) stand for, when `parent` is a connection."""
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, page)
            else:
                for selected, kind in self._fragment(selection, parent):
                    total += self.selection_cost(selected, kind, page)
        return total

    def _fragment(
        self, node: SelectionNode, parent: GraphQLNamedType
    ) -> Iterator[tuple[SelectionSetNode, GraphQLNamedType]]:
        """The selections a fragment spread or inline fragment adds, with their type."""
        if isinstance(node, FragmentSpreadNode):
            found = self.fragments.get(node.name.value)
            if found is None:  # validation refuses an unknown fragment before this runs
                return
            condition: NamedTypeNode | None = found.type_condition
            selections = found.selection_set
        elif isinstance(node, InlineFragmentNode):
            condition, selections = node.type_condition, node.selection_set
        else:  # pragma: no cover - fields are counted by the caller
            return
        kind = self.schema.get_type(condition.name.value) if condition else parent
        if kind is not None:
            yield selections, kind

    def field_cost(self, node: FieldNode, parent: GraphQLNamedType, page: int) -> int:
        name = node.name.value
        fields = (
            parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        )
        field = _META_FIELDS.get(name) or fields.get(name)
        if field is None:  # __typename
            return 1
        kind = get_named_type(field.type)
        if "first" in field.args:
            size = self._page_size(node, field)
            if _is_connection(kind):  # its edges are the page; totalCount, pageInfo once
                return 1 + self.selection_cost(node.selection_set, kind, page=size)
            return 1 + size * self.selection_cost(node.selection_set, kind)
        if _is_connection(parent) and name in _EDGES:
            return 1 + page * self.selection_cost(node.selection_set, kind)
        wrapped = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        items = LIST_SIZE if isinstance(wrapped, GraphQLList) else 1
        return 1 + items * self.selection_cost(node.selection_set, kind)

    def _page_size(self, node: FieldNode, field: GraphQLField) -> int:
        sent = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        asked: object = None  # a null literal (validation refuses any other for an Int)
        if sent is None:
            asked = field.args["first"].default_value  # Undefined when it has none
        elif isinstance(sent, VariableNode):
            asked = self.variables.get(sent.name.value)
        elif isinstance(sent, IntValueNode):
            asked = int(sent.value)
        if not isinstance(asked, int) or isinstance(asked, bool):
            return self.rules.default_page_size
        return max(0, min(asked, self.rules.max_page_size))


def _is_connection(kind: GraphQLNamedType) -> bool:
    return kind.name.endswith("Connection")


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    rules: CostRules,
) -> int:
    """The cost of the operation of `document` that would run (0 if none would)."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    if root is None:  # validation refuses an operation the schema has no root for
        return 0
    given = dict(variables or {})
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if definition.variable.name.value not in given and isinstance(default, IntValueNode):
            given[definition.variable.name.value] = int(default.value)
    walk = _Walk(schema, fragments, given, rules)
    return walk.selection_cost(operation.selection_set, root)


class QueryCostLimit(SchemaExtension):
    """Refuses an operation that costs more than `rules.max_cost` before it runs; reports the
    cost of the others in `extensions.cost`."""

    def __init__(self, rules: CostRules) -> None:
        self.rules = rules
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            self.cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables,
                self.rules,
            )  # fmt: skip
            if self.cost > self.rules.max_cost:
                context.result = ExecutionResult(data=None, errors=[self._refusal(self.cost)])
        yield

    def _refusal(self, cost: int) -> GraphQLError:
        limit = self.rules.max_cost
        return GraphQLError(
            f"the query costs {cost}, more than the {limit} allowed: ask for smaller pages "
            "(`first`) or fewer fields",
            extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": limit},
        )

    def get_results(self) -> dict[str, Any]:
        if self.cost is None or self.cost > self.rules.max_cost:
            return {}
        return {"cost": self.cost}
