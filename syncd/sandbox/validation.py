"""Request-body validation with Bokio's rules: every problem at once, each with a ``#/`` pointer."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, TypeGuard

from syncd.sandbox import fieldtypes
from syncd.sandbox.errors import FieldError
from syncd.sandbox.state import PAYMENT_ACCOUNTS, Company

TAX_RATES = frozenset({Decimal(0), Decimal(6), Decimal(12), Decimal(25)})
UNIT_TYPES = frozenset(
    (
        "unspecified",
        "piece",
        "hour",
        "day",
        "month",
        "kilogram",
        "gram",
        "liter",
        "meter",
        "centimeter",
        "millimeter",
        "meterSquared",
        "meterCubic",
        "mile",
        "kilometer",
        "gigabyte",
        "hectar",
        "words",
        "year",
        "week",
        "minute",
        "megabyte",
        "ton",
    )
)
_METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Errors(list[FieldError]):
    """Collects field errors; ``add`` takes a pointer without the leading ``#``."""

    def add(self, pointer: str, message: str) -> None:
        self.append(FieldError("#" + pointer, message))


def _is_number(value: Any) -> TypeGuard[int | Decimal]:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _check_date(errors: Errors, body: dict[str, Any], key: str, label: str, *, required: bool) -> None:
    value = body.get(key)
    if value is None:
        if required:
            errors.add(f"/{key}", f"The {label} field is required")
        return
    try:
        date.fromisoformat(str(value))
    except ValueError:
        errors.add(f"/{key}", f"The {label} field must be a date (YYYY-MM-DD)")


def check_object(body: Any, shape: fieldtypes.Shapes | None = None) -> Errors:
    """A body must be a JSON object whose fields have ``shape``'s JSON types.

    A non-object is one error at ``#``; wrong types are one error each, and the rules that follow
    are skipped (they assume the types).
    """
    errors = Errors()
    if not isinstance(body, dict):
        errors.append(FieldError("#", "The request body must be a JSON object"))
    elif shape is not None:
        errors.extend(fieldtypes.type_errors(body, shape))
    return errors


def line_item_errors(errors: Errors, line: Any, pointer: str) -> None:
    """Rules for one ``invoiceItem`` (sales or description-only)."""
    if not isinstance(line, dict):
        errors.add(pointer, "A line item must be an object")
        return
    if not line.get("description"):
        errors.add(f"{pointer}/description", "The description field is required")
    kind = line.get("itemType")
    if kind not in ("salesItem", "descriptionOnlyItem"):
        errors.add(f"{pointer}/itemType", "The item type field must be salesItem or descriptionOnlyItem")
        return
    if kind == "salesItem":
        _sales_item_errors(errors, line, pointer)


def _sales_item_errors(errors: Errors, line: dict[str, Any], pointer: str) -> None:
    """A ``salesItem``: product and unit type, quantity, unit price and a Swedish VAT rate."""
    if line.get("productType") not in ("goods", "services"):
        errors.add(f"{pointer}/productType", "The product type field must be goods or services")
    if line.get("unitType", "unspecified") not in UNIT_TYPES:
        errors.add(f"{pointer}/unitType", f"Unknown unit type: {line.get('unitType')}")
    if "quantity" in line and not _is_number(line["quantity"]):
        errors.add(f"{pointer}/quantity", "The quantity field must be a number")
    if not _is_number(line.get("unitPrice")):
        errors.add(f"{pointer}/unitPrice", "The unit price field is required")
    _tax_rate_errors(errors, line.get("taxRate"), pointer)


def _tax_rate_errors(errors: Errors, rate: Any, pointer: str) -> None:
    if rate is None:
        errors.add(f"{pointer}/taxRate", "The tax rate field is required")
    elif not _is_number(rate) or Decimal(rate) not in TAX_RATES:
        errors.add(f"{pointer}/taxRate", "The tax rate must be one of 0, 6, 12, 25")


def line_items_errors(errors: Errors, body: dict[str, Any]) -> None:
    """``lineItems`` present, a non-empty array, each line valid."""
    lines = body.get("lineItems")
    if lines is None:
        errors.add("/lineItems", "The line items field is required")
    elif not isinstance(lines, list) or not lines:
        errors.add("/lineItems", "The line items field must contain at least one line")
    else:
        for index, line in enumerate(lines):
            line_item_errors(errors, line, f"/lineItems/{index}")


def invoice_errors(body: Any, company: Company) -> Errors:
    """Create/update invoice rules (spec + reference §3.3 metadata limits)."""
    errors = check_object(body, fieldtypes.INVOICE)
    if errors:
        return errors
    _check_date(errors, body, "invoiceDate", "invoice date", required=True)
    _check_date(errors, body, "dueDate", "due date", required=False)
    line_items_errors(errors, body)
    ref = body.get("customerRef")
    customer_id = ref.get("id") if isinstance(ref, dict) else None
    if customer_id is None:
        errors.add("/customerRef/id", "The customer field is required")
    elif customer_id not in company.customers:
        errors.add("/customerRef/id", f"Customer with value {customer_id} was not found")
    if body.get("type", "invoice") != "invoice":
        errors.add("/type", "Only type invoice can be created")
    currency = body.get("currency", "SEK")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        errors.add("/currency", f"Invalid currency code: {currency}")
    rate = body.get("currencyRate", Decimal(1))
    if not _is_number(rate) or Decimal(rate) <= 0:
        errors.add("/currencyRate", "The currency rate must be a positive number")
    metadata_errors(errors, body.get("metadata"))
    return errors


