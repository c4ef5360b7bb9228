"""Bokio's OpenAPI types for the body fields the sandbox accepts, checked before any rule or write.

A wrong JSON type must be a 400 at its field, not a crash in a handler or a value stored and
echoed back (issue 13 item 7). Shapes are transcribed from the company spec's request schemas
(``customer``, ``invoice`` and its items, ``creditNote``, ``invoicePayment``, the settlements,
``tagGroupWrite``, ``tagValueWrite``, ``journalEntryTags``); a field absent from a shape is not
checked here. ``null`` passes (the rules in :mod:`.validation` decide what is required).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from syncd.sandbox.errors import FieldError

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# A shape is a kind name, a nested mapping (an object with those fields) or a one-item list (an
# array of that shape).
Shape = str | Mapping[str, Any] | list[Any]
Shapes = Mapping[str, Shape]

_ADDRESS = {
    "line1": "string",
    "line2": "string",
    "city": "string",
    "postalCode": "string",
    "country": "string",
    "countrySubdivision": "string",
}
CUSTOMER: Shapes = {
    "name": "string",
    "type": "string",
    "vatNumber": "string",
    "orgNumber": "string",
    "paymentTerms": "string",
    "customerNumber": "string",
    "language": "string",
    "address": _ADDRESS,
    "contactsDetails": [
        {"id": "uuid", "name": "string", "email": "string", "phone": "string", "isDefault": "boolean"}
    ],
}
_LINE = {
    "id": "int64",
    "itemRef": "object",
    "description": "string",
    "itemType": "string",
    "productType": "string",
    "unitType": "string",
    "quantity": "number",
    "unitPrice": "number",
    "taxRate": "number",
    "bookkeepingAccountNumber": "int32",
    "taxReduction": "object",
}
_REFERENCES = {
    "orderNumberReference": "string",
    "projectReference": "string",
    "buyerReference": "string",
    "contractReference": "string",
}
INVOICE: Shapes = {
    "type": "string",
    "customerRef": {"id": "uuid"},
    "contactDetailRef": "object",
    **_REFERENCES,
    "currency": "string",
    "currencyRate": "number",
    "invoiceDate": "string",
    "dueDate": "string",
    "lineItems": [_LINE],
    "deliveryAddress": "object",
    "taxReduction": "object",
    "metadata": "object",
}
CREDIT_NOTE: Shapes = {
    **_REFERENCES,
    "currency": "string",
    "currencyRate": "number",
    "creditDate": "string",
    "dueDate": "string",
    "lineItems": [_LINE],
    "deliveryAddress": "object",
    "metadata": "object",
}
SETTLEMENT: Shapes = {
    "type": "string",
    "invoiceSettlementDetails": {"date": "string", "sumBaseCurrency": "number", "vatScheme": "string"},
}
PAYMENT: Shapes = {"date": "string", "sumBaseCurrency": "number", "bookkeepingAccountNumber": "int32"}
TAG_GROUP: Shapes = {"name": "string", "alias": "string", "dimensionNumber": "int32"}
TAG_VALUE: Shapes = {"name": "string"}
_TAGS = [{"tagId": "uuid", "weight": "number"}]
ENTRY_TAGS: Shapes = {"tags": _TAGS, "items": [{"id": "int64", "tags": _TAGS}]}


def is_uuid(value: Any) -> bool:
    """Whether ``value`` is a string in the spec's ``format: uuid`` (8-4-4-4-12 hex digits)."""
    return isinstance(value, str) and _UUID.match(value) is not None


def type_errors(body: Any, shape: Shapes) -> list[FieldError]:
    """Every field of ``body`` (an object) whose JSON type breaks ``shape``, each at its pointer."""
    errors: list[FieldError] = []
    if isinstance(body, dict):
        _object(errors, body, shape, "#")
    return errors


def _object(errors: list[FieldError], body: dict[str, Any], shape: Shapes, pointer: str) -> None:
    for key, expected in shape.items():
        if key in body:
            _value(errors, body[key], expected, f"{pointer}/{key}")


def _value(errors: list[FieldError], value: Any, expected: Shape, pointer: str) -> None:
    if value is None:
        return
    if isinstance(expected, Mapping):
        if not isinstance(value, dict):
            errors.append(FieldError(pointer, "The field must be an object"))
        else:
            _object(errors, value, expected, pointer)
    elif isinstance(expected, list):
        if not isinstance(value, list):
            errors.append(FieldError(pointer, "The field must be an array"))
        else:
            for index, item in enumerate(value):
                _value(errors, item, expected[0], f"{pointer}/{index}")
    else:
        message = _kind_error(value, expected)
        if message:
            errors.append(FieldError(pointer, message))


def _kind_error(value: Any, kind: str) -> str | None:  # noqa: PLR0911 - one return per kind
    """What is wrong with ``value`` as a ``kind``, or None."""
    if kind == "string":
        return None if isinstance(value, str) else "The field must be a string"
    if kind == "uuid":
        return None if is_uuid(value) else "The field must be a UUID"
    if kind == "boolean":
        return None if isinstance(value, bool) else "The field must be true or false"
    if kind == "object":
        return None if isinstance(value, dict) else "The field must be an object"
    if kind == "array":
        return None if isinstance(value, list) else "The field must be an array"
    is_number = isinstance(value, int | Decimal) and not isinstance(value, bool)
    if kind == "number":
        return None if is_number and Decimal(value).is_finite() else "The field must be a number"
    low, high = INT32 if kind == "int32" else INT64
    if not isinstance(value, int) or isinstance(value, bool):  # 6.0 too: it would be stored as 6.0
        return "The field must be an integer"
    if not low <= value <= high:
        return f"The field must be an integer between {low} and {high}"
    return None
