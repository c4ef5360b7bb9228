"""State shared by the tiers during one :func:`~oracle_match.engine.propose` run.

A :class:`LineView` is what can be read off a bank line once (its references classified, the
tokens in its text, the normalised payer); :class:`RunContext` holds the rules, the memory and
the few facts that cross lines (payouts already used, lines whose reference pointed nowhere).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from oracle_match.book import Book
from oracle_match.names import normalise_name
from syncd.domain.models import Allocation, BankLine, Problem, PspPayoutLine
from syncd.domain.references import candidate_tokens, is_rf, luhn_valid, normalise
from syncd.match.rules import MatchMemory, MatchRules

# "Faktura 42", "fakt.nr 1042", "Invoice #7": short invoice numbers that candidate_tokens skips.
_NUMBER_HINT = re.compile(
    r"\b(?:faktura|fakt|fa|fnr|invoice|inv)\.?\s*(?:nr|no|nummer)?\.?\s*[#:]?\s*(\d{1,12})\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class LineView:
    """A bank line with its references read once."""

    line: BankLine
    valid_refs: tuple[str, ...]
    invalid_refs: tuple[str, ...]
    text_tokens: tuple[str, ...]
    payer: str

    @classmethod
    def of(cls, line: BankLine) -> LineView:
        """Classify structured references (check digit passes or not) and tokenise the text."""
        valid: list[str] = []
        invalid: list[str] = []
        for raw in line.references:
            ref = normalise(raw)
            if not ref:
                continue
            ok = is_rf(ref) if ref.startswith("RF") else luhn_valid(ref)
            target = valid if ok else invalid
            if ref not in target:
                target.append(ref)
        tokens = candidate_tokens(line.free_text)
        tokens += [m for m in _NUMBER_HINT.findall(line.free_text) if m not in tokens]
        return cls(line, tuple(valid), tuple(invalid), tuple(tokens), normalise_name(line.payer_name))


@dataclass(frozen=True, slots=True)
class Hit:
    """One way a line refers to an invoice (``how`` is e.g. ``ocr``, ``text_number``)."""

    invoice_id: str
    how: str
    token: str


def reference_hits(view: LineView, book: Book) -> list[Hit]:
    """Every (invoice, how) the line's references and text point at, in a stable order."""
    hits: list[Hit] = []
    for ref in view.valid_refs:
        hits += [Hit(i, "rf" if ref.startswith("RF") else "ocr", ref) for i in book.by_ocr_ref(ref)]
        hits += [Hit(i, "ref_number", ref) for i in book.by_number_ref(ref)]
    for ref in view.invalid_refs:
        hits += [Hit(i, "ref_number", ref) for i in book.by_number_ref(ref)]
    for token in view.text_tokens:
        hits += [Hit(i, "text_ocr", token) for i in book.by_ocr_ref(token)]
        hits += [Hit(i, "text_number", token) for i in book.by_number_ref(token)]
    return hits


@dataclass(slots=True)
class Outcome:
    """What a tier decided for one line: allocations (possibly none) and problems."""

    allocations: list[Allocation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class RunContext:
    """Rules, memory and cross-line facts for one run."""

    rules: MatchRules
    memory: MatchMemory
    today: dt.date
    aliases: Mapping[tuple[str, str], list[tuple[str, int]]]
    payouts: Mapping[tuple[str, str], PspPayoutLine]
    payouts_by_net: Mapping[tuple[str, str, Decimal], list[PspPayoutLine]]
    used_payouts: set[tuple[str, str]] = field(default_factory=set)
    dead_reference: set[tuple[str, str]] = field(default_factory=set)
    """Lines whose valid OCR/RF pointed at no allocatable invoice: weaker tiers may only suggest."""

    def mark_dead(self, line: BankLine) -> None:
        """Remember that the line's explicit reference pointed nowhere usable."""
        self.dead_reference.add((line.company_id, line.id))

    def is_dead(self, line: BankLine) -> bool:
        """True if the line's explicit reference pointed nowhere usable."""
        return (line.company_id, line.id) in self.dead_reference

    def allowed(self, line: BankLine, book: Book, invoice_id: str) -> bool:
        """An invoice a line may still meet: same company, open, and not rejected for this line."""
        return (
            book.company_id == line.company_id
            and book.is_open(invoice_id)
            and (line.id, invoice_id) not in self.memory.rejected
        )


def rank_by_payer(view: LineView, book: Book, invoice_ids: Iterable[str]) -> list[tuple[str, int]]:
    """Candidates best first: payer-name similarity to the customer, then the oldest invoice."""
    scored = [(i, book.customer_score(view.payer, book.invoices[i].customer_id)) for i in invoice_ids]
    return sorted(scored, key=lambda pair: (-pair[1], book.age_key(pair[0])))
