"""`nodes.Query` + the catalog → one SQLite statement plan, with Salesforce's name and type errors.

Identifiers in the SQL come only from the catalog (quoted), never from the query text; every
literal is a bound parameter. Relationship paths become LEFT JOINs, one per distinct path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from devorg import catalog
from devorg.catalog import Field, SObject
from devorg.soql import nodes
from devorg.soql.conditions import ConditionCompiler, FieldRef
from devorg.soql.errors import SoqlError, positioned

MAX_OFFSET = 2000
# Beyond what any table here holds; keeps LIMIT binds inside SQLite's 64-bit integers.
MAX_LIMIT = 2**62
_NOT_FOUND_FIELD = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, "
    "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
_NOT_FOUND_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a "
    "custom relationship, be sure to append the '__r' after the custom relationship name. Please "
    "reference your WSDL or the describe call for the appropriate names."
)
_NOT_FOUND_TYPE = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be "
    "sure to append the '__c' after the entity name. Please reference your WSDL or the describe "
    "call for the appropriate names."
)


@dataclass
class Shape:
    """How one record (or a parent record nested in it) is built from a result row."""

    sobject: SObject
    key_index: int  # the row position of the record's key: None there means a null parent
    entries: list[tuple[str, int | Shape]] = field(default_factory=list)

    def child(self, name: str) -> Shape | None:
        for key, entry in self.entries:
            if key == name and isinstance(entry, Shape):
                return entry
        return None


@dataclass
class Plan:
    """Everything needed to run a query and page through it."""

    sobject: SObject
    kind: str  # "records", "count" (COUNT()) or "aggregate" (COUNT(field) → expr0...)
    select_sql: list[str]  # row position → SQL expression; position 0 is always t0.rowid
    fields: dict[int, Field]  # row position → the field whose JSON form it takes
    shape: Shape
    from_sql: str
    where_sql: str
    params: list[object]
    order_sql: str  # without "ORDER BY"; empty when the query has none
    limit: int | None
    offset: int
    one_row_only: bool  # Metadata/FullName selected: Salesforce refuses more than one row
    aggregate_names: list[str] = field(default_factory=list)


class Compiler:
    def __init__(
        self, soql: str, *, tooling: bool, include_deleted: bool, today: date, now: datetime
    ) -> None:
        self.soql = soql
        self.tooling = tooling
        self.include_deleted = include_deleted
        self.select_sql: list[str] = ["t0.rowid"]
        self.fields: dict[int, Field] = {}
        self.joins: dict[tuple[str, ...], tuple[str, SObject]] = {}
        self.join_sql: list[str] = []
        self.today = today
        self.now = now

    def error(self, code: str, at: nodes.Position, message: str) -> SoqlError:
        return SoqlError(code, positioned(self.soql, at.line, at.column, message))

    # -- names ------------------------------------------------------------------------------
    def resolve_sobject(self, query: nodes.Query) -> SObject:
        found = catalog.sobject(query.sobject, tooling=self.tooling)
        if found is None:
            raise self.error(
                "INVALID_TYPE", query.sobject_at, _NOT_FOUND_TYPE.format(name=query.sobject)
            )
        return found

    def resolve(self, path: nodes.FieldPath, root: SObject, alias: str | None) -> FieldRef:
        """Walk `Account.Owner.Name` through relationship names, joining each hop once."""
        parts = list(path.parts)
        first = parts[0].lower()
        is_relationship = any((f.relationship_name or "").lower() == first for f in root.fields)
        if (
            len(parts) > 1
            and not is_relationship
            and first in {root.name.lower(), (alias or "").lower()}
        ):
            parts = parts[1:]  # `Opportunity.Name` / `o.Name`: qualified by the queried object
        sobject, table = root, "t0"
        hops: tuple[str, ...] = ()
        for name in parts[:-1]:
            reference = next(
                (f for f in sobject.fields if (f.relationship_name or "").lower() == name.lower()),
                None,
            )
            if reference is None or reference.relationship_name is None:
                raise self.error(
                    "INVALID_FIELD", path.at, _NOT_FOUND_RELATIONSHIP.format(name=name)
                )
            if len(reference.reference_to) != 1:
                message = (
                    f"Polymorphic relationship '{reference.relationship_name}' is not supported by "
                    f"devorg: select {reference.name} instead."
                )
                raise self.error("INVALID_FIELD", path.at, message)
            target = catalog.sobject(
                reference.reference_to[0], tooling=self.tooling
            ) or catalog.sobject(reference.reference_to[0], tooling=not self.tooling)
            assert target is not None, reference  # the catalog only references its own objects
            hops = (*hops, reference.relationship_name)
            table = self.join(hops, table, reference, target)
            sobject = target
        found = sobject.field(parts[-1])
        if found is None:
            raise self.error(
                "INVALID_FIELD",
                path.at,
                _NOT_FOUND_FIELD.format(name=parts[-1], entity=sobject.name),
            )
        return FieldRef(hops, sobject, found, table, field_sql(table, found), path)

    def join(
        self, hops: tuple[str, ...], parent_table: str, reference: Field, target: SObject
    ) -> str:
        if hops not in self.joins:
            alias = f"t{len(self.joins) + 1}"
            self.joins[hops] = (alias, target)
            self.join_sql.append(
                f'LEFT JOIN "{target.name}" AS {alias} '
                f'ON {alias}."{reference.reference_key}" = {parent_table}."{reference.name}"'
            )
        return self.joins[hops][0]

    def add_column(self, sql: str, fld: Field | None = None) -> int:
        self.select_sql.append(sql)
        if fld is not None:
            self.fields[len(self.select_sql) - 1] = fld
        return len(self.select_sql) - 1

    # -- the query --------------------------------------------------------------------------
    def compile(self, query: nodes.Query) -> Plan:
        root = self.resolve_sobject(query)
        key = root.field("Id") or root.fields[0]
        shape = Shape(root, self.add_column(f't0."{key.name}"'))
        counts = [item for item in query.select if isinstance(item, nodes.CountCall)]
        paths = [item for item in query.select if isinstance(item, nodes.FieldPath)]
        kind = "records"
        aggregate_names: list[str] = []
        one_row_only = False
        if counts:
            kind = self.compile_counts(counts, paths, root, query.alias, aggregate_names)
        else:
            one_row_only = self.compile_fields(paths, root, query.alias, shape)
        conditions = ConditionCompiler(self, root, query.alias)
        where = [conditions.compile(query.where)] if query.where is not None else []
        if root.field("IsDeleted") is not None and not self.include_deleted:
            where.insert(0, 't0."IsDeleted" IS NOT 1')
        order_sql = ", ".join(conditions.order_term(item) for item in query.order_by)
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            )
        return Plan(
            sobject=root,
            kind=kind,
            select_sql=self.select_sql,
            fields=self.fields,
            shape=shape,
            from_sql=" ".join([f'FROM "{root.name}" AS t0', *self.join_sql]),
            where_sql=" AND ".join(f"({w})" for w in where) or "1",
            params=conditions.params,
            order_sql=order_sql,
            limit=None if query.limit is None else min(query.limit, MAX_LIMIT),
            offset=query.offset or 0,
            one_row_only=one_row_only,
            aggregate_names=aggregate_names,
        )

    def compile_fields(
        self, paths: list[nodes.FieldPath], root: SObject, alias: str | None, shape: Shape
    ) -> bool:
        one_row_only = False
        seen: set[tuple[str, ...]] = set()
        for path in paths:
            ref = self.resolve(path, root, alias)
            canonical = (*ref.hops, ref.field.name)
            if canonical in seen:
                raise SoqlError("INVALID_FIELD", f"duplicate field selected: {'.'.join(canonical)}")
            seen.add(canonical)
            one_row_only |= ref.sobject.name == "ValidationRule" and ref.field.name in (
                "Metadata",
                "FullName",
            )
            node = shape
            for depth, hop in enumerate(ref.hops):
                child = node.child(hop)
                if child is None:
                    table, target = self.joins[ref.hops[: depth + 1]]
                    reference = next(f for f in node.sobject.fields if f.relationship_name == hop)
                    child = Shape(target, self.add_column(f'{table}."{reference.reference_key}"'))
                    node.entries.append((hop, child))
                node = child
            node.entries.append((ref.field.name, self.add_column(ref.sql, ref.field)))
        return one_row_only

    def compile_counts(
        self,
        counts: list[nodes.CountCall],
        paths: list[nodes.FieldPath],
        root: SObject,
        alias: str | None,
        names: list[str],
    ) -> str:
        if paths:
            message = f"Field must be grouped or aggregated: {paths[0].parts[-1]}"
            raise self.error("MALFORMED_QUERY", paths[0].at, message)
        bare = [c for c in counts if c.field is None]
        if bare and len(counts) > 1:
            raise self.error(
                "MALFORMED_QUERY",
                counts[1].at,
                "COUNT() must be the only element in the SELECT list.",
            )
        if bare:
            return "count"
        for index, count in enumerate(counts):
            assert count.field is not None
            ref = self.resolve(count.field, root, alias)
            self.add_column(f"COUNT({ref.sql})")
            names.append(f"expr{index}")
        return "aggregate"


def field_sql(table: str, fld: Field) -> str:
    """The SQL for a field of `table`; calculated fields are computed here, not stored."""
    column = f'{table}."{fld.name}"'
    if not fld.calculated:
        return column
    if fld.name == "ExpectedRevenue":
        return f'({table}."Amount" * {table}."Probability" / 100.0)'
    if fld.name == "FiscalYear":  # fiscal year starts in January: the calendar year
        return f'CAST(substr({table}."CloseDate", 1, 4) AS INTEGER)'
    if fld.name == "FiscalQuarter":
        return f'((CAST(substr({table}."CloseDate", 6, 2) AS INTEGER) - 1) / 3 + 1)'
    if fld.name == "FullName":
        return f'({table}."EntityDefinitionId" || \'.\' || {table}."ValidationName")'
    if fld.name == "Metadata":
        return (
            f"json_object('active', "
            f"json(CASE WHEN {table}.\"Active\" THEN 'true' ELSE 'false' END), "
            f"'description', {table}.\"Description\", "
            f"'errorConditionFormula', {table}.\"_Formula\", "
            f"'errorDisplayField', {table}.\"ErrorDisplayField\", "
            f"'errorMessage', {table}.\"ErrorMessage\", "
            "'shouldEvaluateOnClient', json('false'), 'urls', NULL)"
        )
    return "NULL"
