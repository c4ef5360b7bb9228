"""Typed Bokio Company API and General API clients.

This module knows Bokio's paths and payload shapes only; limits, retries, deadline, error mapping
and the request ledger live in :mod:`syncd.bokio.engine`. The ``httpx.Client`` is injected
(tests pass ``httpx.MockTransport``, the composition root passes
:func:`~syncd.bokio.engine.build_http_client`); paths are the OpenAPI keys verbatim, which are
also the ``path_template`` reported to the ledger.

Objects that fail to parse raise :class:`~syncd.bokio.errors.MalformedRecordError` carrying the
raw dict; list iterators accept ``on_skip`` to report such a record and carry on instead.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pydantic

from syncd.bokio.auth import DEFAULT_BASE_URL, Auth
from syncd.bokio.engine import Engine, RequestRecord, RetryPolicy
from syncd.bokio.errors import ErrorContext, MalformedRecordError
from syncd.bokio.models import (
    Account,
    BokioModel,
    CompanyInformation,
    Connection,
    CreditNote,
    Customer,
    FiscalYear,
    Invoice,
    InvoicePayment,
    InvoiceSettlement,
    JournalEntry,
    Tag,
    TagGroup,
    unwrap,
)
from syncd.bokio.pagination import MAX_PAGE_SIZE, Page, PageNumberPaginator
from syncd.bokio.paths import INVOICE, PAYMENT, PAYMENTS, SETTLEMENT, SETTLEMENTS, SIE_DOWNLOAD, C
from syncd.bokio.query import Condition, Query, render
from syncd.bokio.ratelimit import RateLimiter
from syncd.bokio.writes import JournalEntryTagsWrite, PaymentWrite, SettlementWrite

M = TypeVar("M", bound=BokioModel)
QueryArg = Condition | Query | str | None
OnSkip = Callable[[MalformedRecordError], None]


def parse_model(model: type[M], body: Any, ctx: ErrorContext | None = None) -> M:
    """Validate one object, turning pydantic's error into a skippable, record-carrying one."""
    try:
        return model.model_validate(body)
    except pydantic.ValidationError as exc:
        record_id = body.get("id") if isinstance(body, dict) else None
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise MalformedRecordError(
            f"{model.__name__} {record_id or ''} does not parse: {problems}", record=body, context=ctx
        ) from None


class _Base:
    """Paging and parsing shared by both API sets."""

    _engine: Engine

    def _get(
        self, model: type[M], template: str, ids: Mapping[str, str | int], wrapped: str | None = None
    ) -> M:
        body = self._engine.request("GET", template, ids)
        return parse_model(model, unwrap(body, wrapped) if wrapped else body, self._ctx("GET", template))

    def _write(
        self, method: str, model: type[M], template: str, ids: Mapping[str, str | int], body: Any = None
    ) -> M:
        answer = self._engine.request(method, template, ids, body=body)
        return parse_model(model, answer, self._ctx(method, template))

    def _ctx(self, method: str, template: str) -> ErrorContext:
        return ErrorContext(company_id=self._engine.company_id, method=method, path_template=template)

    def iter_pages(
        self,
        model: type[M],
        template: str,
        ids: Mapping[str, str | int],
        *,
        query: QueryArg = None,
        page_size: int = MAX_PAGE_SIZE,
        extra: Mapping[str, str | int] | None = None,
        on_skip: OnSkip | None = None,
    ) -> Iterator[Page[M]]:
        """Fetch page after page until the paginator says stop (empty page, last page, or loop)."""
        paginator = PageNumberPaginator(page_size=page_size)
        ctx = self._ctx("GET", template)

        def item(raw: Any) -> M | None:
            try:
                return parse_model(model, raw, ctx)
            except MalformedRecordError as exc:
                if on_skip is None:
                    raise
                on_skip(exc)
                return None

        rendered = render(query)
        while not paginator.finished:
            params: dict[str, str | int] = {**paginator.params(), **(extra or {})}
            if rendered:
                params["query"] = rendered
            page = Page.parse(self._engine.request("GET", template, ids, params=params), item)
            paginator.advance(page, context=ctx)
            yield page

    def iter_items(
        self, model: type[M], template: str, ids: Mapping[str, str | int], **kwargs: Any
    ) -> Iterator[M]:
        for page in self.iter_pages(model, template, ids, **kwargs):
            yield from page.items


