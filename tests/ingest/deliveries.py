"""One bank's payments delivered the way banks deliver them: camt.054, camt.053 with or without
details, re-sent messages — each rendering numbering its entries from 1, as real messages do.

A :class:`BankPayment` is one real payment; the renderers are free to leave out the bank's own
reference (banks that send none), the OCR (a statement without details) or anything else a real
delivery may lack. Tests use this to check that syncd stores each payment once however it comes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

ACCOUNT_IBAN = "SE4550000000058398257466"
BANKGIRO = "50501055"


@dataclass(frozen=True)
class BankPayment:
    """A customer's payment as the bank knows it."""

    key: int
    day: dt.date
    amount: Decimal
    payer: str
    ocr: str = ""
    text: str = ""
    bank_ref: str = ""

    @property
    def reference(self) -> str:
        return self.bank_ref or f"SEB{self.day:%y%m%d}{self.key:07d}"


def _remittance(payment: BankPayment) -> str:
    if payment.ocr:
        return (
            "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{payment.ocr}</Ref></CdtrRefInf></Strd></RmtInf>"
        )
    return f"<RmtInf><Ustrd>{escape(payment.text)}</Ustrd></RmtInf>" if payment.text else ""


def _entry(payment: BankPayment, number: int, *, refs: bool, details: bool, status: str = "BOOK") -> str:
    ref = f"<AcctSvcrRef>{payment.reference}</AcctSvcrRef>" if refs else ""
    booked = f"<BookgDt><Dt>{payment.day}</Dt></BookgDt>" if status == "BOOK" else ""
    inner = ""
    if details:
        inner = (
            "<NtryDtls><TxDtls>"
            f"<RltdPties><Dbtr><Nm>{escape(payment.payer)}</Nm></Dbtr></RltdPties>"
            f"{_remittance(payment)}</TxDtls></NtryDtls>"
        )
    info = "" if details else f"<AddtlNtryInf>BG INBET {escape(payment.payer.upper()[:20])}</AddtlNtryInf>"
    return (
        f'<Ntry><NtryRef>{number}</NtryRef><Amt Ccy="SEK">{payment.amount:.2f}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Sts>{status}</Sts>{booked}"
        f"<ValDt><Dt>{payment.day}</Dt></ValDt>{ref}"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>BOOK</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"{inner}{info}</Ntry>"
    )


def camt054(
    payments: Sequence[BankPayment],
    notification_id: str,
    *,
    message_id: str = "",
    refs: bool = True,
    status: str = "BOOK",
) -> bytes:
    """An intraday credit notification for the company's bankgiro, entries numbered from 1."""
    created = payments[0].day if payments else dt.date(2026, 11, 25)
    entries = "".join(_entry(p, n, refs=refs, details=True, status=status) for n, p in enumerate(payments, 1))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>{message_id or notification_id}</MsgId><CreDtTm>{created}T10:12:40</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{notification_id}</Id>"
        f"<Acct><Id><Othr><Id>{BANKGIRO}</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id>"
        "<Ccy>SEK</Ccy></Acct>"
        f"{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"
    ).encode()


def returned(payment: BankPayment, day: dt.date, number: int = 1, reason: str = "AC04") -> str:
    """The bank sending ``payment`` back (RvslInd, a return reason, the OCR in the text)."""
    return (
        f'<Ntry><NtryRef>{number}</NtryRef><Amt Ccy="SEK">{payment.amount:.2f}</Amt>'
        f"<CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>RET{payment.reference}</AcctSvcrRef><NtryDtls><TxDtls>"
        f"<RltdPties><Cdtr><Nm>{escape(payment.payer)}</Nm></Cdtr></RltdPties>"
        f"<RmtInf><Ustrd>Retur {payment.ocr or payment.text}</Ustrd></RmtInf>"
        f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>"
    )


def camt053(
    payments: Sequence[BankPayment],
    statement_id: str,
    *,
    message_id: str = "",
    refs: bool = True,
    details: bool = True,
    extra: Sequence[str] = (),
) -> bytes:
    """The bank's account statement listing these payments, entries numbered from 1.

    ``extra`` entries (e.g. :func:`returned`) are appended as they are.
    """
    days = sorted({p.day for p in payments}) or [dt.date(2026, 11, 25)]
    opening = Decimal("10000.00")
    closing = opening + sum((p.amount for p in payments), Decimal(0))
    entries = "".join(_entry(p, n, refs=refs, details=details) for n, p in enumerate(payments, 1))
    entries += "".join(extra)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{message_id or statement_id}</MsgId><CreDtTm>{days[-1]}T23:10:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>"
        f"<FrToDt><FrDtTm>{days[0]}T00:00:00</FrDtTm><ToDtTm>{days[-1]}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{ACCOUNT_IBAN}</IBAN></Id><Ccy>SEK</Ccy></Acct>"
        f"{_balance('OPBD', opening, days[0])}{_balance('CLBD', closing, days[-1])}"
        f"{entries}</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


