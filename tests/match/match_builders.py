"""Builders for matcher tests: realistic Swedish defaults, override what the test is about."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from syncd.domain.models import BankLine, Direction, OpenInvoice
from syncd.domain.money import quantize
from syncd.domain.references import make_ocr

TODAY = dt.date(2026, 3, 2)
COMPANY = "bolaget-ab"


def invoice(
    number: int,
    amount: str,
    customer: str = "Bergström Bygg AB",
    *,
    company: str = COMPANY,
    currency: str = "SEK",
    rate: str = "1",
    ocr: str | None = None,
    age: int = 20,
    outstanding: str | None = None,
) -> OpenInvoice:
    gross = Decimal(amount)
    left = Decimal(outstanding) if outstanding is not None else gross
    issued = TODAY - dt.timedelta(days=age)
    return OpenInvoice(
        company_id=company,
        bokio_id=f"{company}-inv-{number}",
        invoice_number=str(number),
        ocr=ocr if ocr is not None else make_ocr(f"{number}7"),
        customer_id="cust-" + customer.lower().replace(" ", "-"),
        customer_name=customer,
        currency=currency,
        currency_rate=Decimal(rate),
        gross_amount=gross,
        outstanding=left,
        outstanding_sek=quantize(left * Decimal(rate)),
        invoice_date=issued,
        due_date=issued + dt.timedelta(days=30),
    )


def ocr_of(number: int) -> str:
    return make_ocr(f"{number}7")


def line(
    amount: str,
    *,
    id: str = "bl-1",
    company: str = COMPANY,
    refs: tuple[str, ...] = (),
    text: str = "",
    payer: str = "",
    direction: Direction = Direction.CREDIT,
    reversal: bool = False,
    currency: str = "SEK",
    booked: dt.date = TODAY,
    payout: str | None = None,
) -> BankLine:
    return BankLine(
        company_id=company,
        id=id,
        booking_date=booked,
        amount=Decimal(amount),
        currency=currency,
        direction=direction,
        is_reversal=reversal,
        references=refs,
        free_text=text,
        payer_name=payer,
        psp_payout_id=payout,
    )
