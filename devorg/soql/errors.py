"""The one exception SOQL processing raises, carrying Salesforce's HTTP status and error body."""

from __future__ import annotations


class SoqlError(Exception):
    """A query Salesforce would refuse: rendered as `[{"message": ..., "errorCode": ...}]`."""

    def __init__(self, error_code: str, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status

    def body(self) -> list[dict[str, str]]:
        return [{"message": self.message, "errorCode": self.error_code}]


def positioned(soql: str, line: int, column: int, message: str) -> str:
    """Salesforce's located message: the offending line (windowed), a caret, then the text.

    Real orgs answer e.g. "\\nSELECT Id FROM Nope\\n               ^\\nERROR at Row:1:Column:16\\n
    sObject type 'Nope' is not supported. ..." (row and column are 1-based).
    """
    lines = soql.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    start = max(0, column - 1 - 60)
    window = text[start : column - 1 + 60]
    caret = " " * max(0, column - 1 - start) + "^"
    return f"\n{window}\n{caret}\nERROR at Row:{line}:Column:{column}\n{message}"
