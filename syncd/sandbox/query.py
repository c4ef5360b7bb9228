"""Bokio's ``query`` filter grammar and page-number pagination (reference §3.1, §3.2).

Grammar (undocumented corners decided here): ``expr := and ('||' and)*``,
``and := clause ('&&' clause)*`` -- so ``&&`` binds tighter than ``||``, no parentheses;
``clause := field op value`` with ``op`` in ``== != >= <= > < ~``; values are unquoted and taken
verbatim up to the next ``&&``/``||``. String ``==`` and ``~`` are case-sensitive. A null field
matches only ``!=``. An unlisted field or an operator its type does not allow is a 400
``validation-error`` (Bokio does not say; rejecting shows client bugs early).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncd.sandbox.errors import ApiError, FieldError

OPERATORS = ("==", "!=", ">=", "<=", ">", "<", "~")
MAX_PAGE_SIZE = 100

# field type per resource; "metadata" enables metadata.<key> (string)
STRING, NUMBER, DATE, DATETIME = "string", "number", "date", "datetime"
_INVOICE_FIELDS = {
    "type": STRING,
    "customerRef": STRING,
    "customerRef.id": STRING,
    "orderNumberReference": STRING,
    "projectReference": STRING,
    "buyerReference": STRING,
    "contractReference": STRING,
    "currency": STRING,
    "totalAmount": NUMBER,
    "status": STRING,
    "invoiceDate": DATE,
    "dueDate": DATE,
    "metadata": STRING,
}
# Bokio changelog 2026-09-07: invoices filter by ``projectId``; the saved spec predates it.
FILTERABLE: dict[str, dict[str, str]] = {
    "invoices": {**_INVOICE_FIELDS, "projectId": STRING},
    "credit-notes": {**_INVOICE_FIELDS, "creditDate": DATE},
    "customers": {
        "name": STRING,
        "type": STRING,
        "vatNumber": STRING,
        "orgNumber": STRING,
        "modifiedDateTime": DATETIME,
        "customerNumber": STRING,
    },
    "journal-entries": {
        "title": STRING,
        "journalEntryNumber": STRING,
        "date": DATE,
        "reversingJournalEntryId": STRING,
        "reversedByJournalEntryId": STRING,
    },
    "payments": {"date": DATE, "sumBaseCurrency": NUMBER},
    "settlements": {"date": DATE, "sumBaseCurrency": NUMBER},
    "fiscal-years": {"startDate": DATE, "endDate": DATE, "accountingMethod": STRING, "status": STRING},
    "chart-of-accounts": {"account": NUMBER, "name": STRING, "accountType": STRING},
    "tag-groups": {"name": STRING, "dimensionNumber": NUMBER},
}
_ALLOWED_OPS = {
    STRING: {"==", "!=", "~"},
    NUMBER: {"==", "!=", ">=", "<=", ">", "<"},
    DATE: {"==", "!=", ">=", "<=", ">", "<"},
    DATETIME: {"==", "!=", ">=", "<=", ">", "<"},
}

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Clause:
    """One ``field op value`` comparison."""

    field: str
    op: str
    value: str
    kind: str


def _query_error(message: str) -> ApiError:
    return ApiError(400, "validation-error", message, errors=[FieldError("query", message)])


def parse_query(text: str, resource: str) -> list[list[Clause]]:
    """Parse into OR-groups of AND-ed clauses, checking fields against the allow-list.

    >>> parse_query("status!=draft&&totalAmount>=100||currency==EUR", "invoices")[1]
    [Clause(field='currency', op='==', value='EUR', kind='string')]
    """
    allowed = FILTERABLE.get(resource, {})
    groups: list[list[Clause]] = []
    for alternative in text.split("||"):
        group = []
        for raw in alternative.split("&&"):
            group.append(_parse_clause(raw.strip(), allowed, resource))
        groups.append(group)
    return groups


def _parse_clause(raw: str, allowed: Mapping[str, str], resource: str) -> Clause:
    positions = [(raw.find(op), -len(op), op) for op in OPERATORS if raw.find(op) > 0]
    if not raw or not positions:
        raise _query_error(f"Invalid query clause {raw!r}: expected <field><operator><value>")
    index, _, op = min(positions)
    field, value = raw[:index].strip(), raw[index + len(op) :]
    if field.startswith("metadata.") and "metadata" in allowed:
        kind = STRING
    elif field in allowed and field != "metadata":
        kind = allowed[field]
    else:
        names = ", ".join(sorted(allowed))
        raise _query_error(f"The field '{field}' cannot be used to filter {resource}. Allowed: {names}")
    if op not in _ALLOWED_OPS[kind]:
        raise _query_error(f"The operator '{op}' cannot be used on the {kind} field '{field}'")
    _coerce(kind, value, field)  # validate the literal now, not per row
    return Clause(field, op, value, kind)


def _coerce(kind: str, value: str, field: str) -> Any:
    try:
        if kind == NUMBER:
            return Decimal(value)
        if kind == DATE:
            return date.fromisoformat(value)
        if kind == DATETIME:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, InvalidOperation) as exc:
        raise _query_error(f"The value '{value}' is not a valid {kind} for '{field}'") from exc
    return value


def _lookup(item: Mapping[str, Any], field: str) -> Any:
    if field == "customerRef":
        field = "customerRef.id"
    current: Any = item
    for part in field.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _matches(item: Mapping[str, Any], clause: Clause) -> bool:
    actual = _lookup(item, clause.field)
    if actual is None:
        return clause.op == "!="
    wanted = _coerce(clause.kind, clause.value, clause.field)
    if clause.kind in (DATE, DATETIME):
        actual = _coerce(clause.kind, str(actual), clause.field)
        if clause.kind == DATETIME and actual.tzinfo is None:
            return False
    elif clause.kind == NUMBER:
        actual = Decimal(actual)
    else:
        actual = str(actual)
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">=": lambda a, b: a >= b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        "~": lambda a, b: b in a,
    }
    return comparisons[clause.op](actual, wanted)


def compile_query(text: str | None, resource: str) -> Predicate:
    """A predicate over rendered items; no query matches everything."""
    if not text:
        return lambda _item: True
    groups = parse_query(text, resource)
    return lambda item: any(all(_matches(item, c) for c in group) for group in groups)


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        message = f"The value '{raw}' is not valid for {name}"
        raise ApiError(400, "validation-error", message, errors=[FieldError(name, message)]) from exc
    if not INT32_MIN <= value <= INT32_MAX:  # the spec's int32: a bigger page is Bokio's 400, not an echo
        message = f"The value '{raw}' is not valid for {name}"
        raise ApiError(400, "validation-error", message, errors=[FieldError(name, message)])
    return value


def paginate(
    items: Sequence[dict[str, Any]], query: Mapping[str, str], *, default_size: int = 25
) -> dict[str, Any]:
    """Bokio's paged envelope. Order is creation order (Bokio documents none).

    ``pageSize`` outside 1..100 or ``page`` < 1 is a 400 (undocumented; strict to show bugs);
    a page past the end is an empty ``items`` list.

    >>> paginate([{"n": i} for i in range(5)], {"page": "2", "pageSize": "2"})["items"]
    [{'n': 2}, {'n': 3}]
    """
    page = _int_param(query, "page", 1)
    size = _int_param(query, "pageSize", default_size)
    errors = []
    if page < 1:
        errors.append(FieldError("page", "page must be 1 or greater"))
    if not 1 <= size <= MAX_PAGE_SIZE:
        errors.append(FieldError("pageSize", f"pageSize must be between 1 and {MAX_PAGE_SIZE}"))
    if errors:
        raise ApiError(400, "validation-error", f"Validation failed with {len(errors)} errors", errors)
    start = (page - 1) * size
    return {
        "totalItems": len(items),
        "totalPages": math.ceil(len(items) / size),
        "currentPage": page,
        "items": list(items[start : start + size]),
    }
