"""Which bank lines are the same money: one real payment is one bank transaction, however delivered.

Banks deliver the same payment more than once, and that is normal: the day's camt.054 and the next
morning's camt.053, a file re-sent with a new message id, the same week in BgMax and camt.054 while
a company changes format. The opposite happens too: two different payments of the same amount on
the same day, each numbered ``NtryRef 1`` in its own intraday notification. So identity never rests
on what a file numbers for itself (``NtryRef``, ``MsgId``, line numbers); it rests on what stays
the same across deliveries, in this order of preference:

1. **The money itself must agree**: direction, amount, currency, and the booking date when both
   lines have one (a pending line may have none yet). A summary credit (a batch) is only ever the
   same as another summary credit. Two IBANs that differ are different accounts. Otherwise the
   lines are different money.
2. **The bank's own references** — ``AcctSvcrRef``, ``TxId``, ``EndToEndId`` and the bankgiro
   serial number — with placeholders (``NOTPROVIDED``, ``NONREF``, ``1``, zeros) ignored. A
   reference value both lines carry (whatever its field: Bankgirot's serial may be a camt
   ``AcctSvcrRef``) makes them the same, unless another reference of one kind, or the payers'
   own references, differ (then uncertain). A reference that differs proves
   different money only when both lines come from the same format (one producer, one numbering
   scheme): a camt.054 written by Bankgirot and a camt.053 written by the bank may reference one
   payment differently.
3. **The payer's own references**: two different OCR/RF/invoice references, or two different payer
   accounts or bankgiro numbers, are different payments.
4. **The same delivery again**: all content equal (payer, references, texts, value date) in the
   same format, *and* one of: the same statement id (camt ``Stmt/Id`` / ``Ntfctn/Id``, which
   survives a message re-sent with a new ``MsgId``); the same running balance after it; or both
   files are account statements (camt.053, a bank's CSV export), which list every booking of the
   days they cover, so two overlapping statements pair their lines of a shared day one to one.
   camt.054 notifications are not complete lists: two of them with equal content are uncertain.
5. Anything else that agrees on the money is **uncertain**: the later line is kept, marked as a
   *possible duplicate* of the earlier one, never matched or booked, and shown for review with
   both files named. It is never dropped: a customer who really paid twice is a person's call.

Within one file no two lines are the same money (a file does not deliver a payment twice), so an
earlier line absorbs at most one line of each later file. The functions here are pure: the import
layer loads the candidates and applies the decisions.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from syncd.bankfiles import model

_PLACEHOLDERS = frozenset({"NOTPROVIDED", "NONREF", "NONE", "NA", "N/A", "UNKNOWN", "NOREF", "NOTAVAILABLE"})
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
REFERENCE_KINDS = ("acct_svcr_ref", "tx_id", "end_to_end_id", "bank_serial")
# formats that list every booking of the days they cover (FileFormat values)
COMPLETE_FORMATS = frozenset(
    {"camt.053", "csv-seb", "csv-swedbank", "csv-handelsbanken", "csv-nordea", "csv-custom"}
)


class Verdict(enum.StrEnum):
    """What two lines are to each other."""

    SAME = "same"
    DIFFERENT = "different"
    POSSIBLE = "possible"


def is_placeholder(value: str) -> bool:
    """A reference that names nothing: empty, a known filler, all zeros, or one or two characters.

    A zero-padded number (Bankgirot's serial ``000000000010``) is a real reference.
    """
    return not value or _names_nothing(_normal(value))  # most optional references of a row are empty


def _names_nothing(normal: str) -> bool:
    return normal in _PLACEHOLDERS or len(normal) < 3 or not normal.strip("0")


def bank_references(references: Mapping[str, str]) -> dict[str, str]:
    """The bank references identity compares (by kind): placeholders dropped, formatting removed."""
    found: dict[str, str] = {}
    for kind, value in references.items():
        if value and kind in REFERENCE_KINDS:
            normal = _normal(value)  # once: the placeholder test and the key both need it
            if not _names_nothing(normal):
                found[kind] = normal
    return found


def normal(value: str) -> str:
    """Upper case, only ASCII letters and digits kept (how accounts and references compare)."""
    return _normal(value)


def _normal(value: str) -> str:
    """Upper case, only ASCII letters and digits kept."""
    upper = value.upper()
    if upper.isascii() and upper.isalnum():  # already normal: no regex (per row, several times)
        return upper
    return _NOT_ALNUM.sub("", upper)


def _ref_value(value: str) -> str:
    """A payer reference compared without spaces, case and leading zeros."""
    return _normal(value).lstrip("0")


@dataclass(frozen=True, slots=True)
class Line:
    """What identity looks at, from a parsed transaction or a stored row alike."""

    direction: str
    amount: Decimal
    currency: str
    booking_date: date | None
    is_batch: bool
    account: str = ""
    source_format: str = ""
    bank_refs: Mapping[str, str] = field(default_factory=dict)
    payer_refs: frozenset[str] = frozenset()
    payer_account: str = ""
    payer_bankgiro: str = ""
    statement_id: str = ""
    balance_after: Decimal | None = None
    content: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        direction: str,
        amount: Decimal,
        currency: str,
        booking_date: date | None,
        is_batch: bool,
        account: str,
        source_format: str,
        references: Mapping[str, str],
        payer_references: Iterable[str],
        payer_account: str,
        payer_bankgiro: str,
        statement_id: str,
        balance_after: Decimal | None,
        content: Sequence[str],
    ) -> Line:
        """Normalise raw fields: placeholders dropped, references compared without formatting."""
        return cls(
            direction=direction,
            amount=amount,
            currency=currency.upper(),
            booking_date=booking_date,
            is_batch=is_batch,
            account=_normal(account),
            source_format=source_format,
            bank_refs=bank_references(references),
            payer_refs=frozenset(v for v in map(_ref_value, payer_references) if v),
            payer_account=_normal(payer_account).lstrip("0"),
            payer_bankgiro=_normal(payer_bankgiro).lstrip("0"),
            statement_id="" if is_placeholder(statement_id) else statement_id.strip(),
            balance_after=balance_after,
            content=tuple(" ".join(part.split()).upper() for part in content),
        )


def references_of(tx: model.BankTransaction) -> dict[str, str]:
    """The bank references of a parsed transaction, by kind, as they come."""
    return {kind: getattr(tx, kind) for kind in REFERENCE_KINDS}


def line_of(tx: model.BankTransaction, source_format: str) -> Line:
    """The identity view of a parsed transaction."""
    return Line.build(
        direction=tx.direction.value,
        amount=tx.amount,
        currency=tx.currency,
        booking_date=tx.booking_date,
        is_batch=tx.is_batch,
        account=tx.account,
        source_format=source_format,
        references=references_of(tx),
        payer_references=[r.value for r in tx.references],
        payer_account=tx.payer_account,
        payer_bankgiro=tx.payer_bankgiro,
        statement_id=tx.statement_id,
        balance_after=tx.balance_after,
        content=content_of(
            payer_name=tx.payer_name,
            free_text=tx.free_text,
            value_date=tx.value_date,
            references=[r.value for r in tx.references],
        ),
    )


def content_of(
    *, payer_name: str, free_text: str, value_date: date | None, references: Iterable[str]
) -> tuple[str, ...]:
    """Everything else a delivery says about a line, compared only to recognise a re-delivery.

    Not the entry number: ``NtryRef`` numbers the entries of one message.
    """
    day = value_date.isoformat() if value_date else ""
    return (payer_name, free_text, day, ",".join(sorted(references)))


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict on one pair, with the reason a person can read."""

    verdict: Verdict
    reason: str


def _different_accounts(a: str, b: str) -> bool:
    return bool(a and b) and a != b and bool(_IBAN.fullmatch(a)) and bool(_IBAN.fullmatch(b))


def _money_differs(new: Line, old: Line) -> str | None:
    if new.is_batch != old.is_batch:
        return "one is a deposit total, the other a payment"
    if (new.direction, new.amount, new.currency) != (old.direction, old.amount, old.currency):
        return "amount, currency or direction differ"
    if new.booking_date and old.booking_date and new.booking_date != old.booking_date:
        return "booking dates differ"
    if _different_accounts(new.account, old.account):
        return "accounts differ"
    return None


def _by_bank_references(new: Line, old: Line) -> Decision | None:
    """Rule 2: a bank reference both lines carry (of any kind: a BgMax serial may be a camt ref)."""
    shared = sorted(set(new.bank_refs) & set(old.bank_refs))
    unequal = [kind for kind in shared if new.bank_refs[kind] != old.bank_refs[kind]]
    common = set(new.bank_refs.values()) & set(old.bank_refs.values())
    if common and _payers_differ(new, old):
        return Decision(
            Verdict.POSSIBLE, f"bank reference {min(common)} agrees but the payers' references differ"
        )
    if common and not unequal:
        return Decision(Verdict.SAME, f"same bank reference {min(common)}")
    if common:
        return Decision(Verdict.POSSIBLE, f"bank reference {min(common)} agrees but {unequal[0]} differs")
    if unequal and new.source_format == old.source_format:
        return Decision(Verdict.DIFFERENT, f"{unequal[0]} differs")
    return None


def _payers_differ(new: Line, old: Line) -> bool:
    return bool(new.payer_refs and old.payer_refs and not new.payer_refs & old.payer_refs)


def _by_payer(new: Line, old: Line) -> Decision | None:
    """Rule 3: the payer's own references, account or bankgiro number disagree."""
    if _payers_differ(new, old):
        return Decision(Verdict.DIFFERENT, "the payers' references differ")
    for name, a, b in (
        ("payer accounts", new.payer_account, old.payer_account),
        ("payer bankgiro numbers", new.payer_bankgiro, old.payer_bankgiro),
    ):
        if a and b and a != b:
            return Decision(Verdict.DIFFERENT, f"{name} differ")
    return None


def _by_delivery(new: Line, old: Line) -> Decision | None:
    """Rule 4: the same line delivered again (same content, and a statement that says so)."""
    if new.source_format != old.source_format or new.content != old.content:
        return None
    if new.statement_id and new.statement_id == old.statement_id:
        return Decision(Verdict.SAME, f"delivered again in statement {new.statement_id}")
    if new.balance_after is not None and new.balance_after == old.balance_after:
        return Decision(Verdict.SAME, f"same line with the same balance after ({new.balance_after})")
    if new.source_format in COMPLETE_FORMATS:
        return Decision(Verdict.SAME, "the same line in two statements covering the day")
    return None


def compare(new: Line, old: Line) -> Decision:
    """Whether ``new`` is the same money as ``old``, different money, or uncertain (module docstring)."""
    differs = _money_differs(new, old)
    if differs:
        return Decision(Verdict.DIFFERENT, differs)
    for rule in (_by_bank_references, _by_payer, _by_delivery):
        decided = rule(new, old)
        if decided is not None:
            return decided
    return Decision(Verdict.POSSIBLE, "same amount and date, no shared bank reference")


@dataclass(frozen=True, slots=True)
class Resolution:
    """The decision for one new line: ``NEW`` (no ``match``), the same as ``match``, or held."""

    verdict: Verdict | None
    match: int | None = None
    reason: str = ""


NEW = Resolution(None)


def _money_key(line: Line) -> tuple[str, Decimal, str, bool]:
    return (line.direction, line.amount, line.currency, line.is_batch)


def resolve(new_lines: Sequence[Line], candidates: Mapping[int, Line]) -> list[Resolution]:
    """Decide every new line of one file against earlier lines (ids → lines), one-to-one.

    A line the same as an earlier one is absorbed by it; one that could be is held as its possible
    duplicate; the rest are new. Each earlier line takes at most one line of this file.
    """
    buckets: dict[tuple[str, Decimal, str, bool], list[tuple[int, Line]]] = {}
    for old_id, old in sorted(candidates.items()):
        buckets.setdefault(_money_key(old), []).append((old_id, old))
    taken: set[int] = set()
    out: list[Resolution] = []
    for line in new_lines:
        best: tuple[int, int, Decision] | None = None  # (rank, id, decision)
        for old_id, old in buckets.get(_money_key(line), ()):
            if old_id in taken:
                continue
            decision = compare(line, old)
            if decision.verdict is Verdict.DIFFERENT:
                continue
            rank = 0 if decision.verdict is Verdict.SAME else 1
            if best is None or (rank, old_id) < best[:2]:
                best = (rank, old_id, decision)
        if best is None:
            out.append(NEW)
            continue
        _, old_id, decision = best
        taken.add(old_id)
        out.append(Resolution(decision.verdict, old_id, decision.reason))
    return out