def metadata_errors(errors: Errors, metadata: Any) -> None:
    """At most 10 keys; keys <= 25 chars matching ``[A-Za-z_][A-Za-z0-9_]*``; values <= 250."""
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        errors.add("/metadata", "Metadata must be an object of strings")
        return
    if len(metadata) > 10:
        errors.add("/metadata", "Metadata can have at most 10 keys")
    for key, value in metadata.items():
        if len(key) > 25 or not _METADATA_KEY.match(key):
            errors.add(
                f"/metadata/{key}", "Metadata keys must start with a letter or _ and be at most 25 characters"
            )
        if not isinstance(value, str) or len(value) > 250:
            errors.add(f"/metadata/{key}", "Metadata values must be strings of at most 250 characters")


def customer_errors(body: Any) -> Errors:
    """Create/update customer rules (reference §10)."""
    errors = check_object(body, fieldtypes.CUSTOMER)
    if errors:
        return errors
    if not body.get("name"):
        errors.add("/name", "The name field is required")
    if body.get("type") is None:
        errors.add("/type", "The type field is required")
    elif body["type"] not in ("company", "private"):
        errors.add("/type", "The type field must be company or private")
    if body.get("language", "sv") not in ("sv", "en"):
        errors.add("/language", "The language field must be sv or en")
    address = body.get("address")
    if isinstance(address, dict):
        for key in ("line1", "city", "postalCode", "country"):
            if not address.get(key):
                errors.add(f"/address/{key}", f"The {key} field is required")
        country = address.get("country")
        if country and not _COUNTRY.match(str(country)):
            errors.add("/address/country", f"Invalid country code: {country}")
    return errors


def payment_errors(body: Any, company: Company) -> Errors:
    """Invoice payment rules; ``bookkeepingAccountNumber`` defaults to 1930 (reference §6)."""
    errors = check_object(body, fieldtypes.PAYMENT)
    if errors:
        return errors
    _check_date(errors, body, "date", "date", required=True)
    amount = body.get("sumBaseCurrency")
    if amount is None:
        errors.add("/sumBaseCurrency", "The sum base currency field is required")
    elif not _is_number(amount) or Decimal(amount) == 0:
        errors.add("/sumBaseCurrency", "The sum base currency field must be a non-zero number")
    account = body.get("bookkeepingAccountNumber", 1930)
    if account not in PAYMENT_ACCOUNTS or account not in company.accounts:
        errors.add("/bookkeepingAccountNumber", f"Account {account} has no payment account details")
    return errors


SETTLEMENT_TYPES = ("currency", "bankFee", "paymentServiceFee")
VAT_SCHEMES = ("domestic", "eu", "nonEu", "vatExempt")


def settlement_errors(body: Any) -> Errors:
    """Settlement rules: standard details allow no extra keys; PSP fees need ``vatScheme`` and > 0."""
    errors = check_object(body, fieldtypes.SETTLEMENT)
    if errors:
        return errors
    kind = body.get("type")
    if kind is None:
        errors.add("/type", "The type field is required")
    elif kind not in SETTLEMENT_TYPES:
        errors.add("/type", f"The type field must be one of {', '.join(SETTLEMENT_TYPES)}")
    details = body.get("invoiceSettlementDetails")
    if not isinstance(details, dict):
        errors.add("/invoiceSettlementDetails", "The invoice settlement details field is required")
        return errors
    _settlement_details_errors(errors, kind, details)
    return errors


_DETAILS = "/invoiceSettlementDetails"


def _settlement_details_errors(errors: Errors, kind: Any, details: dict[str, Any]) -> None:
    """The date, the non-zero sum, and the keys the settlement's type allows."""
    date_errors = Errors()
    _check_date(date_errors, details, "date", "date", required=True)
    errors.extend(FieldError(e.field.replace("#/date", f"#{_DETAILS}/date"), e.message) for e in date_errors)
    amount = details.get("sumBaseCurrency")
    if amount is None:
        errors.add(f"{_DETAILS}/sumBaseCurrency", "The sum base currency field is required")
    elif not _is_number(amount) or Decimal(amount) == 0:
        errors.add(f"{_DETAILS}/sumBaseCurrency", "The sum base currency field must be a non-zero number")
    if kind == "paymentServiceFee":
        _fee_details_errors(errors, details, amount)
        return
    for extra in sorted(set(details) - {"date", "sumBaseCurrency"}):
        errors.add(f"{_DETAILS}/{extra}", f"The field {extra} is not allowed for settlement type {kind}")


def _fee_details_errors(errors: Errors, details: dict[str, Any], amount: Any) -> None:
    """A payment-service fee names its VAT scheme and is greater than zero."""
    if details.get("vatScheme") not in VAT_SCHEMES:
        errors.add(f"{_DETAILS}/vatScheme", f"The vat scheme field must be one of {', '.join(VAT_SCHEMES)}")
    if _is_number(amount) and Decimal(amount) <= 0:
        errors.add(f"{_DETAILS}/sumBaseCurrency", "A payment service fee must be greater than zero")
