"""One camt ``Ntry`` element → bank transactions (batches split into their ``TxDtls``).

Namespace-agnostic: element paths are written without a namespace and qualified with the
document's own namespace by :class:`Xml`, so camt.053/054 versions .02 to .08 share one reader.
Every value is checked before it is trusted; a value that cannot be read raises
:class:`~syncd.errors.ParseError` with the XPath of the element.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from syncd.bankfiles.camt_tree import Node, Xml, own_text
from syncd.bankfiles.model import BankTransaction, Direction, ProblemLog, Reference, RefKind, Status
from syncd.domain.references import candidate_tokens

_STATUS = {"BOOK": Status.BOOKED, "PDNG": Status.PENDING, "FUTR": Status.PENDING, "INFO": Status.INFO}
_DIRECTION = {"CRDT": Direction.CREDIT, "DBIT": Direction.DEBIT}
_REFS = ("EndToEndId", "TxId", "InstrId", "AcctSvcrRef")
_FAMILY = ("Cd", "SubFmlyCd")
LOCAL_BATCH = "local-"  # prefix of a batch id that identifies a deposit only inside its own file


@dataclass(frozen=True, slots=True)
class EntryContext:
    """Statement-level facts every entry inherits."""

    account: str
    location: str
    statement_id: str = ""


@dataclass(frozen=True, slots=True)
class _Party:
    """The counterparty of one payment: ``Dbtr`` for credits, ``Cdtr`` for debits."""

    name: str = ""
    address: str = ""
    account: str = ""
    bankgiro: str = ""
    org_no: str = ""


@dataclass(frozen=True, slots=True)
class _Details:
    """What one ``TxDtls`` says about its payment (all empty for an entry without details)."""

    references: tuple[Reference, ...] = ()
    end_to_end_id: str = ""
    tx_id: str = ""
    instr_id: str = ""
    texts: tuple[str, ...] = ()
    party: _Party = _Party()
    acct_svcr_ref: str = ""
    return_reason: str = ""


_NO_DETAILS = _Details()


@dataclass(frozen=True, slots=True)
class _Entry:
    """The ``Ntry``-level facts every transaction cut from the entry shares."""

    account: str
    statement_id: str
    booking_date: date | None
    value_date: date | None
    status: Status
    is_reversal: bool
    acct_svcr_ref: str
    entry_ref: str
    bank_tx_code: str
    amount: Decimal
    currency: str
    direction: Direction
    texts: tuple[str, ...]
    charges: Decimal | None


@dataclass(frozen=True, slots=True)
class _Batch:
    """How a transaction belongs to its deposit."""

    key: str
    count: int | None
    deposit_total: Decimal
    is_batch: bool = False


@dataclass(frozen=True, slots=True)
class _Money:
    """One transaction's own amount, currency, direction and charges."""

    amount: Decimal
    currency: str
    direction: Direction
    charges: Decimal | None


def _charges(x: Xml, el: Node, loc: str) -> Decimal | None:
    """Total of ``Chrgs`` (v04+ ``Rcrd`` list, v02 ``Amt`` directly under ``Chrgs``)."""
    total: Decimal | None = None
    for i, chrgs in enumerate(x.findall(el, "Chrgs"), 1):
        here = f"{loc}/Chrgs[{i}]"
        for path in ("TtlChrgsAndTaxAmt", "Amt"):
            found = x.amount(chrgs, path, here)
            if found is not None:
                total = (total or Decimal(0)) + found[0]
                break
        else:
            for j, rcrd in enumerate(x.findall(chrgs, "Rcrd"), 1):
                found = x.amount(rcrd, "Amt", f"{here}/Rcrd[{j}]")
                if found is not None:
                    total = (total or Decimal(0)) + found[0]
    return total


def _bank_tx_code(x: Xml, el: Node) -> str:
    parts = (x.text(el, "BkTxCd/Domn/Cd"), *x.leaves(el, "BkTxCd/Domn/Fmly", _FAMILY))
    return "/".join(p for p in parts if p) or x.text(el, "BkTxCd/Prtry/Cd")


