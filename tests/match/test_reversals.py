"""A credit the bank takes back in the same batch pays no invoice (found by the hand-labelled corpus)."""

from __future__ import annotations

import datetime as dt

from match_builders import TODAY, invoice, line, ocr_of

from syncd.domain.models import Decision, ProblemCode
from syncd.match import MatchMemory, MatchRules, propose


def test_a_credit_the_bank_reverses_in_the_same_batch_is_never_booked() -> None:
    inv = invoice(1042, "4950.00")
    result = propose(
        [inv],
        [
            line("4950.00", id="bl-1", refs=(ocr_of(1042),), payer="BERGSTROM BYGG"),
            line("4950.00", id="bl-2", refs=(ocr_of(1042),), payer="BERGSTROM BYGG", reversal=True),
        ],
        MatchRules(),
        MatchMemory(),
        today=TODAY,
    )
    assert result.allocations == ()
    assert [p.code for p in result.problems if p.bank_line_id == "bl-1"] == [ProblemCode.REVERSAL]


def test_a_reversal_takes_back_one_credit_so_the_same_payment_made_again_is_booked() -> None:
    inv = invoice(1042, "4950.00")
    ocr = ocr_of(1042)
    earlier = TODAY - dt.timedelta(days=2)
    result = propose(
        [inv],
        [
            line("4950.00", id="bl-1", refs=(ocr,), booked=earlier),
            line("4950.00", id="bl-2", refs=(ocr,), booked=earlier, reversal=True),
            line("4950.00", id="bl-3", refs=(ocr,)),
        ],
        MatchRules(),
        MatchMemory(),
        today=TODAY,
    )
    assert [(a.bank_line_id, a.invoice_id, a.decision) for a in result.allocations] == [
        ("bl-3", inv.bokio_id, Decision.AUTO)
    ]


def test_a_reversal_with_neither_reference_nor_payer_claims_no_credit() -> None:
    inv = invoice(1042, "4950.00")
    result = propose(
        [inv],
        [
            line("4950.00", id="bl-1", refs=(ocr_of(1042),)),
            line("4950.00", id="bl-2", reversal=True),
        ],
        MatchRules(),
        MatchMemory(),
        today=TODAY,
    )
    assert [(a.bank_line_id, a.decision) for a in result.allocations] == [("bl-1", Decision.AUTO)]


def test_a_reversal_of_another_amount_leaves_the_credit_alone() -> None:
    inv = invoice(1042, "4950.00")
    result = propose(
        [inv],
        [
            line("4950.00", id="bl-1", refs=(ocr_of(1042),)),
            line("495.00", id="bl-2", refs=(ocr_of(1042),), reversal=True),
        ],
        MatchRules(),
        MatchMemory(),
        today=TODAY,
    )
    assert [(a.bank_line_id, a.decision) for a in result.allocations] == [("bl-1", Decision.AUTO)]
