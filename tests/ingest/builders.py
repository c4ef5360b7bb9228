"""Realistic camt.053 / camt.054 files for the ingest tests, built from a few facts each.

A Swedish company (Fjällbacka Snickeri AB) with bank account 8327-9,123 456 789-0 at Swedbank and
bankgiro 5050-1055; customers pay invoices with OCRs made by :func:`make_ocr`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from syncd.domain.references import make_ocr

GOLDEN = Path(__file__).resolve().parents[1] / "bankfiles" / "golden"
COMPANY = "5f0c3d1e-6a2b-4c7d-9e8f-0a1b2c3d4e5f"
ACCOUNT = "8327-9,123 456 789-0"
BANKGIRO = "50501055"


def ocr(invoice_number: int) -> str:
    """The OCR Bokio would print on invoice ``invoice_number``."""
    return make_ocr(str(invoice_number))


@dataclass(frozen=True)
class Payment:
    """One customer payment (a camt entry, or a TxDtls inside a batch)."""

    amount: str
    payer: str
    ref: str
    ocr: str = ""
    text: str = ""

    def remittance(self) -> str:
        if self.ocr:
            return (
                "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{self.ocr}</Ref></CdtrRefInf></Strd></RmtInf>"
            )
        return f"<RmtInf><Ustrd>{escape(self.text)}</Ustrd></RmtInf>" if self.text else ""

    def tx_details(self) -> str:
        return (
            f"<TxDtls><Refs><AcctSvcrRef>{self.ref}</AcctSvcrRef></Refs>"
            f'<AmtDtls><TxAmt><Amt Ccy="SEK">{self.amount}</Amt></TxAmt></AmtDtls>'
            f"<RltdPties><Dbtr><Nm>{escape(self.payer)}</Nm></Dbtr></RltdPties>"
            f"{self.remittance()}</TxDtls>"
        )


@dataclass(frozen=True)
class Entry:
    """A booked camt ``Ntry``: a single payment, or a batch (with or without its details)."""

    day: str
    ref: str
    amount: str = ""
    payment: Payment | None = None
    batch_count: int | None = None
    details: tuple[Payment, ...] = ()
    text: str = ""
    credit: bool = True

    def xml(self) -> str:
        amount = self.amount or (self.payment.amount if self.payment else "")
        batch = ""
        if self.batch_count is not None:
            batch = f'<Btch><NbOfTxs>{self.batch_count}</NbOfTxs><TtlAmt Ccy="SEK">{amount}</TtlAmt></Btch>'
        inner = "".join(p.tx_details() for p in self.details)
        if self.payment is not None:
            inner = self.payment.tx_details()
        details = f"<NtryDtls>{batch}{inner}</NtryDtls>" if batch or inner else ""
        info = f"<AddtlNtryInf>{escape(self.text)}</AddtlNtryInf>" if self.text else ""
        return (
            f'<Ntry><Amt Ccy="SEK">{amount}</Amt><CdtDbtInd>{"CRDT" if self.credit else "DBIT"}</CdtDbtInd>'
            f"<Sts>BOOK</Sts><BookgDt><Dt>{self.day}</Dt></BookgDt><ValDt><Dt>{self.day}</Dt></ValDt>"
            f"<AcctSvcrRef>{self.ref}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>BOOK</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"{details}{info}</Ntry>"
        )


def _sum(entries: tuple[Entry, ...] | list[Entry]) -> Decimal:
    total = Decimal(0)
    for e in entries:
        amount = Decimal(e.amount or (e.payment.amount if e.payment else "0"))
        total += amount if e.credit else -amount
    return total


@dataclass(frozen=True)
class Statement:
    """A camt.053 day statement (or several days) for the company's bank account."""

    statement_id: str
    day_from: str
    day_to: str
    entries: list[Entry] = field(default_factory=list)
    opening: Decimal = Decimal("10000.00")

    def xml(self) -> bytes:
        closing = self.opening + _sum(self.entries)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt>'
            f"<GrpHdr><MsgId>{self.statement_id}</MsgId><CreDtTm>{self.day_to}T23:10:00</CreDtTm></GrpHdr>"
            f"<Stmt><Id>{self.statement_id}</Id>"
            f"<FrToDt><FrDtTm>{self.day_from}T00:00:00</FrDtTm><ToDtTm>{self.day_to}T23:59:59</ToDtTm></FrToDt>"
            f"<Acct><Id><Othr><Id>{ACCOUNT}</Id><SchmeNm><Cd>BBAN</Cd></SchmeNm></Othr></Id><Ccy>SEK</Ccy></Acct>"
            f"{_balance('OPBD', self.opening, self.day_from)}{_balance('CLBD', closing, self.day_to)}"
            + "".join(e.xml() for e in self.entries)
            + "</Stmt></BkToCstmrStmt></Document>\n"
        ).encode()


def _balance(code: str, amount: Decimal, day: str) -> str:
    sign = "CRDT" if amount >= 0 else "DBIT"
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="SEK">{abs(amount):.2f}</Amt>'
        f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def notification(notification_id: str, deposit: Entry) -> bytes:
    """A camt.054 from Bankgirot for the company's bankgiro: one deposit with its payments."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>{notification_id}</MsgId><CreDtTm>{deposit.day}T06:12:40</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{notification_id}</Id>"
        f"<Acct><Id><Othr><Id>{BANKGIRO}</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id>"
        "<Ccy>SEK</Ccy><Ownr><Nm>Fjällbacka Snickeri AB</Nm></Ownr></Acct>"
        f"{deposit.xml()}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"
    ).encode()


BG_PAYMENTS = (
    Payment("12500.00", "Kalmar Rör & Värme AB", "BGC-000812-0001", ocr=ocr(104366)),
    Payment("3750.00", "Åsa Lindqvist", "BGC-000812-0002", text="Faktura 1044 och 1045, mvh Åsa"),
    Payment("2500.00", "Göteborgs Bageri HB", "BGC-000812-0003", ocr=ocr(104367)),
)
BG_TOTAL = "18750.00"


def bankgiro_notification(day: str = "2026-11-26") -> bytes:
    """Bankgirot's camt.054 with the three payments of deposit 812."""
    deposit = Entry(day, "BGC-DEP-000812", BG_TOTAL, batch_count=3, details=BG_PAYMENTS)
    return notification(f"BG{BANKGIRO}-{day.replace('-', '')}-1", deposit)


def batch_statement(day: str = "2026-11-26", *, amount: str = BG_TOTAL, count: int = 3) -> bytes:
    """The bank's camt.053 for ``day``: the bankgiro deposit as one batch credit, plus a card payment."""
    return Statement(
        f"SWED053-{day}",
        day,
        day,
        [
            Entry(
                day, f"SWB{day[-2:]}81201", amount, batch_count=count, text=f"BG INBET 5050-1055 {count} ST"
            ),
            Entry(day, f"SWB{day[-2:]}81202", "899.00", text="KORTKÖP ELEKTROSKANDIA", credit=False),
        ],
    ).xml()