def _address(x: Xml, adr: Node | None) -> str:
    """``PstlAdr`` as one line: address lines, street, post code and town, country."""
    if adr is None:
        return ""
    lines = [own_text(line) for line in x.findall(adr, "AdrLine")]
    street = " ".join(p for p in (x.text(adr, "StrtNm"), x.text(adr, "BldgNb")) if p)
    town = " ".join(p for p in (x.text(adr, "PstCd"), x.text(adr, "TwnNm")) if p)
    return ", ".join(p for p in [*lines, street, town, x.text(adr, "Ctry")] if p)


def _party(x: Xml, tx: Node, role: str) -> _Party:
    """Counterparty fields (``Dbtr`` for credits, ``Cdtr`` for debits); v08 nests them in ``Pty``."""
    party = x.find(tx, f"RltdPties/{role}/Pty")
    if party is None:
        party = x.find(tx, f"RltdPties/{role}")
    acct = x.find(tx, f"RltdPties/{role}Acct/Id")
    name = address = org_no = account = bankgiro = ""
    if party is not None:
        name, address = x.text(party, "Nm"), _address(x, x.find(party, "PstlAdr"))
        org_no = x.text(party, "Id/OrgId/Othr/Id")
    if acct is not None:
        other = x.text(acct, "Othr/Id")
        scheme = x.text(acct, "Othr/SchmeNm/Prtry") or x.text(acct, "Othr/SchmeNm/Cd")
        if scheme == "BGNR":
            bankgiro = other
        else:
            account = x.text(acct, "IBAN") or other
    return _Party(name, address, account, bankgiro, org_no)


def _remittance(x: Xml, tx: Node, loc: str) -> tuple[list[Reference], list[str]]:
    """Structured references (OCR/RF/invoice numbers) and unstructured text lines."""
    refs: list[Reference] = []
    texts: list[str] = []
    for rmt in x.findall(tx, "RmtInf"):
        texts += [own_text(u) for u in x.findall(rmt, "Ustrd")]
        for strd in x.findall(rmt, "Strd"):
            amount = x.amount(strd, "RfrdDocAmt/RmtdAmt", f"{loc}/RmtInf/Strd")
            ref = x.text(strd, "CdtrRefInf/Ref")
            if ref:
                scheme = x.text(strd, "CdtrRefInf/Tp/CdOrPrtry/Cd") or x.text(
                    strd, "CdtrRefInf/Tp/CdOrPrtry/Prtry"
                )
                refs.append(Reference.classify(ref, amount=amount and amount[0], scheme=scheme))
            for doc in x.findall(strd, "RfrdDocInf"):
                number = x.text(doc, "Nb")
                if number:
                    refs.append(Reference(number, RefKind.INVOICE_NUMBER, True, amount and amount[0]))
            texts += [own_text(a) for a in x.findall(strd, "AddtlRmtInf")]
    return refs, [t for t in texts if t]


def _details(x: Xml, tx: Node | None, direction: Direction, loc: str) -> _Details:
    """Fields that come from one ``TxDtls`` (all empty when the entry has none)."""
    if tx is None:
        return _NO_DETAILS
    refs, texts = _remittance(x, tx, loc)
    texts.append(x.text(tx, "AddtlTxInf"))
    end_to_end_id, tx_id, instr_id, acct_svcr_ref = x.leaves(tx, "Refs", _REFS)
    return _Details(
        references=tuple(refs),
        end_to_end_id=end_to_end_id,
        tx_id=tx_id,
        instr_id=instr_id,
        texts=tuple(t for t in texts if t),
        party=_party(x, tx, "Dbtr" if direction is Direction.CREDIT else "Cdtr"),
        acct_svcr_ref=acct_svcr_ref,
        return_reason=x.text(tx, "RtrInf/Rsn/Cd") or x.text(tx, "RtrInf/Rsn/Prtry"),
    )


