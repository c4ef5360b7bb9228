"""Typed read models of Bokio payloads (pydantic v2).

Why pydantic and not hand-written dataclass parsers: camelCase aliases, date/date-time parsing and
nested lists come for free and are declarative, and the models stay frozen. Three rules make them
safe against an API that grows without a version bump:

- unknown fields are ignored by the typed view but kept: every model has ``raw``, the exact dict
  it was built from (money inside it is Decimal because the client parses with
  ``parse_float=Decimal``), so the mirror can store the payload and replay upstream changes;
- enums are *lenient*: a known value becomes the StrEnum member, an unknown one stays a ``str``
  (``status == InvoiceStatus.PAID`` works either way because StrEnum compares equal to str);
- documented quirks are absorbed here (reference §17): ``settlementDetails`` vs
  ``invoiceSettlementDetails``, ``fileName`` vs ``name`` on attachment refs, wrapped
  ``{"companyInformation": …}`` / ``{"fiscalYear": …}`` single-object bodies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr, model_validator
from pydantic.alias_generators import to_camel

from syncd.domain.invoice_math import Status
from syncd.domain.models import SettlementType, VatScheme

E = TypeVar("E", bound=StrEnum)


def _lenient(enum_cls: type[E]) -> Callable[[Any], E | str]:
    def parse(value: Any) -> E | str:
        if isinstance(value, enum_cls):
            return value
        try:
            return enum_cls(value)
        except ValueError:
            return str(value)

    return parse


# Bokio's invoice statuses, settlement types and VAT schemes are domain facts: one enum each,
# shared with the matcher and syncd.domain.invoice_math rather than a second copy here.
InvoiceStatus = Status


class CustomerType(StrEnum):
    COMPANY = "company"
    PRIVATE = "private"


class AccountingMethod(StrEnum):
    CASH = "cash"
    ACCRUAL = "accrual"


class FiscalYearStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


InvoiceStatusField = Annotated[InvoiceStatus | str, PlainValidator(_lenient(InvoiceStatus))]
SettlementTypeField = Annotated[SettlementType | str, PlainValidator(_lenient(SettlementType))]
VatSchemeField = Annotated[VatScheme | str, PlainValidator(_lenient(VatScheme))]
CustomerTypeField = Annotated[CustomerType | str, PlainValidator(_lenient(CustomerType))]
AccountingMethodField = Annotated[AccountingMethod | str, PlainValidator(_lenient(AccountingMethod))]
FiscalYearStatusField = Annotated[FiscalYearStatus | str, PlainValidator(_lenient(FiscalYearStatus))]


class BokioModel(BaseModel):
    """Frozen, camelCase-aliased, unknown fields tolerated and kept in :attr:`raw`."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")
    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: Callable[[Any], Self]) -> Self:
        obj = handler(data)
        if isinstance(data, dict):
            obj._raw = dict(data)
        return obj

    @property
    def raw(self) -> dict[str, Any]:
        """The payload exactly as Bokio sent it (a copy-free view; do not mutate)."""
        return self._raw


class Ref(BokioModel):
    id: str


class CustomerRef(BokioModel):
    id: str | None = None
    name: str | None = None
    customer_number: str | None = None


class ContactDetailRef(BokioModel):
    id: str | None = None
    email: str | None = None
    phone: str | None = None


