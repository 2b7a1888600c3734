"""`FormulaError`: every problem with a formula or a record, with its position.

`code` is one of the `ErrorCode` values (stable strings clients can branch on); `line` and
`column` are 1-based and point at the offending token (0 when the problem has no position,
e.g. a record value of the wrong shape is reported at the field reference that reads it).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    SYNTAX = "syntax"  # the text is not a formula
    TOO_LONG = "too_long"  # more than MAX_LENGTH characters
    TOO_DEEP = "too_deep"  # nesting beyond MAX_DEPTH
    TOO_LARGE = "too_large"  # more than MAX_NODES nodes
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_FUNCTION = "unknown_function"
    UNSUPPORTED_FUNCTION = "unsupported_function"  # HYPERLINK, IMAGE, $User...: not here
    EDIT_TIME_FUNCTION = "edit_time_function"  # ISCHANGED, PRIORVALUE, ISNEW, ISCLONE
    ARGUMENT_COUNT = "argument_count"
    TYPE_MISMATCH = "type_mismatch"
    PICKLIST_USAGE = "picklist_usage"  # a picklist outside ISPICKVAL/CASE/TEXT/ISBLANK/ISNULL
    INVALID_ARGUMENT = "invalid_argument"  # a constant argument that can never work (bad regex)
    BAD_FIELD_TYPE = "bad_field_type"  # the catalog names a Salesforce type we do not know
    BAD_RECORD_VALUE = "bad_record_value"  # "abc" for a currency field
    MISSING_NOW = "missing_now"  # the formula reads the clock but no `now` was given
    UNKNOWN_TIME_ZONE = "unknown_time_zone"  # tz= names no IANA time zone
    EVALUATION = "evaluation"  # a result too large to represent (huge LPAD, 10^10^10)


class FormulaError(ValueError):
    def __init__(
        self,
        code: ErrorCode | str,
        message: str,
        line: int = 0,
        column: int = 0,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.line = line
        self.column = column
        self.suggestion = suggestion

    def to_dict(self) -> dict[str, object]:
        return {
            "code": str(self.code),
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "suggestion": self.suggestion,
        }

    def __repr__(self) -> str:
        return f"FormulaError({self.code!s}, {self.message!r}, {self.line}, {self.column})"