def _transaction(  # noqa: PLR0917 - private builder; each argument is one typed part
    entry: _Entry,
    details: _Details,
    money: _Money,
    batch: _Batch | None,
    acct_svcr_ref: str,
    texts: tuple[str, ...],
    source_location: str,
) -> BankTransaction:
    """One :class:`BankTransaction` from its parts; a detail's own bank reference wins."""
    free_text = "\n".join(texts)
    party = details.party
    return BankTransaction(
        account=entry.account,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        status=entry.status,
        is_reversal=entry.is_reversal,
        acct_svcr_ref=details.acct_svcr_ref or acct_svcr_ref,
        entry_ref=entry.entry_ref,
        bank_tx_code=entry.bank_tx_code,
        statement_id=entry.statement_id,
        references=details.references,
        end_to_end_id=details.end_to_end_id,
        tx_id=details.tx_id,
        instr_id=details.instr_id,
        return_reason=details.return_reason,
        payer_name=party.name,
        payer_address=party.address,
        payer_account=party.account,
        payer_bankgiro=party.bankgiro,
        payer_org_no=party.org_no,
        free_text=free_text,
        tokens=tuple(candidate_tokens(free_text)),
        amount=money.amount,
        currency=money.currency,
        direction=money.direction,
        charges=money.charges,
        batch_key=batch.key if batch else None,
        is_batch=batch.is_batch if batch else False,
        batch_count=batch.count if batch else None,
        deposit_total=batch.deposit_total if batch else None,
        source_location=source_location,
    )


def _read_entry(x: Xml, ntry: Node, ctx: EntryContext, loc: str) -> _Entry:
    """The entry's own facts, each checked; a missing or unreadable one raises ParseError."""
    found = x.amount(ntry, "Amt", loc)
    if found is None:
        raise x.fail(f"{loc}/Amt", "entry has no amount")
    direction = _DIRECTION.get(x.text(ntry, "CdtDbtInd"))
    if direction is None:
        raise x.fail(f"{loc}/CdtDbtInd", f"expected CRDT or DBIT, got {x.text(ntry, 'CdtDbtInd')[:20]!r}")
    sts = x.text(ntry, "Sts/Cd") or x.text(ntry, "Sts")
    status = _STATUS.get(sts)
    if status is None:
        raise x.fail(f"{loc}/Sts", f"unknown entry status {sts[:20]!r}")
    booking = x.date(ntry, "BookgDt", loc)
    if booking is None and status is Status.BOOKED:
        raise x.fail(f"{loc}/BookgDt", "booked entry without booking date")
    entry_text = x.text(ntry, "AddtlNtryInf")
    return _Entry(
        account=ctx.account,
        statement_id=ctx.statement_id,
        booking_date=booking,
        value_date=x.date(ntry, "ValDt", loc),
        status=status,
        is_reversal=x.text(ntry, "RvslInd").lower() in {"true", "1"},
        acct_svcr_ref=x.text(ntry, "AcctSvcrRef"),
        entry_ref=x.text(ntry, "NtryRef"),
        bank_tx_code=_bank_tx_code(x, ntry),
        amount=found[0],
        currency=found[1],
        direction=direction,
        texts=(entry_text,) if entry_text else (),
        charges=_charges(x, ntry, loc),
    )


def _batch_count(x: Xml, ntry: Node, loc: str) -> int | None:
    """``Btch/NbOfTxs``: how many payments the bank says the deposit holds (None when unsaid)."""
    count_text = x.text(ntry, "NtryDtls/Btch/NbOfTxs")
    if count_text and not (count_text.isdigit() and len(count_text) <= 9):
        raise x.fail(f"{loc}/NtryDtls/Btch/NbOfTxs", f"not a count: {count_text[:20]!r}")
    return int(count_text) if count_text else None


def _tx_details(x: Xml, ntry: Node, loc: str) -> list[tuple[str, Node]]:
    """Every ``TxDtls`` of the entry with its location."""
    return [
        (f"{loc}/NtryDtls[{i}]/TxDtls[{j}]", tx)
        for i, dtls in enumerate(x.findall(ntry, "NtryDtls"), 1)
        for j, tx in enumerate(x.findall(dtls, "TxDtls"), 1)
    ]


