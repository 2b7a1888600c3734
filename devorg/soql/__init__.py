"""SOQL for devorg: a lark grammar, a compiler to SQLite over the org tables, paged execution.

Supported: field lists with relationship paths of any depth (LEFT JOINs), COUNT() and
COUNT(field) (as `expr0`...), WHERE with AND / OR / NOT and parentheses, = != <> < > <= >=,
IN / NOT IN, LIKE, null / true / false / numbers / strings with SOQL escapes / dates /
datetimes / date literals (TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n,
THIS/LAST/NEXT_MONTH, _QUARTER, _YEAR), ORDER BY (ASC/DESC, NULLS FIRST/LAST), LIMIT, OFFSET.
Not supported (refused as MALFORMED_QUERY or INVALID_FIELD): GROUP BY, HAVING, other aggregate
functions, subqueries and semi-joins, TYPEOF, polymorphic paths such as `What.Name`, FIELDS(),
WITH, FOR UPDATE, bind variables, fiscal date literals, time zones other than UTC.
"""

from devorg.soql.engine import clamp_batch_size, execute_soql, fetch_page
from devorg.soql.errors import SoqlError

__all__ = ["SoqlError", "clamp_batch_size", "execute_soql", "fetch_page"]
