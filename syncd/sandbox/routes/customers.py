"""Customers: CRUD with ``modifiedDateTime`` maintained."""

from __future__ import annotations

from syncd.sandbox.query import compile_query, paginate
from syncd.sandbox.router import Ctx, Result, route
from syncd.sandbox.state import render

BASE = "/companies/{companyId}/customers"


@route("POST", BASE)
def create(ctx: Ctx) -> Result:
    return 200, ctx.books.create_customer(ctx.json())


@route("GET", BASE)
def list_(ctx: Ctx) -> Result:
    keep = compile_query(ctx.query.get("query"), "customers")
    return 200, paginate([render(c) for c in ctx.books.company.customers.values() if keep(c)], ctx.query)


@route("GET", f"{BASE}/{{customerId}}")
def get(ctx: Ctx) -> Result:
    return 200, render(ctx.books.customer(ctx.params["customerId"]))


@route("PUT", f"{BASE}/{{customerId}}")
def update(ctx: Ctx) -> Result:
    return 200, ctx.books.update_customer(ctx.params["customerId"], ctx.json())


@route("DELETE", f"{BASE}/{{customerId}}")
def delete(ctx: Ctx) -> Result:
    ctx.books.delete_customer(ctx.params["customerId"])
    return 204, None
