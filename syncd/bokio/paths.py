"""Bokio's path templates, as the client requests them and the request ledger counts them.

A module of its own so that code naming a path (the pullers' plans, the audit) does not import
the HTTP client.
"""

from __future__ import annotations

C = "/companies/{companyId}"
INVOICE = C + "/invoices/{invoiceId}"
PAYMENTS = INVOICE + "/payments"
PAYMENT = PAYMENTS + "/{paymentId}"
SETTLEMENTS = INVOICE + "/settlements"
SETTLEMENT = SETTLEMENTS + "/{settlementId}"
SIE_DOWNLOAD = C + "/sie/{fiscalYearId}/download"
