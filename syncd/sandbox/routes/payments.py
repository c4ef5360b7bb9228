"""Invoice payments and settlements: create, list (paged, filtered), get, delete, record."""

from __future__ import annotations

from syncd.sandbox.query import compile_query, paginate
from syncd.sandbox.router import Ctx, Result, route
from syncd.sandbox.state import render

INVOICE = "/companies/{companyId}/invoices/{invoiceId}"


@route("POST", f"{INVOICE}/payments")
def create_payment(ctx: Ctx) -> Result:
    return 200, ctx.books.create_payment(ctx.params["invoiceId"], ctx.json())


@route("GET", f"{INVOICE}/payments")
def list_payments(ctx: Ctx) -> Result:
    keep = compile_query(ctx.query.get("query"), "payments")
    return 200, paginate([p for p in ctx.books.payments(ctx.params["invoiceId"]) if keep(p)], ctx.query)


@route("GET", f"{INVOICE}/payments/{{paymentId}}")
def get_payment(ctx: Ctx) -> Result:
    return 200, render(ctx.books.payment(ctx.params["invoiceId"], ctx.params["paymentId"]))


@route("DELETE", f"{INVOICE}/payments/{{paymentId}}")
def delete_payment(ctx: Ctx) -> Result:
    ctx.books.delete_payment(ctx.params["invoiceId"], ctx.params["paymentId"])
    return 204, None


@route("POST", f"{INVOICE}/payments/{{paymentId}}/record")
def record_payment(ctx: Ctx) -> Result:
    return 200, ctx.books.record_payment(ctx.params["invoiceId"], ctx.params["paymentId"])


@route("POST", f"{INVOICE}/settlements")
def create_settlement(ctx: Ctx) -> Result:
    return 200, ctx.books.create_settlement(ctx.params["invoiceId"], ctx.json())


@route("GET", f"{INVOICE}/settlements")
def list_settlements(ctx: Ctx) -> Result:
    keep = compile_query(ctx.query.get("query"), "settlements")

    def flat(settlement: dict[str, object]) -> dict[str, object]:
        details = settlement["invoiceSettlementDetails"]
        return {**settlement, **details} if isinstance(details, dict) else settlement

    items = [s for s in ctx.books.settlements(ctx.params["invoiceId"]) if keep(flat(s))]
    return 200, paginate(items, ctx.query)


@route("GET", f"{INVOICE}/settlements/{{settlementId}}")
def get_settlement(ctx: Ctx) -> Result:
    return 200, render(ctx.books.settlement(ctx.params["invoiceId"], ctx.params["settlementId"]))


@route("DELETE", f"{INVOICE}/settlements/{{settlementId}}")
def delete_settlement(ctx: Ctx) -> Result:
    ctx.books.delete_settlement(ctx.params["invoiceId"], ctx.params["settlementId"])
    return 204, None


@route("POST", f"{INVOICE}/settlements/{{settlementId}}/record")
def record_settlement(ctx: Ctx) -> Result:
    return 200, ctx.books.record_settlement(ctx.params["invoiceId"], ctx.params["settlementId"])