def _balance(code: str, amount: Decimal, day: dt.date) -> str:
    return (
        f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="SEK">{amount:.2f}</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def _record(*fields: tuple[int, str]) -> str:
    """An 80-column BgMax record from (1-based start column, text) pairs."""
    line = [" "] * 80
    for start, text in fields:
        line[start - 1 : start - 1 + len(text)] = text
    return "".join(line).rstrip()


def bgmax(
    payments: Sequence[BankPayment], *, deposit_serial: int, written: str = "20261125061532123456"
) -> bytes:
    """Bankgirot's BgMax file: one deposit (TK05…TK15) holding these payments, serials per payment."""
    day = payments[0].day
    total = sum((p.amount for p in payments), Decimal(0))
    records = [
        _record((1, "01"), (3, "BGMAX"), (23, "01"), (25, written), (45, "P")),
        _record((1, "05"), (3, f"{int(BANKGIRO):010d}"), (23, "SEK")),
    ]
    for p in payments:
        reference, code = (p.ocr, "2") if p.ocr else (p.text[:25], "3")
        records.append(
            _record(
                (1, "20"),
                (3, "0000000000"),
                (13, reference),
                (38, f"{int(p.amount * 100):018d}"),
                (56, code),
                (57, "1"),
                (58, f"{900000 + p.key:012d}"),
                (70, "0"),
            )
        )
        records.append(_record((1, "26"), (3, p.payer[:35])))
    records.append(
        _record(
            (1, "15"),
            (3, f"{int(BANKGIRO):035d}"),
            (38, f"{day:%Y%m%d}"),
            (46, f"{deposit_serial:05d}"),
            (51, f"{int(total * 100):018d}"),
            (69, "SEK"),
            (72, f"{len(payments):08d}"),
            (80, "K"),
        )
    )
    records.append(
        _record((1, "70"), (3, f"{len(payments):08d}"), (11, "0" * 8), (19, "0" * 8), (27, "00000001"))
    )
    return ("\n".join(records) + "\n").encode("cp1252", errors="replace")


def _details(payment: BankPayment, *, refs: bool) -> str:
    ref = f"<Refs><AcctSvcrRef>{payment.reference}</AcctSvcrRef></Refs>" if refs else ""
    return (
        f'<TxDtls>{ref}<AmtDtls><TxAmt><Amt Ccy="SEK">{payment.amount:.2f}</Amt></TxAmt></AmtDtls>'
        f"<RltdPties><Dbtr><Nm>{escape(payment.payer)}</Nm></Dbtr></RltdPties>"
        f"{_remittance(payment)}</TxDtls>"
    )


def _deposit_entry(payments: Sequence[BankPayment], deposit_ref: str, *, refs: bool, details: bool) -> str:
    total = sum((p.amount for p in payments), Decimal(0))
    day = payments[0].day
    ref = f"<AcctSvcrRef>{deposit_ref}</AcctSvcrRef>" if refs else ""
    inner = "".join(_details(p, refs=refs) for p in payments) if details else ""
    return (
        f'<Ntry><NtryRef>1</NtryRef><Amt Ccy="SEK">{total:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>{ref}"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>BOOK</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f'<NtryDtls><Btch><NbOfTxs>{len(payments)}</NbOfTxs><TtlAmt Ccy="SEK">{total:.2f}</TtlAmt></Btch>'
        f"{inner}</NtryDtls><AddtlNtryInf>BG INBET 5050-1055 {len(payments)} ST</AddtlNtryInf></Ntry>"
    )


def deposit_notification(
    payments: Sequence[BankPayment], notification_id: str, deposit_ref: str, *, refs: bool = True
) -> bytes:
    """Bankgirot's camt.054 for one bankgiro deposit: a batch entry with every payment's details."""
    day = payments[0].day
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>{notification_id}</MsgId><CreDtTm>{day}T06:12:40</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{notification_id}</Id>"
        f"<Acct><Id><Othr><Id>{BANKGIRO}</Id><SchmeNm><Prtry>BGNR</Prtry></SchmeNm></Othr></Id>"
        "<Ccy>SEK</Ccy></Acct>"
        f"{_deposit_entry(payments, deposit_ref, refs=refs, details=True)}"
        "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n"
    ).encode()


def deposit_statement(payments: Sequence[BankPayment], statement_id: str, deposit_ref: str) -> bytes:
    """The bank's camt.053 showing a bankgiro deposit as one batch credit without its details."""
    day = payments[0].day
    total = sum((p.amount for p in payments), Decimal(0))
    opening = Decimal("10000.00")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{day}T23:10:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>"
        f"<FrToDt><FrDtTm>{day}T00:00:00</FrDtTm><ToDtTm>{day}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{ACCOUNT_IBAN}</IBAN></Id><Ccy>SEK</Ccy></Acct>"
        f"{_balance('OPBD', opening, day)}{_balance('CLBD', opening + total, day)}"
        f"{_deposit_entry(payments, deposit_ref, refs=True, details=False)}"
        "</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()
