"""Render a :class:`~syncd.demo.payments.BankDay` as the files a Swedish company really receives.

A camt.054.001.02 credit notification with two ``Ntfctn``: the bankgiro (one ``Ntry`` per payment,
each with its ``TxDtls``: payer, address, OCR or message — the shape Bankgirot delivers now that
BgMax is retired) and the bank account, where Stripe's payout lands. And Stripe's
balance-transactions export (the columns of ``tests/bankfiles/golden/stripe_balance_transactions.csv``).
Written with ElementTree and csv, so names like ``Rör & Värme`` are escaped, never hand-quoted.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET  # writing only; syncd parses bank XML with defusedxml
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from syncd.demo.payments import BankDay, Payment, Scenario
from syncd.domain.money import quantize

CAMT054_NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"
STRIPE_COLUMNS = (
    "balance_transaction_id",
    "created_utc",
    "available_on_utc",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "source_id",
    "description",
    "customer_email",
    "customer_name",
    "invoice_id",
    "payment_metadata[invoice_reference]",
    "automatic_payout_id",
    "automatic_payout_effective_at",
)


@dataclass(frozen=True, slots=True)
class Creditor:
    """The company receiving the money: its bankgiro and the bank account behind it."""

    name: str
    bankgiro: str
    iban: str


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """Append ``<tag>`` (a ``/``-separated path creates the chain) and return the innermost."""
    *chain, last = tag.split("/")
    node = parent
    for part in chain:
        node = ET.SubElement(node, part)
    node = ET.SubElement(node, last, attrs)
    if text is not None:
        node.text = text
    return node


def _money(amount: Decimal) -> str:
    return format(quantize(amount), "f")


def _address(parent: ET.Element, payment: Payment) -> None:
    if not (payment.street or payment.city):
        return
    adr = _sub(parent, "PstlAdr")
    if payment.private_person:  # private payers come as free address lines
        _sub(adr, "AdrLine", payment.street)
        _sub(adr, "AdrLine", f"{payment.postal_code} {payment.city}")
        return
    street, _, number = payment.street.rpartition(" ")
    if number.isdigit():
        _sub(adr, "StrtNm", street)
        _sub(adr, "BldgNb", number)
    else:
        _sub(adr, "StrtNm", payment.street)
    _sub(adr, "PstCd", payment.postal_code.replace(" ", ""))
    _sub(adr, "TwnNm", payment.city)
    _sub(adr, "Ctry", "SE")


def _entry(ntfctn: ET.Element, payment: Payment, index: int, day: str, serial: str) -> None:
    ntry = _sub(ntfctn, "Ntry")
    _sub(ntry, "NtryRef", str(index))
    _sub(ntry, "Amt", _money(payment.amount), Ccy="SEK")
    _sub(ntry, "CdtDbtInd", "CRDT")
    _sub(ntry, "Sts", "BOOK")
    _sub(ntry, "BookgDt/Dt", day)
    _sub(ntry, "ValDt/Dt", day)
    _sub(ntry, "AcctSvcrRef", f"{serial}-{index:04d}")
    domain = _sub(ntry, "BkTxCd/Domn")
    _sub(domain, "Cd", "PMNT")
    family = _sub(domain, "Fmly")
    _sub(family, "Cd", "RCDT")
    _sub(family, "SubFmlyCd", "ESCT" if payment.scenario is Scenario.STRIPE_PAYOUT else "DMCT")
    tx = _sub(ntry, "NtryDtls/TxDtls")
    refs = _sub(tx, "Refs")
    _sub(refs, "AcctSvcrRef", f"{serial}-{index:04d}-1")
    _sub(refs, "EndToEndId", "NOTPROVIDED")
    _sub(tx, "AmtDtls/TxAmt/Amt", _money(payment.amount), Ccy="SEK")
    debtor = _sub(tx, "RltdPties/Dbtr")
    _sub(debtor, "Nm", payment.payer)
    _address(debtor, payment)
    if payment.org_number and not payment.private_person:
        _sub(debtor, "Id/OrgId/Othr/Id", payment.org_number.replace("-", ""))
    rmt = _sub(tx, "RmtInf")
    if payment.message:
        _sub(rmt, "Ustrd", payment.message)
    if payment.reference:
        ref = _sub(rmt, "Strd/CdtrRefInf")
        _sub(ref, "Tp/CdOrPrtry/Cd", "SCOR")
        _sub(ref, "Ref", payment.reference)


def _notification(
    doc: ET.Element, ident: str, created: str, account: tuple[str, str], owner: str
) -> ET.Element:
    ntfctn = _sub(doc, "Ntfctn")
    _sub(ntfctn, "Id", ident)
    _sub(ntfctn, "CreDtTm", created)
    acct = _sub(ntfctn, "Acct")
    kind, number = account
    if kind == "BGNR":
        other = _sub(acct, "Id/Othr")
        _sub(other, "Id", number)
        _sub(other, "SchmeNm/Prtry", "BGNR")
    else:
        _sub(acct, "Id/IBAN", number)
    _sub(acct, "Ccy", "SEK")
    _sub(acct, "Ownr/Nm", owner)
    return ntfctn


def camt054(plan: BankDay, creditor: Creditor) -> bytes:
    """The day's camt.054: bankgiro payments in one notification, the Stripe payout in another."""
    day = plan.day.isoformat()
    stamp = plan.day.strftime("%Y%m%d")
    created = datetime.combine(plan.day, time(6, 12, 40)).isoformat()
    root = ET.Element("Document", xmlns=CAMT054_NS)
    body = _sub(root, "BkToCstmrDbtCdtNtfctn")
    header = _sub(body, "GrpHdr")
    _sub(header, "MsgId", f"BGC{stamp}0001")
    _sub(header, "CreDtTm", created)
    bankgiro = [p for p in plan.payments if p.scenario is not Scenario.STRIPE_PAYOUT]
    account = [p for p in plan.payments if p.scenario is Scenario.STRIPE_PAYOUT]
    bgnr = creditor.bankgiro.replace("-", "")
    ntfctn = _notification(body, f"BG{bgnr}-{stamp}-1", created, ("BGNR", bgnr), creditor.name)
    for index, payment in enumerate(bankgiro, 1):
        _entry(ntfctn, payment, index, day, f"BGC-{stamp}")
    if account:
        ntfctn = _notification(body, f"ACC-{stamp}-1", created, ("IBAN", creditor.iban), creditor.name)
        for index, payment in enumerate(account, 1):
            _entry(ntfctn, payment, index, day, f"SEB-{stamp}")
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def stripe_csv(plan: BankDay) -> bytes:
    """Stripe's balance-transactions export: the charges of one automatic payout, then the payout."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STRIPE_COLUMNS)
    payout_at = datetime.combine(plan.day, time()).strftime("%Y-%m-%d %H:%M:%S")
    for charge in plan.charges:
        writer.writerow(
            (
                "txn_" + charge.charge_id.removeprefix("ch_"),
                charge.created.strftime("%Y-%m-%d %H:%M:%S"),
                payout_at,
                "sek",
                _money(charge.gross),
                _money(charge.fee),
                _money(charge.net),
                "charge",
                charge.charge_id,
                f"Faktura {charge.invoice_number}",
                charge.email,
                charge.customer,
                "",
                charge.invoice_number,
                plan.payout_id,
                payout_at,
            )
        )
    payout = "-" + _money(plan.payout_net)
    writer.writerow(
        (
            "txn_" + plan.payout_id.removeprefix("po_"),
            payout_at,
            payout_at,
            "sek",
            payout,
            "0.00",
            payout,
            "payout",
            plan.payout_id,
            "STRIPE PAYOUT",
            *([""] * 6),
        )
    )
    return out.getvalue().encode("utf-8")
