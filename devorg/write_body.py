"""Reading a write request's JSON body the way Salesforce's REST API does.

Salesforce deserializes a record body with a Jackson-like parser, so a value of the wrong JSON
type fails with `JSON_PARSER_ERROR` "Cannot deserialize instance of <type> from <TOKEN> value
<text> or request may be missing a required field at [line:L, column:C]". To give the same
position, the body is parsed here with the end position of every object member remembered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard token {name}")


# NaN and Infinity are not JSON (Salesforce refuses them too).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_WS = " \t\n\r"
# Bodies larger than this are refused outright (Salesforce's REST request limit is far larger,
# but nothing devorg serves needs more, and this keeps hostile bodies cheap).
MAX_BODY_BYTES = 8 * 1024 * 1024
# Errors about the request rather than a record carry no `fields` key in Salesforce's answers.
_REQUEST_LEVEL_CODES = frozenset(
    {"NOT_FOUND", "JSON_PARSER_ERROR", "UNSUPPORTED_MEDIA_TYPE", "MISSING_ARGUMENT",
     "INVALID_REPLICATION_DATE", "EXCEEDED_ID_LIMIT", "INVALID_TYPE", "METHOD_NOT_ALLOWED"}
)  # fmt: skip


@dataclass(frozen=True)
class ErrorItem:
    """One entry of Salesforce's error list: errorCode, message and the fields concerned."""

    error_code: str
    message: str
    fields: tuple[str, ...] = ()

    def as_rest(self) -> dict[str, object]:
        """The REST error form: {message, errorCode}, plus `fields` for errors about a record."""
        item: dict[str, object] = {"message": self.message, "errorCode": self.error_code}
        if self.error_code not in _REQUEST_LEVEL_CODES:
            item["fields"] = list(self.fields)
        return item

    def as_save_result(self) -> dict[str, object]:
        """The SaveResult form used by sObject Collections ({statusCode, message, fields})."""
        return {"statusCode": self.error_code, "message": self.message, "fields": list(self.fields)}


class WriteError(Exception):
    """A write Salesforce refuses; carries every error it reports (usually one)."""

    def __init__(self, *items: ErrorItem, status: int = 400) -> None:
        super().__init__("; ".join(f"{i.error_code}: {i.message}" for i in items))
        self.items = items
        self.status = status


def write_error(code: str, message: str, fields: tuple[str, ...] | list[str] = ()) -> WriteError:
    return WriteError(ErrorItem(code, message, tuple(fields)))


@dataclass
class JsonObject:
    """A parsed JSON object plus where each member's value ends in the text (line, column)."""

    values: dict[str, Any]
    ends: dict[str, tuple[int, int]] = field(default_factory=dict)
    start: tuple[int, int] = (1, 1)


def _line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WS:
        index += 1
    return index


def _parse_value(text: str, index: int, depth: int) -> tuple[Any, int]:
    if depth > 64:
        raise _syntax_error(text, index, "Nesting too deep")
    index = _skip(text, index)
    if index < len(text) and text[index] == "{":
        return _parse_object(text, index, depth + 1)
    if index < len(text) and text[index] == "[":
        items: list[Any] = []
        index = _skip(text, index + 1)
        if index < len(text) and text[index] == "]":
            return items, index + 1
        more = True
        while more:
            value, index = _parse_value(text, index, depth + 1)
            items.append(value)
            more, index = _after_member(text, index, "]", "expected ',' or ']'")
        return items, index
    try:
        return _DECODER.raw_decode(text, index)
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, or an int of over 4300 digits
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else index
        raise _syntax_error(text, position, "expected a valid value") from exc


def _parse_object(text: str, index: int, depth: int) -> tuple[JsonObject, int]:
    obj = JsonObject({}, {}, _line_col(text, index))
    index = _skip(text, index + 1)
    if index < len(text) and text[index] == "}":
        return obj, index + 1
    more = True
    while more:
        index = _skip(text, index)
        if index >= len(text) or text[index] != '"':
            raise _syntax_error(text, index, "was expecting double-quote to start field name")
        try:
            key, index = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            raise _syntax_error(text, exc.pos, "invalid field name") from exc
        index = _skip(text, index)
        if index >= len(text) or text[index] != ":":
            raise _syntax_error(text, index, "was expecting a colon to separate field name")
        value, index = _parse_value(text, index + 1, depth)
        obj.values[key] = value
        obj.ends[key] = _line_col(text, index)
        more, index = _after_member(
            text, index, "}", "was expecting comma to separate Object entries"
        )
    return obj, index


def _after_member(text: str, index: int, close: str, what: str) -> tuple[bool, int]:
    """After an array item or object member: (True, after the comma) if another follows,
    (False, after `close`) at the end, else the syntax error `what`."""
    index = _skip(text, index)
    if index < len(text) and text[index] == ",":
        return True, index + 1
    if index < len(text) and text[index] == close:
        return False, index + 1
    raise _syntax_error(text, index, what)


def _syntax_error(text: str, index: int, what: str) -> WriteError:
    line, column = _line_col(text, index)
    if index >= len(text):
        message = f"Unexpected end-of-input: {what} at [line:{line}, column:{column}]"
    else:
        char = text[index]
        message = (
            f"Unexpected character ('{char}' (code {ord(char)})): {what} "
            f"at [line:{line}, column:{column}]"
        )
    return write_error("JSON_PARSER_ERROR", message)


def parse_body(raw: bytes) -> Any:
    """The JSON body with objects as `JsonObject`; malformed JSON → 400 JSON_PARSER_ERROR."""
    if len(raw) > MAX_BODY_BYTES:
        raise write_error("JSON_PARSER_ERROR", "The request body is too large.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise write_error(
            "JSON_PARSER_ERROR", "Invalid UTF-8 in the request body at [line:1, column:1]"
        ) from exc
    if not text.strip():
        raise write_error(
            "JSON_PARSER_ERROR", "No content to map due to end-of-input at [line:1, column:0]"
        )
    value, end = _parse_value(text, 0, 0)
    end = _skip(text, end)
    if end < len(text):
        raise _syntax_error(text, end, "expected end-of-input")
    return value


def plain(value: Any) -> Any:
    """A parsed body with its objects as plain dicts (for bodies that are not records)."""
    if isinstance(value, JsonObject):
        return {key: plain(item) for key, item in value.values.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def token_of(value: Any) -> tuple[str, str]:
    """Jackson's token name for a JSON value and the text it shows for it."""
    if isinstance(value, JsonObject):
        return "START_OBJECT", "{"
    if isinstance(value, list):
        return "START_ARRAY", "["
    if value is True:
        return "VALUE_TRUE", "true"
    if value is False:
        return "VALUE_FALSE", "false"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT", str(value)
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT", repr(value)
    return "VALUE_STRING", str(value)[:1000]


def deserialize_error(type_name: str, value: Any, position: tuple[int, int]) -> WriteError:
    token, shown = token_of(value)
    return write_error(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {token} value {shown} or request may "
        f"be missing a required field at [line:{position[0]}, column:{position[1]}]",
    )


def require_object(body: Any, type_name: str) -> JsonObject:
    """The body as a JSON object, or the error Salesforce gives for any other JSON value."""
    if isinstance(body, JsonObject):
        return body
    raise deserialize_error(type_name, body, (1, 1))
