"""A faithful in-memory fake of Bokio's Company API v1 (+ General API ``/token``, ``/connections``).

Use it in-process (``httpx.Client(transport=SandboxTransport(sandbox), base_url=".../v1")``) or
over HTTP (``syncd sandbox serve``). Money is Decimal end to end.

ASSUMPTIONS (Bokio does not document these; each is decided in one place):

- Invoice arithmetic -- totals NET of VAT, per-line öre rounding, ``paidAmount`` in SEK and
  *including* settlements, settlement sign, status derivation: :mod:`syncd.domain.invoice_math`.
- OCR ``paymentReference`` = ``make_ocr(invoiceNumber)`` (length digit + Luhn); invoice numbers
  are a per-company sequence from 1001; credit notes are ``CN-<n>``.
- Lists are in creation order; ``pageSize`` outside 1..100 is a 400; past the last page is empty.
- ``query``: ``&&`` binds tighter than ``||``; unknown fields are a 400 (:mod:`.query`).
- Unknown company -> 404 ``not-found``; a token without access to a known company -> 403, no body;
  bad token -> 401, no body.
- Monthly quota counts every admitted Company-API request per Stockholm calendar month.
- "One concurrent write per (method, path)" keys on the route template by default
  (:class:`.limits.Limits`).
- Payments/settlements need a published invoice; deleting a recorded one mints a reversing
  journal entry; recording twice is 400 ``validation-error`` (:mod:`.ledger`).
- Journal-entry accounts (BAS) for record endpoints: :mod:`.journal`.
- The SIE download (``GET /sie/{fiscalYearId}/download``) serves the company's own journal
  entries as SIE 4 in CP437, series ``V`` numbered as ``journalEntryNumber``: :mod:`.sie`. A
  person's corrections in the UI (reversing any voucher, amending its rows) are admin routes.
- Refresh tokens rotate; auth codes are single-use, 5 minutes (:mod:`.auth`).
"""

from __future__ import annotations

from syncd.sandbox.clock import ManualClock, SystemClock
from syncd.sandbox.core import Sandbox, SandboxResponse
from syncd.sandbox.errors import ApiError
from syncd.sandbox.faults import Fault, FaultPlan
from syncd.sandbox.ledger import Books
from syncd.sandbox.limits import Limits
from syncd.sandbox.transport import SandboxTransport

__all__ = [
    "ApiError",
    "Books",
    "Fault",
    "FaultPlan",
    "Limits",
    "ManualClock",
    "Sandbox",
    "SandboxResponse",
    "SandboxTransport",
    "SystemClock",
]
