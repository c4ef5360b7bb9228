"""A faithful in-memory fake of Bokio's Company API v1 (+ General API ``/token``, ``/connections``).

Use it in-process (``httpx.Client(transport=SandboxTransport(sandbox), base_url=".../v1")``) or
over HTTP (``syncd sandbox serve``). Money is Decimal end to end.

Bokio's open rules are *readings*, switchable per company (:class:`Readings`: ``Sandbox(readings=)``,
``add_company(readings=)``, ``seed_demo(readings=)``, ``POST /_sandbox/companies/{id}/readings``):
whether ``paidAmount`` counts settlements and is in SEK or the invoice currency, whether
``totalAmount`` is net or gross, which settlement sign reduces what is owed, öresavrundning
(off / inside ``totalAmount`` / beside it), whether recording a payment needs a recorded invoice,
and the fiscal years' accounting method. The defaults are what the sandbox always played; the
arithmetic is the sandbox's own (:mod:`.rules`), never syncd's reading of Bokio.

The modules form a tree (a test fails on any import cycle); each imports only modules listed
before it, and from syncd only ``syncd.domain.money``, ``syncd.domain.references``, ``syncd.errors``:

- leaves: :mod:`.clock`, :mod:`.errors`, :mod:`.jsonutil`, :mod:`.limits`, :mod:`.auth`,
  :mod:`.faults`, :mod:`.readings`; :mod:`.query` (errors); :mod:`.contract` (jsonutil);
  :mod:`.fieldtypes` (errors) -- the spec's JSON types of the body fields the sandbox accepts
- :mod:`.response` (jsonutil, errors, faults) -- what the sandbox answers
- :mod:`.rules` (readings) -- Bokio's invoice arithmetic; :mod:`.state` (rules) -- per-company
  state and rendering; :mod:`.journal` (rules); :mod:`.validation` (errors, fieldtypes, state);
  :mod:`.sie` (state); :mod:`.strict` (response, contract)
- :mod:`.books` -> :mod:`.ledger` -- business operations on one company
- :mod:`.router` (ledger, auth, state; the sandbox only as its ``Host`` protocol) ->
  :mod:`.routes` (one module per resource)
- :mod:`.core` (routes, router, ledger, ...) -- the ``Sandbox`` and its ``handle``
- :mod:`.seed` (core) -> :mod:`.admin` (core, seed) -> :mod:`.gateway` (admin, core) ->
  :mod:`.transport`, :mod:`.server` -> :mod:`.cli`

ASSUMPTIONS (Bokio does not document these; each is decided in one place):

- Invoice arithmetic -- per-line öre rounding, totals, ``paidAmount``, settlement sign, status,
  öresavrundning: :mod:`.rules` under the company's :mod:`.readings`.
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
from syncd.sandbox.core import Sandbox
from syncd.sandbox.errors import ApiError
from syncd.sandbox.faults import Fault, FaultPlan
from syncd.sandbox.ledger import Books
from syncd.sandbox.limits import Limits
from syncd.sandbox.readings import Readings
from syncd.sandbox.response import SandboxResponse
from syncd.sandbox.transport import SandboxTransport

__all__ = [
    "ApiError",
    "Books",
    "Fault",
    "FaultPlan",
    "Limits",
    "ManualClock",
    "Readings",
    "Sandbox",
    "SandboxResponse",
    "SandboxTransport",
    "SystemClock",
]
