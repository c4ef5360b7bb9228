"""What the demo cycle did, read back from where it landed: Bokio (the sandbox) and syncd's database.

Bookings are read from the sandbox — the payment, each settlement and the journal entries Bokio
minted for them — through the ids syncd stored on its allocations, so the report shows what is
really in the books, not what syncd meant to send. Review items, unmatched money, imported files
and the request ledger come from syncd's database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.allocations import review
from syncd.allocations.tables import ACTIVE_STATES, Allocation, AllocationState
from syncd.app import App
from syncd.daemon.cycle import CycleReport
from syncd.demo.payments import BankDay
from syncd.errors import SyncdError
from syncd.ingest.tables import BankFile, BankTransaction
from syncd.mirror.tables import Company, RequestLedger
from syncd.sandbox import Sandbox
from syncd.settings import CompanySettings

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BankLine:
    """A credit as the bank reported it."""

    payer: str
    amount: Decimal
    currency: str
    reference: str
    message: str

    @classmethod
    def of(cls, row: BankTransaction) -> BankLine:
        items = row.references.get("items", []) if isinstance(row.references, dict) else []
        refs = ", ".join(str(item.get("value")) for item in items if item.get("value"))
        return cls(row.payer_name, row.amount, row.currency, refs, row.free_text)


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One line of a journal entry (BAS account)."""

    account: int
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A verification Bokio recorded: number, title, lines and the tags syncd put on it."""

    number: str
    title: str
    lines: tuple[JournalLine, ...]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Posting:
    """A payment or a settlement on an invoice in Bokio, with the journal entry recording it."""

    kind: str
    """``payment`` or the settlement type (``bankFee``, ``currency``, ``paymentServiceFee``)."""
    amount: Decimal
    bokio_id: str
    vat_scheme: str | None
    journal: JournalEntry | None


@dataclass(frozen=True, slots=True)
class Booking:
    """One accepted allocation as it stands in Bokio."""

    invoice_number: str
    customer: str
    currency: str
    tier: str
    explanation: str
    bank_line: BankLine
    postings: tuple[Posting, ...]
    invoice_status: str
    push_state: str
    error: str | None


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A bank line waiting for a person, with what syncd suggests and why."""

    group_id: str
    bank_line: BankLine
    invoices: tuple[tuple[str, str, Decimal], ...]
    """(invoice number, customer, amount) syncd suggests."""
    tier: str
    explanation: str
    candidates: str


@dataclass(frozen=True, slots=True)
class Unmatched:
    """Money nobody could place: it stays on the bank line for a person to book by hand."""

    bank_line: BankLine
    reason: str


@dataclass(frozen=True, slots=True)
class FileRow:
    """A bank file from the inbox and what became of it."""

    name: str
    format: str
    status: str
    transactions: int
    payouts: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Everything the report shows; :meth:`to_json` is the ``--json`` output."""

    company_id: str
    company: str
    day: date
    ok: bool
    files: tuple[FileRow, ...]
    booked: tuple[Booking, ...]
    review: tuple[ReviewItem, ...]
    unmatched: tuple[Unmatched, ...]
    requests: tuple[tuple[str, str, int], ...]
    monthly_quota: int
    stages: tuple[Json, ...]
    scenarios: tuple[Json, ...] = field(default=())

    @property
    def request_total(self) -> int:
        """Bokio requests the cycle used (what counts against the monthly quota)."""
        return sum(count for _m, _p, count in self.requests)

    def to_json(self) -> Json:
        """Plain JSON values; money stays Decimal (``syncd.jsonutil`` writes it exactly)."""
        return {
            "company": {"id": self.company_id, "name": self.company},
            "day": self.day,
            "ok": self.ok,
            "files": [_plain(f) for f in self.files],
            "booked": [_plain(b) for b in self.booked],
            "review": [_plain(r) for r in self.review],
            "unmatched": [_plain(u) for u in self.unmatched],
            "requests": {
                "total": self.request_total,
                "monthly_quota": self.monthly_quota,
                "by_endpoint": [{"method": m, "path": p, "count": n} for m, p, n in self.requests],
            },
            "cycle": list(self.stages),
            "scenarios": list(self.scenarios),
        }


def _plain(value: Any) -> Any:
    """Dataclasses → dicts, tuples → lists (recursively); scalars unchanged."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _journal(company: Any, ref: Json | None) -> JournalEntry | None:
    entry = company.journal_entries.get(ref["id"]) if ref else None
    if entry is None:
        return None
    lines = tuple(
        JournalLine(int(i["account"]), Decimal(i["debit"]), Decimal(i["credit"])) for i in entry["items"]
    )
    tags = {str(t.get("tagId")) for t in entry["tags"]}
    names = tuple(
        sorted(
            f"{group['name']}/{tag['name']}"
            for group in company.tag_groups.values()
            for tag in group["tags"]
            if tag["id"] in tags
        )
    )
    return JournalEntry(entry["journalEntryNumber"], entry["title"], lines, names)


