"""Invoices: draft CRUD, list with filters, publish, record, credit."""

from __future__ import annotations

from syncd.sandbox.query import compile_query, paginate
from syncd.sandbox.router import Ctx, Result, route

BASE = "/companies/{companyId}/invoices"
ONE = f"{BASE}/{{invoiceId}}"


@route("POST", BASE)
def create(ctx: Ctx) -> Result:
    return 200, ctx.books.create_invoice(ctx.json())


@route("GET", BASE)
def list_(ctx: Ctx) -> Result:
    """Filters apply to the rendered invoice, so ``status`` filters see derived statuses."""
    keep = compile_query(ctx.query.get("query"), "invoices")
    books = ctx.books
    views = [books.view(invoice) for invoice in books.company.invoices.values()]
    return 200, paginate([view for view in views if keep(view)], ctx.query)


@route("GET", ONE)
def get(ctx: Ctx) -> Result:
    return 200, ctx.books.view(ctx.books.invoice(ctx.params["invoiceId"]))


@route("PUT", ONE)
def update(ctx: Ctx) -> Result:
    return 200, ctx.books.update_invoice(ctx.params["invoiceId"], ctx.json())


@route("DELETE", ONE)
def delete(ctx: Ctx) -> Result:
    ctx.books.delete_invoice(ctx.params["invoiceId"])
    return 204, None


@route("POST", f"{ONE}/publish")
def publish(ctx: Ctx) -> Result:
    return 200, ctx.books.publish_invoice(ctx.params["invoiceId"])


@route("POST", f"{ONE}/record")
def record(ctx: Ctx) -> Result:
    return 200, ctx.books.record_invoice(ctx.params["invoiceId"])


@route("POST", f"{ONE}/credit")
def credit(ctx: Ctx) -> Result:
    return 200, ctx.books.credit_invoice(ctx.params["invoiceId"])