class AttachmentRef(BokioModel):
    """Schema says ``name``, examples say ``fileName``; either fills :attr:`name`."""

    id: str | None = None
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _file_name(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("name") is None and "fileName" in data:
            return {**data, "name": data["fileName"]}
        return data


class Address(BokioModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    country_subdivision: str | None = None


class CompanyInformation(BokioModel):
    id: str
    company_type: str | None = None
    name: str | None = None
    organization_number: str | None = None
    phone: str | None = None
    email: str | None = None
    has_bba: bool | None = Field(default=None, alias="hasBBA")
    address: Address | None = None


class Account(BokioModel):
    account: int
    name: str | None = None
    account_type: str | None = None
    account_balance: Decimal | None = None


class FiscalYear(BokioModel):
    id: str
    start_date: dt.date
    end_date: dt.date
    accounting_method: AccountingMethodField | None = None
    status: FiscalYearStatusField | None = None


class ContactDetail(BokioModel):
    id: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    is_default: bool | None = None


class Customer(BokioModel):
    id: str
    name: str
    type: CustomerTypeField | None = None
    vat_number: str | None = None
    org_number: str | None = None
    payment_terms: str | None = None
    contacts_details: list[ContactDetail] = Field(default_factory=list)
    address: Address | None = None
    language: str | None = None
    modified_date_time: dt.datetime | None = None
    customer_number: str | None = None


class LineItem(BokioModel):
    """One model for both ``salesItem`` and ``descriptionOnlyItem`` lines; absent fields are None."""

    id: int | None = None
    item_type: str | None = None
    description: str | None = None
    item_ref: Ref | None = None
    product_type: str | None = None
    unit_type: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    tax_rate: Decimal | None = None
    bookkeeping_account_number: int | None = None


class _InvoiceBase(BokioModel):
    id: str
    customer_ref: CustomerRef | None = None
    contact_detail_ref: ContactDetailRef | None = None
    invoice_number: str | None = None
    order_number_reference: str | None = None
    project_reference: str | None = None
    buyer_reference: str | None = None
    contract_reference: str | None = None
    currency: str = "SEK"
    currency_rate: Decimal | None = None
    total_amount: Decimal | None = None
    total_tax: Decimal | None = None
    paid_amount: Decimal | None = None
    due_date: dt.date | None = None
    published_date_time: dt.datetime | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    billing_address: Address | None = None
    delivery_address: Address | None = None
    attachment_refs: list[AttachmentRef] | None = None
    journal_entry_ref: Ref | None = None
    metadata: dict[str, str] | None = None


class Invoice(_InvoiceBase):
    type: str | None = None
    payment_reference: str | None = None
    status: InvoiceStatusField | None = None
    invoice_date: dt.date | None = None
    credit_note_refs: list[Ref] | None = None


class InvoiceRef(BokioModel):
    id: str
    invoice_number: str | None = None


class CreditNote(_InvoiceBase):
    invoice_ref: InvoiceRef | None = None
    status: str | None = None
    credit_date: dt.date | None = None


class InvoicePayment(BokioModel):
    id: str
    invoice_id: str | None = None
    date: dt.date
    sum_base_currency: Decimal
    bookkeeping_account_number: int | None = None
    journal_entry_ref: Ref | None = None


class SettlementDetails(BokioModel):
    date: dt.date
    sum_base_currency: Decimal
    vat_scheme: VatSchemeField | None = None


class InvoiceSettlement(BokioModel):
    """Reads both ``invoiceSettlementDetails`` (schema) and ``settlementDetails`` (record example)."""

    id: str
    invoice_id: str | None = None
    type: SettlementTypeField
    invoice_settlement_details: SettlementDetails
    journal_entry_ref: Ref | None = None

    @model_validator(mode="before")
    @classmethod
    def _details_alias(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and data.get("invoiceSettlementDetails") is None
            and "settlementDetails" in data
        ):
            return {**data, "invoiceSettlementDetails": data["settlementDetails"]}
        return data

    @property
    def details(self) -> SettlementDetails:
        return self.invoice_settlement_details


class JournalEntryTag(BokioModel):
    tag_id: str
    weight: Decimal = Decimal(1)
    tag_group_id: str | None = None
    tag_name: str | None = None
    tag_group_name: str | None = None


class JournalEntryItem(BokioModel):
    id: int | None = None
    debit: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    account: int
    tags: list[JournalEntryTag] = Field(default_factory=list)


class JournalEntry(BokioModel):
    id: str
    title: str | None = None
    journal_entry_number: str | None = None
    date: dt.date | None = None
    items: list[JournalEntryItem] = Field(default_factory=list)
    tags: list[JournalEntryTag] = Field(default_factory=list)
    reversing_journal_entry_id: str | None = None
    reversed_by_journal_entry_id: str | None = None
    upload_ref: Ref | None = None


class Tag(BokioModel):
    id: str
    name: str | None = None


class TagGroup(BokioModel):
    id: str
    name: str | None = None
    alias: str | None = None
    dimension_number: int | None = None
    tags: list[Tag] = Field(default_factory=list)


class Connection(BokioModel):
    """General API connection: one company that granted our public integration access."""

    id: str
    tenant_id: str | None = None
    tenant_name: str | None = None
    type: str | None = None


def unwrap(body: Any, key: str) -> Any:
    """Single-object bodies the saved spec wraps (``{"fiscalYear": {...}}``); accept both forms."""
    if isinstance(body, dict) and isinstance(body.get(key), dict) and "id" not in body:
        return body[key]
    return body