def _booking(sandbox: Sandbox, company_id: str, row: Allocation, line: BankLine) -> Booking:
    """The allocation's payment and settlements as Bokio holds them (by the ids syncd stored)."""
    with sandbox.lock:
        company = sandbox.companies[company_id]
        books = sandbox.books(company_id)
        invoice = books.view(books.invoice(row.invoice_bokio_id))
        postings = []
        payment = company.payments.get(row.invoice_bokio_id, {}).get(row.bokio_payment_id or "")
        if payment is not None:
            journal = _journal(company, payment["journalEntryRef"])
            postings.append(Posting("payment", payment["sumBaseCurrency"], payment["id"], None, journal))
        for settlement_id in row.bokio_settlement_ids.get("ids", []):
            found = company.settlements.get(row.invoice_bokio_id, {}).get(settlement_id)
            if found is None:
                continue
            details = found["invoiceSettlementDetails"]
            postings.append(
                Posting(
                    found["type"],
                    details["sumBaseCurrency"],
                    found["id"],
                    details.get("vatScheme"),
                    _journal(company, found["journalEntryRef"]),
                )
            )
    return Booking(
        invoice_number=row.invoice_number,
        customer=invoice["customerRef"]["name"],
        currency=row.currency,
        tier=row.tier,
        explanation=row.explanation,
        bank_line=line,
        postings=tuple(postings),
        invoice_status=invoice["status"],
        push_state=row.push_state,
        error=None if row.last_error is None else str(row.last_error.get("message") or row.last_error),
    )


def _evidence(row: Allocation, key: str) -> str:
    return str(dict(row.evidence.get("items", [])).get(key) or "")


def _review(session: Session, company_pk: int) -> list[ReviewItem]:
    items = []
    for proposal in review.pending(session, company_pk):
        first = proposal.allocations[0]
        invoices = tuple(
            (
                a.invoice_number,
                (proposal.invoices[a.invoice_bokio_id].customer_name or "")
                if a.invoice_bokio_id in proposal.invoices
                else "",
                a.amount_sek,
            )
            for a in proposal.allocations
        )
        items.append(
            ReviewItem(
                group_id=proposal.group_id,
                bank_line=BankLine.of(proposal.bank_line),
                invoices=invoices,
                tier=first.tier,
                explanation=first.explanation,
                candidates=_evidence(first, "candidates"),
            )
        )
    return items


def _unmatched(session: Session, company_pk: int, problems: dict[str, list[str]]) -> list[Unmatched]:
    allocated = select(Allocation.bank_transaction_id).where(
        Allocation.company_id == company_pk, Allocation.state.in_(ACTIVE_STATES)
    )
    rows = session.scalars(
        select(BankTransaction)
        .where(
            BankTransaction.company_id == company_pk,
            BankTransaction.is_batch.is_(False),
            BankTransaction.direction == "credit",
            BankTransaction.id.not_in(allocated),
        )
        .order_by(BankTransaction.id)
    )
    default = "no reference, and neither the payer nor the amount points to one open invoice"
    return [Unmatched(BankLine.of(row), "; ".join(problems.get(str(row.id), [])) or default) for row in rows]


def _problems_by_line(stages: tuple[Json, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for stage in stages:
        if stage.get("stage") == "match":
            for problem in stage.get("detail", {}).get("problems", []):
                if problem.get("bank_line"):
                    found.setdefault(str(problem["bank_line"]), []).append(str(problem["message"]))
    return found


def _requests(session: Session, company_pk: int) -> tuple[tuple[str, str, int], ...]:
    rows = session.execute(
        select(RequestLedger.method, RequestLedger.path_template, func.count())
        .where(RequestLedger.company_id == company_pk)
        .group_by(RequestLedger.method, RequestLedger.path_template)
    )
    counted = Counter({(method, path.removeprefix("/companies/{companyId}")): n for method, path, n in rows})
    return tuple((m, p, n) for (m, p), n in sorted(counted.items(), key=lambda kv: (kv[0][1], kv[0][0])))


def stage_json(cycles: tuple[CycleReport, ...]) -> tuple[Json, ...]:
    """Every stage report of the cycle, as ``syncd run --once --json`` prints them."""
    return tuple(stage.to_json() for cycle in cycles for stage in cycle.stages)


def collect(
    app: App,
    company: CompanySettings,
    sandbox: Sandbox,
    plan: BankDay,
    cycles: tuple[CycleReport, ...],
) -> Reconciliation:
    """Read the outcome of the cycle back from the sandbox and the database."""
    key = str(company.id)
    stages = stage_json(cycles)
    with app.sessions() as session:
        pk = session.scalar(select(Company.id).where(Company.bokio_company_id == key))
        if pk is None:  # the import stage creates it; without it the cycle did nothing at all
            raise SyncdError(f"company {key} never reached the database; see the cycle's errors")
        lines = {row.id: BankLine.of(row) for row in session.scalars(select(BankTransaction))}
        accepted = session.scalars(
            select(Allocation)
            .where(Allocation.company_id == pk, Allocation.state == AllocationState.ACCEPTED)
            .order_by(Allocation.bank_transaction_id, Allocation.invoice_number)
        ).all()
        booked = tuple(_booking(sandbox, key, row, lines[row.bank_transaction_id]) for row in accepted)
        files = tuple(
            FileRow(
                f.filename,
                f.format or "?",
                f.status,
                f.transactions_added,
                int(f.info.get("payouts_added", 0)),
                f.error,
            )
            for f in session.scalars(select(BankFile).where(BankFile.company_id == pk).order_by(BankFile.id))
        )
        return Reconciliation(
            company_id=key,
            company=company.name,
            day=plan.day,
            ok=all(cycle.ok for cycle in cycles),
            files=files,
            booked=booked,
            review=tuple(_review(session, pk)),
            unmatched=tuple(_unmatched(session, pk, _problems_by_line(stages))),
            requests=_requests(session, pk),
            monthly_quota=app.settings.budget.monthly_quota,
            stages=stages,
            scenarios=tuple(
                {"scenario": p.scenario, "amount": p.amount, "payer": p.payer, "invoices": list(p.invoices)}
                for p in plan.payments
            ),
        )