class BokioClient(_Base):
    """Company API for one company (``/companies/{companyId}/…``)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str = DEFAULT_BASE_URL,
        company_id: str,
        auth: Auth,
        limiter: RateLimiter,
        on_request: Callable[[RequestRecord], None] | None = None,
        deadline_s: float = 120.0,
        retry: RetryPolicy | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.company_id = company_id
        self._engine = Engine(
            http,
            base_url=base_url,
            company_id=company_id,
            auth=auth,
            limiter=limiter,
            on_request=on_request,
            deadline_s=deadline_s,
            retry=retry,
            now=now,
            rng=rng,
        )

    def __repr__(self) -> str:
        return f"BokioClient(company_id={self.company_id!r}, base_url={self._engine.base_url!r})"

    def _c(self, **ids: str | int) -> dict[str, str | int]:
        return {"companyId": self.company_id, **ids}

    # company, accounts, fiscal years ------------------------------------------------------
    def get_company_information(self) -> CompanyInformation:
        return self._get(CompanyInformation, C + "/company-information", self._c(), "companyInformation")

    def list_accounts(self, query: QueryArg = None) -> list[Account]:
        """Chart of accounts: a plain array, not paged."""
        rendered = render(query)
        body = self._engine.request(
            "GET", C + "/chart-of-accounts", self._c(), params={"query": rendered} if rendered else None
        )
        if not isinstance(body, list):
            body = [] if body is None else [body]
        return [parse_model(Account, item, self._ctx("GET", C + "/chart-of-accounts")) for item in body]

    def get_account(self, account: int) -> Account:
        return self._get(Account, C + "/chart-of-accounts/{account}", self._c(account=account))

    def iter_fiscal_years(self, query: QueryArg = None, **kw: Any) -> Iterator[FiscalYear]:
        return self.iter_items(FiscalYear, C + "/fiscal-years", self._c(), query=query, **kw)

    def get_fiscal_year(self, fiscal_year_id: str) -> FiscalYear:
        return self._get(
            FiscalYear, C + "/fiscal-years/{fiscalYearId}", self._c(fiscalYearId=fiscal_year_id), "fiscalYear"
        )

    def download_sie(self, fiscal_year_id: str) -> bytes:
        """The company's ledger for one fiscal year as a SIE 4 file (scope ``sie:read``), raw bytes.

        One counted request; a fiscal year Bokio does not know is a 404 ``NotFoundError``.
        """
        body: bytes = self._engine.request(
            "GET", SIE_DOWNLOAD, self._c(fiscalYearId=fiscal_year_id), accept="application/octet-stream"
        )
        return body

    # customers -----------------------------------------------------------------------------
    def iter_customers(self, query: QueryArg = None, **kw: Any) -> Iterator[Customer]:
        return self.iter_items(Customer, C + "/customers", self._c(), query=query, **kw)

    def get_customer(self, customer_id: str) -> Customer:
        return self._get(Customer, C + "/customers/{customerId}", self._c(customerId=customer_id))

    def create_customer(self, body: Mapping[str, Any]) -> Customer:
        """Wire-format body (camelCase); used by tests and the demo."""
        return self._write("POST", Customer, C + "/customers", self._c(), body)

    def update_customer(self, customer_id: str, body: Mapping[str, Any]) -> Customer:
        """PUT is a full replacement: GET, change, PUT back the whole object."""
        return self._write(
            "PUT", Customer, C + "/customers/{customerId}", self._c(customerId=customer_id), body
        )

    # invoices --------------------------------------------------------------------------------
    def iter_invoice_pages(self, query: QueryArg = None, **kw: Any) -> Iterator[Page[Invoice]]:
        """Pages, for pollers that commit a cursor per page."""
        return self.iter_pages(Invoice, C + "/invoices", self._c(), query=query, **kw)

    def iter_invoices(self, query: QueryArg = None, **kw: Any) -> Iterator[Invoice]:
        return self.iter_items(Invoice, C + "/invoices", self._c(), query=query, **kw)

    def get_invoice(self, invoice_id: str) -> Invoice:
        return self._get(Invoice, INVOICE, self._c(invoiceId=invoice_id))

    def create_invoice(self, body: Mapping[str, Any]) -> Invoice:
        """Create a draft; wire-format body (put an external id in ``metadata`` to find it again)."""
        return self._write("POST", Invoice, C + "/invoices", self._c(), body)

    def publish_invoice(self, invoice_id: str) -> Invoice:
        return self._write("POST", Invoice, INVOICE + "/publish", self._c(invoiceId=invoice_id))

    def record_invoice(self, invoice_id: str) -> Invoice:
        return self._write("POST", Invoice, INVOICE + "/record", self._c(invoiceId=invoice_id))

    def credit_invoice(self, invoice_id: str) -> CreditNote:
        """Draft credit note for the whole invoice (no body)."""
        return self._write("POST", CreditNote, INVOICE + "/credit", self._c(invoiceId=invoice_id))

    # payments --------------------------------------------------------------------------------
    def create_payment(self, invoice_id: str, payment: PaymentWrite) -> InvoicePayment:
        return self._write("POST", InvoicePayment, PAYMENTS, self._c(invoiceId=invoice_id), payment.to_body())

    def iter_payments(self, invoice_id: str, query: QueryArg = None, **kw: Any) -> Iterator[InvoicePayment]:
        return self.iter_items(InvoicePayment, PAYMENTS, self._c(invoiceId=invoice_id), query=query, **kw)

    def get_payment(self, invoice_id: str, payment_id: str) -> InvoicePayment:
        return self._get(InvoicePayment, PAYMENT, self._c(invoiceId=invoice_id, paymentId=payment_id))

    def delete_payment(self, invoice_id: str, payment_id: str) -> None:
        self._engine.request("DELETE", PAYMENT, self._c(invoiceId=invoice_id, paymentId=payment_id))

    def record_payment(self, invoice_id: str, payment_id: str) -> InvoicePayment:
        return self._write(
            "POST", InvoicePayment, PAYMENT + "/record", self._c(invoiceId=invoice_id, paymentId=payment_id)
        )

    # settlements -----------------------------------------------------------------------------
    def create_settlement(self, invoice_id: str, settlement: SettlementWrite) -> InvoiceSettlement:
        return self._write(
            "POST", InvoiceSettlement, SETTLEMENTS, self._c(invoiceId=invoice_id), settlement.to_body()
        )

    def iter_settlements(
        self, invoice_id: str, query: QueryArg = None, **kw: Any
    ) -> Iterator[InvoiceSettlement]:
        return self.iter_items(
            InvoiceSettlement, SETTLEMENTS, self._c(invoiceId=invoice_id), query=query, **kw
        )

    def get_settlement(self, invoice_id: str, settlement_id: str) -> InvoiceSettlement:
        return self._get(
            InvoiceSettlement, SETTLEMENT, self._c(invoiceId=invoice_id, settlementId=settlement_id)
        )

    def delete_settlement(self, invoice_id: str, settlement_id: str) -> None:
        self._engine.request("DELETE", SETTLEMENT, self._c(invoiceId=invoice_id, settlementId=settlement_id))

    def record_settlement(self, invoice_id: str, settlement_id: str) -> InvoiceSettlement:
        return self._write(
            "POST",
            InvoiceSettlement,
            SETTLEMENT + "/record",
            self._c(invoiceId=invoice_id, settlementId=settlement_id),
        )

    # credit notes ----------------------------------------------------------------------------
    def iter_credit_notes(self, query: QueryArg = None, **kw: Any) -> Iterator[CreditNote]:
        return self.iter_items(CreditNote, C + "/credit-notes", self._c(), query=query, **kw)

    def get_credit_note(self, credit_note_id: str) -> CreditNote:
        return self._get(CreditNote, C + "/credit-notes/{creditNoteId}", self._c(creditNoteId=credit_note_id))

    # journal entries and tags ----------------------------------------------------------------
    def iter_journal_entries(
        self, query: QueryArg = None, *, tag_id: str | None = None, **kw: Any
    ) -> Iterator[JournalEntry]:
        extra = {"tagId": tag_id} if tag_id else None
        return self.iter_items(
            JournalEntry, C + "/journal-entries", self._c(), query=query, extra=extra, **kw
        )

    def get_journal_entry(self, journal_entry_id: str) -> JournalEntry:
        return self._get(
            JournalEntry, C + "/journal-entries/{journalEntryId}", self._c(journalEntryId=journal_entry_id)
        )

    def set_journal_entry_tags(self, journal_entry_id: str, tags: JournalEntryTagsWrite) -> JournalEntry:
        """Replace all tags of an entry (needs the Tags price-plan feature)."""
        return self._write(
            "PUT",
            JournalEntry,
            C + "/journal-entries/{journalEntryId}/tags",
            self._c(journalEntryId=journal_entry_id),
            tags.to_body(),
        )

    def iter_tag_groups(self, query: QueryArg = None, **kw: Any) -> Iterator[TagGroup]:
        return self.iter_items(TagGroup, C + "/tag-groups", self._c(), query=query, **kw)

    def get_tag_group(self, tag_group_id: str) -> TagGroup:
        return self._get(TagGroup, C + "/tag-groups/{tagGroupId}", self._c(tagGroupId=tag_group_id))

    def create_tag_group(self, name: str, alias: str, dimension_number: int | None = None) -> TagGroup:
        body = {"name": name, "alias": alias, "dimensionNumber": dimension_number}
        return self._write("POST", TagGroup, C + "/tag-groups", self._c(), body)

    def create_tag(self, tag_group_id: str, name: str) -> Tag:
        return self._write(
            "POST", Tag, C + "/tag-groups/{tagGroupId}/tags", self._c(tagGroupId=tag_group_id), {"name": name}
        )


class BokioGeneralClient(_Base):
    """General API (``/connections``) with a client-credentials token; not company-scoped."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str = DEFAULT_BASE_URL,
        auth: Auth,
        limiter: RateLimiter,
        on_request: Callable[[RequestRecord], None] | None = None,
        deadline_s: float = 120.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._engine = Engine(
            http,
            base_url=base_url,
            company_id=None,
            auth=auth,
            limiter=limiter,
            on_request=on_request,
            deadline_s=deadline_s,
            retry=retry,
        )

    def iter_connections(self, tenant_id: str | None = None, **kw: Any) -> Iterator[Connection]:
        extra = {"tenantId": tenant_id} if tenant_id else None
        return self.iter_items(Connection, "/connections", {}, extra=extra, **kw)

    def get_connection(self, connection_id: str) -> Connection:
        return self._get(Connection, "/connections/{connectionId}", {"connectionId": connection_id})

    def delete_connection(self, connection_id: str) -> None:
        """Revokes tokens and permissions; data created through the integration stays."""
        self._engine.request("DELETE", "/connections/{connectionId}", {"connectionId": connection_id})