def _batch_key(x: Xml, entry: _Entry, batch: Node | None, loc: str) -> str:
    # NtryRef and MsgId are numbered per message: a key built on them would tie one deposit to
    # another file's unrelated deposit. Without a bank reference the key is local to this file.
    batch_id = entry.acct_svcr_ref or x.text(batch, "PmtInfId") or f"{LOCAL_BATCH}{loc}"
    return f"camt:{entry.account}:{entry.booking_date}:{entry.amount}:{entry.currency}:{batch_id}"


def entry_transactions(
    x: Xml, ntry: Node, ctx: EntryContext, loc: str, problems: ProblemLog
) -> list[BankTransaction]:
    """Turn one ``Ntry`` into one transaction, or one per ``TxDtls`` when it is a batch."""
    entry = _read_entry(x, ntry, ctx, loc)
    batch_el = x.find(ntry, "NtryDtls/Btch")
    count = _batch_count(x, ntry, loc)
    txs = _tx_details(x, ntry, loc)
    if count is not None and txs and count != len(txs):
        problems.warning(loc, f"batch says {count} transactions but has {len(txs)} TxDtls")
    batch = _Batch(_batch_key(x, entry, batch_el, loc), count, entry.amount)
    unsplit = not txs and batch_el is not None and count != 1
    if len(txs) > 1 or (txs and (count or 0) > 1):
        split = _split(x, entry, txs, batch, loc, problems)
        if split is not None:
            return split
        unsplit = True
    if unsplit:
        money = _Money(entry.amount, entry.currency, entry.direction, entry.charges)
        whole = _Batch(batch.key, count, entry.amount, is_batch=True)
        return [_transaction(entry, _NO_DETAILS, money, whole, entry.acct_svcr_ref, entry.texts, loc)]
    return [_single(x, entry, txs[0] if txs else None, loc)]


def _single(x: Xml, entry: _Entry, found: tuple[str, Node] | None, loc: str) -> BankTransaction:
    """An entry that is one payment, with its one ``TxDtls`` (if any) filling in the details."""
    tx_loc, tx = found if found is not None else (loc, None)
    details = _details(x, tx, entry.direction, tx_loc)
    charges = entry.charges
    if charges is None and tx is not None:
        charges = _charges(x, tx, tx_loc)
    money = _Money(entry.amount, entry.currency, entry.direction, charges)
    texts = (*details.texts, *entry.texts)
    return _transaction(entry, details, money, None, entry.acct_svcr_ref, texts, loc)


def _split(  # noqa: PLR0917 - private helper; the entry's facts travel together
    x: Xml,
    entry: _Entry,
    txs: list[tuple[str, Node]],
    batch: _Batch,
    loc: str,
    problems: ProblemLog,
) -> list[BankTransaction] | None:
    """One transaction per ``TxDtls``; None (keep the entry as a batch) if a detail has no amount."""
    out: list[BankTransaction] = []
    signed_sum = Decimal(0)
    same_currency = True
    parts = _Batch(batch.key, len(txs), entry.amount)
    for tx_loc, tx in txs:
        found = x.amount(tx, "Amt", tx_loc) or x.amount(tx, "AmtDtls/TxAmt/Amt", tx_loc)
        if found is None:
            problems.error(tx_loc, "batch detail without amount; the batch is kept unsplit")
            return None
        amount, ccy = found
        tx_dir = _DIRECTION.get(x.text(tx, "CdtDbtInd"), entry.direction)
        signed_sum += amount if tx_dir is entry.direction else -amount
        same_currency = same_currency and ccy == entry.currency
        details = _details(x, tx, tx_dir, tx_loc)
        money = _Money(amount, ccy, tx_dir, _charges(x, tx, tx_loc))
        # the entry's AcctSvcrRef names the deposit, not this payment: a detail keeps only its own
        out.append(_transaction(entry, details, money, parts, "", details.texts, tx_loc))
    if not same_currency:
        problems.warning(loc, "batch details are in another currency than the entry; sum not checked")
    elif signed_sum != entry.amount:
        problems.error(loc, f"batch details sum to {signed_sum} but the entry amount is {entry.amount}")
    return out
